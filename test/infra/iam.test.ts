import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOmsApp } from '#infra/build-app.ts';
import { functions, type FunctionName, type FunctionSpec } from '#infra/topology/functions.ts';
import { FUNCTION_ENV } from '#infra/topology/workflows.ts';

/**
 * IAM per function, read from the synthesized templates (docs/security.md,
 * "Secrets and permissions"): channel secrets are usable only by the
 * functions that call channels or verify their webhooks; the public webhook
 * functions read only their own signing secrets, and the channel webhook
 * writes only its inbox items; no function publishes to an SNS topic (SMS
 * only, and only the functions that send SMS); no secret is readable on `*`.
 * Synthesized with Stripe and EasyPost so every secret exists.
 */

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface Deployed {
  variables: Record<string, unknown>;
  statements: Statement[];
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const actionsOf = (statement: Statement) => list(statement.Action);
const resourcesOf = (statement: Statement) => list(statement.Resource);
const names = Object.keys(functions) as FunctionName[];
const spec = (name: FunctionName): FunctionSpec => functions[name];
const withAccess = (...access: string[]) => names.filter((name) => access.some((a) => (spec(name).access as string[]).includes(a))).sort();
/** The public webhook functions: every function behind /webhooks/*. */
const webhookFunctions = names.filter((name) => spec(name).http?.path.startsWith('/webhooks/')).sort();

const templates: Template[] = [];
const fns = new Map<FunctionName, Deployed>();

beforeAll(() => {
  const omsApp = buildOmsApp({ outdir: mkdtempSync(join(tmpdir(), 'oms-iam-')), skipBundling: true, nag: false, context: { paymentProvider: 'stripe', carrierProvider: 'easypost' } });
  const assembly = omsApp.app.synth();
  for (const stack of [omsApp.stateful, omsApp.stateless, omsApp.api]) templates.push(Template.fromJSON(assembly.getStackByName(stack.stackName).template as Record<string, unknown>));
  for (const template of templates) {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as { Properties: { Roles: unknown[]; PolicyDocument: { Statement: Statement[] } } }[];
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Role: { 'Fn::GetAtt': [string, string] }; Environment?: { Variables: Record<string, unknown> } } }[]) {
      const variables = fn.Properties.Environment?.Variables ?? {};
      if (!variables[FUNCTION_ENV]) continue;
      const roleId = fn.Properties.Role['Fn::GetAtt'][0];
      const statements = policies.filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`)).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      fns.set(variables[FUNCTION_ENV] as FunctionName, { variables, statements });
    }
  }
});

const fn = (name: FunctionName): Deployed => {
  const found = fns.get(name);
  if (!found) throw new Error(`${name} is not deployed`);
  return found;
};
const on = (statements: Statement[], resource: string) => statements.filter((statement) => JSON.stringify(statement.Resource).includes(resource));
const allStatements = () =>
  templates.flatMap((template) =>
    (Object.values(template.findResources('AWS::IAM::Policy')) as { Properties: { PolicyDocument: { Statement: Statement[] } } }[]).flatMap((policy) => policy.Properties.PolicyDocument.Statement),
  );

describe('channel secrets: the KMS key that seals them', () => {
  it('is a key of its own with rotation, kept when the stack goes', () => {
    const keys = Object.values(templates[0]?.findResources('AWS::KMS::Key') ?? {}) as { Properties: { Description: string; EnableKeyRotation: boolean }; DeletionPolicy: string }[];
    const key = keys.find((candidate) => candidate.Properties.Description.startsWith('OMS channel secrets'));
    expect(key?.Properties.EnableKeyRotation).toBe(true);
    expect(key?.DeletionPolicy).toBe('Retain');
  });

  it('only the functions that call channels or verify their webhooks may decrypt, only the channel PUT may generate data keys, always for channel secrets', () => {
    const expected = ['pollChannel', 'pushAvailability', 'putChannel', 'receiveWebhook', 'retryOrderChannelSync', 'writeBack'];
    expect(withAccess('channel:secrets', 'channel:secrets:write')).toEqual(expected);
    expect(withAccess('channel:secrets:write')).toEqual(['putChannel']);
    expect(fns.size).toBe(names.length);
    for (const name of names) {
      const statements = on(fn(name).statements, 'ChannelSecretsKey');
      const uses = expected.includes(name);
      expect({ name, usesKey: statements.length > 0, keyId: 'CHANNEL_SECRETS_KMS_KEY_ID' in fn(name).variables }).toEqual({ name, usesKey: uses, keyId: uses });
      for (const statement of statements) {
        expect({ name, actions: actionsOf(statement).sort() }).toEqual({ name, actions: name === 'putChannel' ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'] });
        expect(statement.Condition).toEqual({ StringEquals: { 'kms:EncryptionContext:purpose': 'oms-channel-secrets' } });
      }
    }
  });
});

describe('public webhook functions', () => {
  // What each may read from Secrets Manager: its own signing secret (Stripe's webhook also looks up the PaymentIntent with the secret key).
  const allowedSecrets: Partial<Record<FunctionName, string[]>> = {
    receiveWebhook: [],
    receiveCarrierWebhook: ['CarrierWebhookSecret', 'EasyPostWebhookSecret'],
    receiveEasyPostWebhook: ['CarrierWebhookSecret', 'EasyPostWebhookSecret'],
    receiveStripeWebhook: ['StripeWebhookSecret', 'StripeSecretKey'],
  };

  it('are the functions behind /webhooks/*, and each reads only the secrets it needs', () => {
    expect(webhookFunctions.length).toBeGreaterThanOrEqual(4);
    for (const name of webhookFunctions) {
      const read = fn(name).statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('secretsmanager:')));
      const secrets = read.flatMap((statement) => resourcesOf(statement).map((resource) => JSON.stringify(resource)));
      const allowed = allowedSecrets[name] ?? [];
      expect({ name, unexpected: secrets.filter((secret) => !allowed.some((id) => secret.includes(id))) }).toEqual({ name, unexpected: [] });
      // No API token, and no channel-secrets key except the channel webhook.
      expect({ name, apiToken: secrets.some((secret) => secret.includes('ApiToken')) }).toEqual({ name, apiToken: false });
      expect({ name, channelKey: on(fn(name).statements, 'ChannelSecretsKey').length > 0 }).toEqual({ name, channelKey: name === 'receiveWebhook' });
    }
  });

  it('the channel webhook reads only channel items and writes only inbox and compliance request items (dynamodb:LeadingKeys), on the table, no index', () => {
    const dynamo = fn('receiveWebhook').statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));
    expect(dynamo.length).toBeGreaterThan(0);
    for (const statement of dynamo) {
      expect(statement.Effect).toBe('Allow');
      expect(JSON.stringify(statement.Resource)).not.toContain('/index/');
      expect(statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']).toBeDefined();
    }
    const writes = dynamo.filter((statement) => actionsOf(statement).some((action) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(action)));
    expect(writes).toHaveLength(1);
    expect(writes[0]?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INBOX#*', 'COMPLIANCE#*'] } });
    const reads = dynamo.filter((statement) => !writes.includes(statement));
    expect(reads.map((statement) => statement.Condition)).toEqual([{ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CHANNEL#*', 'INBOX#*', 'COMPLIANCE#*'] } }]);
    expect(actionsOf(must(reads[0]))).not.toContain('dynamodb:Scan');
    // Its role is its own: no function without the same limits shares it.
    const roleOf = (name: FunctionName) => JSON.stringify(fn(name).statements);
    expect(names.filter((name) => name !== 'receiveWebhook' && roleOf(name) === roleOf('receiveWebhook'))).toEqual([]);
  });

  it('the carrier and payment webhooks have no Scan, and no table access beyond the table and its indexes', () => {
    for (const name of webhookFunctions.filter((candidate) => candidate !== 'receiveWebhook')) {
      const dynamo = fn(name).statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));
      for (const statement of dynamo) {
        expect({ name, scan: actionsOf(statement).some((action) => action === 'dynamodb:Scan' || action === 'dynamodb:*') }).toEqual({ name, scan: false });
        expect({ name, wildcard: resourcesOf(statement).includes('*') }).toEqual({ name, wildcard: false });
      }
    }
  });
});

describe('SNS and Secrets Manager across every role', () => {
  it('no function publishes to an SNS topic: sns:Publish on * only for the SMS senders, each with a deny on every topic ARN', () => {
    const smsSenders = withAccess('sms:send');
    expect(smsSenders.length).toBeGreaterThan(0);
    for (const name of names) {
      const publish = fn(name).statements.filter((statement) => actionsOf(statement).some((action) => action === 'sns:Publish' || action === 'sns:*'));
      const allows = publish.filter((statement) => statement.Effect === 'Allow');
      const denies = publish.filter((statement) => statement.Effect === 'Deny');
      if (smsSenders.includes(name)) {
        expect({ name, allows: allows.map((statement) => statement.Resource) }).toEqual({ name, allows: ['*'] });
        expect({ name, deniesTopics: denies.some((statement) => JSON.stringify(statement.Resource).includes(':sns:*:*:*')) }).toEqual({ name, deniesTopics: true });
      } else {
        expect({ name, publishes: allows.length }).toEqual({ name, publishes: 0 });
      }
    }
    // And no statement anywhere allows sns:* or Publish on * outside those roles.
    expect(allStatements().filter((statement) => statement.Effect === 'Allow' && actionsOf(statement).includes('sns:*'))).toEqual([]);
  });

  it('no statement lets anything read a secret on *', () => {
    const secretReads = allStatements().filter((statement) => actionsOf(statement).some((action) => action.startsWith('secretsmanager:')));
    expect(secretReads.length).toBeGreaterThan(0);
    for (const statement of secretReads) {
      expect(resourcesOf(statement)).not.toContain('*');
      expect(actionsOf(statement)).not.toContain('secretsmanager:*');
    }
  });
});

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('missing');
  return value;
}
