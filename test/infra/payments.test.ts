import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildOmsApp, isProductionStage, paymentProviderFor } from '#infra/build-app.ts';

/**
 * The deployed stack takes payments with the provider its context names, and
 * a production stage cannot be synthesized with the sandbox (which charges
 * nobody). With Stripe, the stateful stack holds the secret key and the
 * webhook signing secret, and only functions that talk to Stripe may read them.
 */
function synth(context: Record<string, string>) {
  const omsApp = buildOmsApp({ outdir: mkdtempSync(join(tmpdir(), 'oms-pay-')), skipBundling: true, nag: false, context });
  const assembly = omsApp.app.synth();
  const template = (stack: { stackName: string }) => Template.fromJSON(assembly.getStackByName(stack.stackName).template as Record<string, unknown>);
  return { stateful: template(omsApp.stateful), stateless: template(omsApp.stateless), api: template(omsApp.api) };
}

describe('payment provider selection in the deployed stack', () => {
  it('knows production stages, and refuses the sandbox (or nothing) for them with a message saying what to do', () => {
    expect(['prod', 'production', 'prod-eu', 'PROD'].map(isProductionStage)).toEqual([true, true, true, true]);
    expect(['dev', 'staging', 'product-demo', 'preprod'].map(isProductionStage)).toEqual([false, false, false, false]);
    expect(() => paymentProviderFor('prod', undefined)).toThrow(/Stage prod is a production stage .* -c paymentProvider=stripe/);
    expect(() => paymentProviderFor('prod', 'sandbox')).toThrow(/production stage/);
    expect(() => paymentProviderFor('dev', 'paypal')).toThrow('Context paymentProvider must be sandbox or stripe, not "paypal"');
    expect(paymentProviderFor('dev', undefined)).toBe('sandbox');
    expect(paymentProviderFor('prod', 'stripe')).toBe('stripe');
  });

  it('synth fails for a production stage configured with the sandbox', () => {
    expect(() => buildOmsApp({ outdir: mkdtempSync(join(tmpdir(), 'oms-pay-')), skipBundling: true, nag: false, context: { stage: 'prod', paymentProvider: 'sandbox' } })).toThrow(
      /Stage prod is a production stage and would take payments with the sandbox provider/,
    );
    expect(() => buildOmsApp({ outdir: mkdtempSync(join(tmpdir(), 'oms-pay-')), skipBundling: true, nag: false, context: { stage: 'production' } })).toThrow(/production stage/);
  });

  it('a production stage on Stripe: PAYMENT_PROVIDER=stripe everywhere, two Stripe secrets, readable only by the functions that call Stripe', () => {
    const { stateful, stateless, api } = synth({ stage: 'prod', paymentProvider: 'stripe', carrierProvider: 'easypost' });
    stateful.hasResourceProperties('AWS::SecretsManager::Secret', { Description: Match.stringLikeRegexp('^Stripe secret key') });
    stateful.hasResourceProperties('AWS::SecretsManager::Secret', { Description: Match.stringLikeRegexp('^Signing secret \\(whsec_') });
    for (const template of [stateless, api]) {
      const functions = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[];
      expect(functions.length).toBeGreaterThan(0);
      for (const fn of functions) {
        expect(fn.Properties.Environment.Variables['PAYMENT_PROVIDER']).toBe('stripe');
        expect(fn.Properties.Environment.Variables['STRIPE_SECRET_KEY_ID']).toBeDefined();
        expect(fn.Properties.Environment.Variables['STRIPE_WEBHOOK_SECRET_ID']).toBeDefined();
      }
    }
    const readers = (template: Template) =>
      Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, policy]) => JSON.stringify(policy).includes('StripeSecretKey') && JSON.stringify(policy).includes('secretsmanager:GetSecretValue'));
    // The payment steps (stateless) and the refund and webhook routes (API) read them; the other roles do not.
    expect(readers(stateless).length).toBeGreaterThan(0);
    expect(readers(api).length).toBeGreaterThan(0);
    expect(readers(api).length).toBeLessThan(Object.keys(api.findResources('AWS::IAM::Policy')).length);
    api.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhooks/payments/stripe' });
  });

  it('a development stage stays on the sandbox by default, with no Stripe secrets', () => {
    const { stateful, stateless } = synth({ stage: 'dev' });
    expect(JSON.stringify(stateful.findResources('AWS::SecretsManager::Secret'))).not.toContain('Stripe');
    const functions = Object.values(stateless.findResources('AWS::Lambda::Function')) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[];
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables['PAYMENT_PROVIDER']).toBe('sandbox');
      expect(fn.Properties.Environment.Variables['STRIPE_SECRET_KEY_ID']).toBeUndefined();
    }
  });
});
