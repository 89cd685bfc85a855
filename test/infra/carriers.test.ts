import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildOmsApp, carrierProviderFor } from '#infra/build-app.ts';
import { functions, type FunctionName } from '#infra/topology/functions.ts';
import { FUNCTION_ENV } from '#infra/topology/workflows.ts';
import { repoRoot } from '#infra/paths.ts';

/**
 * The deployed stack buys labels with the carrier gateway its context names
 * (`carrierProvider`, default the sandbox carriers). With EasyPost, the
 * stateful stack holds the API key and the webhook secret (values put by the
 * merchant), only the functions that rate, buy or void labels can read the
 * key and are told its secret id, and only the carrier webhooks the webhook
 * secret.
 */
function synth(context: Record<string, string>, nag = false) {
  const omsApp = buildOmsApp({ outdir: mkdtempSync(join(tmpdir(), 'oms-carrier-')), skipBundling: true, nag, context });
  const assembly = omsApp.app.synth();
  const template = (stack: { stackName: string }) => Template.fromJSON(assembly.getStackByName(stack.stackName).template as Record<string, unknown>);
  return { stateful: template(omsApp.stateful), stateless: template(omsApp.stateless), api: template(omsApp.api) };
}

interface FunctionResource {
  Properties: { Role: { 'Fn::GetAtt': [string, string] }; Environment: { Variables: Record<string, unknown> } };
}

