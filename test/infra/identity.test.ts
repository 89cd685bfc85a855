import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { GROUP_SCOPES } from '#shared/domain/identity.ts';
import { synthesize, type Synthesized } from './synth.ts';

/**
 * People sign in through a Cognito user pool whose groups map to the API
 * scopes; the API functions verify its tokens. The bus takes `oms.*` events
 * only from the OMS's tagged publishers (WMS sources: test/infra/wms-bus.test.ts).
 */
let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
});

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> };
const busStatements = (template: Template): Statement[] =>
  Object.values(template.findResources('AWS::Events::EventBusPolicy')).map((policy) => (policy as { Properties: { Statement: Statement } }).Properties.Statement);

describe('user pool', () => {
  it('exists in the stateful stack, retained, invitation only, MFA required, with one group per scope set', () => {
    synth.statefulTemplate.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ MfaConfiguration: 'ON', AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } }),
    });
    const groups = Object.values(synth.statefulTemplate.findResources('AWS::Cognito::UserPoolGroup')).map((g) => (g as { Properties: { GroupName: string } }).Properties.GroupName);
    expect(groups.sort()).toEqual(Object.keys(GROUP_SCOPES).sort());
    expect(groups.sort()).toEqual(['admin', 'analyst', 'operations']);
    synth.statefulTemplate.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    synth.statefulTemplate.hasResourceProperties('AWS::Cognito::UserPoolClient', { GenerateSecret: false, PreventUserExistenceErrors: 'ENABLED' });
  });

  it('every API function knows the pool and its client (it verifies access tokens itself, so API keys work on the same routes)', () => {
    const fns = Object.values(synth.apiTemplate.findResources('AWS::Lambda::Function')) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[];
    expect(fns.length).toBeGreaterThan(10);
    for (const fn of fns) {
      expect(fn.Properties.Environment.Variables).toHaveProperty('OMS_COGNITO_USER_POOL_ID');
      expect(fn.Properties.Environment.Variables).toHaveProperty('OMS_COGNITO_CLIENT_ID');
    }
    synth.apiTemplate.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('passes cdk-nag', () => {
    const errors = synth.validationReport.pluginReports.flatMap((r) => r.violations).filter((v) => v.severity === 'error' && v.violatingConstructs.some((c) => /UserPool|EventBus|Bus/.test(c.constructPath)));
    expect(errors).toEqual([]);
  });
});

describe('bus policy', () => {
  it('denies oms.* sources to every principal without the OMS publisher tag, which exactly the bus-target pipe roles carry', () => {
    const deny = busStatements(synth.statefulTemplate).find((s) => s.Sid === 'cdk-OnlyTheOmsPublishesOmsSources');
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Action: 'events:PutEvents',
      Principal: { AWS: '*' },
      Condition: { StringLike: { 'events:source': 'oms.*' }, StringNotEquals: { 'aws:PrincipalTag/oms-publisher': 'oms' } },
    });
    const roles = synth.statelessTemplate.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'pipes.amazonaws.com' } })] } } });
    const tagged = Object.entries(roles).filter(([, role]) => JSON.stringify((role as { Properties: { Tags?: unknown } }).Properties.Tags ?? []).includes('"oms-publisher"')).map(([id]) => id);
    // The inbox and compliance pipes target queues, not the bus: their roles carry no publisher tag.
    expect(tagged.sort()).toEqual(Object.keys(roles).filter((id) => !/Inbox|Compliance/.test(id)).sort());
    expect(tagged.length).toBe(2);
  });
});
