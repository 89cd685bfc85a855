import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { functions, type FunctionName } from '#infra/topology/functions.ts';
import { FUNCTION_ENV } from '#infra/topology/workflows.ts';
import { synthesize, type Synthesized } from './synth.ts';

/**
 * Label documents live in the stateful stack's document bucket: private,
 * encrypted, TLS only, expiring, retained; every function knows the bucket,
 * only the label steps may put and only the label endpoints may get
 * `labels/*` objects.
 */
let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
});

const withAccess = (access: string) => (Object.keys(functions) as FunctionName[]).filter((name) => (functions[name].access as string[]).includes(access)).sort();

/** The S3 actions each deployed function's role allows, by OMS function name. */
function s3Actions(templates: Template[]): Map<FunctionName, { variables: Record<string, unknown>; actions: string[] }> {
  const result = new Map<FunctionName, { variables: Record<string, unknown>; actions: string[] }>();
  for (const template of templates) {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as { Properties: { Roles: unknown[]; PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }[];
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Role: { 'Fn::GetAtt': [string] }; Environment: { Variables: Record<string, unknown> } } }[]) {
      const roleId = fn.Properties.Role['Fn::GetAtt'][0];
      const actions = policies
        .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
        .filter((statement) => JSON.stringify(statement.Resource).includes('DocumentBucketArn'))
        .flatMap((statement) => [statement.Action].flat());
      result.set(fn.Properties.Environment.Variables[FUNCTION_ENV] as FunctionName, { variables: fn.Properties.Environment.Variables, actions: actions.sort() });
    }
  }
  return result;
}

describe('the document bucket', () => {
  it('is private, encrypted, TLS only, expires labels after 400 days and is retained with the stack', () => {
    synth.statefulTemplate.resourceCountIs('AWS::S3::Bucket', 1);
    synth.statefulTemplate.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LifecycleConfiguration: { Rules: [Match.objectLike({ Prefix: 'labels/', ExpirationInDays: 400, Status: 'Enabled' })] },
      },
    });
    synth.statefulTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('is named on every function; only the label steps may put and only the label endpoints may get labels/* objects', () => {
    const all = s3Actions([synth.statelessTemplate, synth.apiTemplate]);
    expect(all.size).toBe(Object.keys(functions).length);
    expect(withAccess('documents:write')).toEqual(['createFulfillments', 'createReturnLabel', 'reconcileOrders']);
    expect(withAccess('documents:read')).toEqual(['getFulfillment', 'getReturn', 'listFulfillments', 'postFulfillmentEvent']);
    for (const [name, fn] of all) {
      expect(fn.variables['DOCUMENT_BUCKET'], name).toBeDefined();
      const expected = [...(withAccess('documents:read').includes(name) ? ['s3:GetObject'] : []), ...(withAccess('documents:write').includes(name) ? ['s3:PutObject'] : [])];
      expect({ name, actions: fn.actions }).toEqual({ name, actions: expected });
    }
  });
});