/** Every deployed function by its OMS name: its variables and the secrets (by construct id) its role may read. */
function deployed(templates: Template[]): Map<FunctionName, { variables: Record<string, unknown>; reads: (secret: string) => boolean }> {
  const result = new Map<FunctionName, { variables: Record<string, unknown>; reads: (secret: string) => boolean }>();
  for (const template of templates) {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as { Properties: { Roles: unknown[] } }[];
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function')) as FunctionResource[]) {
      const variables = fn.Properties.Environment.Variables;
      const roleId = fn.Properties.Role['Fn::GetAtt'][0];
      const rolePolicies = policies.filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`)).map((policy) => JSON.stringify(policy));
      const reads = (secret: string) => rolePolicies.some((policy) => policy.includes(secret) && policy.includes('secretsmanager:GetSecretValue'));
      result.set(variables[FUNCTION_ENV] as FunctionName, { variables, reads });
    }
  }
  return result;
}

const withAccess = (access: string) => (Object.keys(functions) as FunctionName[]).filter((name) => (functions[name].access as string[]).includes(access)).sort();

describe('carrier provider selection in the deployed stack', () => {
  it('takes sandbox or easypost, sandbox by default, and names a wrong value', () => {
    expect(carrierProviderFor(undefined)).toBe('sandbox');
    expect(carrierProviderFor('easypost')).toBe('easypost');
    expect(() => carrierProviderFor('shippo')).toThrow('Context carrierProvider must be sandbox or easypost, not "shippo"');
    // A production stage never prints sandbox labels, by default or by mistake.
    expect(() => carrierProviderFor(undefined, 'prod')).toThrow(/Stage prod is a production stage .* -c carrierProvider=easypost/);
    expect(() => carrierProviderFor('sandbox', 'prod-eu')).toThrow(/production stage/);
    expect(carrierProviderFor('easypost', 'production')).toBe('easypost');
    expect(carrierProviderFor('sandbox', 'staging')).toBe('sandbox');
    const build = (context: Record<string, string>) => () => buildOmsApp({ outdir: mkdtempSync(join(tmpdir(), 'oms-carrier-')), skipBundling: true, nag: false, context });
    expect(build({ carrierProvider: 'easypost', easypostLabelFormat: 'PNG' })).toThrow('Context easypostLabelFormat must be ZPL or PDF, not "PNG"');
    expect(build({ carrierProvider: 'easypost', easypostParcelCm: '30 by 20' })).toThrow(/Context easypostParcelCm must be LxWxH/);
  });

  it('the functions that rate, buy or void labels, and only those, may call EasyPost (carrier:api)', () => {
    expect(withAccess('carrier:api')).toEqual(['cancelFulfillments', 'cancelOrder', 'createFulfillments', 'createReturnLabel', 'editOrder', 'reconcileOrders']);
    // A handler that runs a use case calling the carrier gateway (rates, buyLabel, voidLabel) must have the access, and no other.
    const labelUseCases = /\b(createFulfillments|cancelOpenFulfillments|cancelOrderLines|editOrder|createReturnLabel)\(/;
    for (const name of Object.keys(functions) as FunctionName[]) {
      const source = readFileSync(join(repoRoot, functions[name].entry), 'utf8');
      expect({ name, callsCarrier: labelUseCases.test(source) }).toEqual({ name, callsCarrier: (functions[name].access as string[]).includes('carrier:api') });
    }
  });

  it('with carrierProvider=easypost: two EasyPost secrets, CARRIER_PROVIDER and the settings everywhere, the key only where labels are bought, the webhook secret only in the carrier webhooks', () => {
    const { stateful, stateless, api } = synth({ carrierProvider: 'easypost', easypostCarriers: 'USPS,UPS', easypostLabelFormat: 'PDF', easypostParcelCm: '40x30x20' });
    stateful.hasResourceProperties('AWS::SecretsManager::Secret', { Description: Match.stringLikeRegexp('^EasyPost API key') });
    stateful.hasResourceProperties('AWS::SecretsManager::Secret', { Description: Match.stringLikeRegexp('^Webhook secret of the EasyPost webhook') });
    // Placeholders: no value of the merchant's is in the template.
    for (const secret of Object.values(stateful.findResources('AWS::SecretsManager::Secret', { Properties: { Description: Match.stringLikeRegexp('EasyPost') } })) as { Properties: Record<string, unknown>; DeletionPolicy: string }[]) {
      expect(secret.Properties['SecretString']).toBeUndefined();
      expect(secret.DeletionPolicy).toBe('Retain');
    }
    stateful.hasOutput('EasyPostApiKeyArn', {});
    stateful.hasOutput('EasyPostWebhookSecretArn', {});

    const all = deployed([stateless, api]);
    expect(all.size).toBe(Object.keys(functions).length);
    const buyers = withAccess('carrier:api');
    const webhooks = withAccess('carrier:secret');
    expect(webhooks).toEqual(['receiveCarrierWebhook', 'receiveEasyPostWebhook']);
    for (const [name, fn] of all) {
      expect({ name, provider: fn.variables['CARRIER_PROVIDER'] }).toEqual({ name, provider: 'easypost' });
      expect(fn.variables['EASYPOST_CARRIERS']).toBe('USPS,UPS');
      expect(fn.variables['EASYPOST_LABEL_FORMAT']).toBe('PDF');
      expect(fn.variables['EASYPOST_DEFAULT_PARCEL_CM']).toBe('40x30x20');
      const buysLabels = buyers.includes(name);
      expect({ name, keyId: 'EASYPOST_API_KEY_SECRET_ID' in fn.variables, readsKey: fn.reads('EasyPostApiKey') }).toEqual({ name, keyId: buysLabels, readsKey: buysLabels });
      const isWebhook = webhooks.includes(name);
      expect({ name, secretId: 'EASYPOST_WEBHOOK_SECRET_ID' in fn.variables, readsSecret: fn.reads('EasyPostWebhookSecret') }).toEqual({ name, secretId: isWebhook, readsSecret: isWebhook });
    }
    api.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhooks/carriers/easypost' });
  });

  it('by default: the sandbox carriers, no EasyPost secrets, variables or grants', () => {
    const { stateful, stateless, api } = synth({});
    expect(JSON.stringify(stateful.findResources('AWS::SecretsManager::Secret'))).not.toContain('EasyPost');
    for (const [name, fn] of deployed([stateless, api])) {
      expect({ name, provider: fn.variables['CARRIER_PROVIDER'] }).toEqual({ name, provider: 'sandbox' });
      expect(Object.keys(fn.variables).filter((key) => key.startsWith('EASYPOST_'))).toEqual([]);
    }
  });

  it('passes the cdk-nag AwsSolutions checks with EasyPost', () => {
    expect(() => synth({ carrierProvider: 'easypost' }, true)).not.toThrow();
  });
});
