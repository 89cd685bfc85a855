import { describe, expect, it } from 'vitest';
import { secretLengthProblem, secretValue } from '#shared/adapters/secret-value.ts';
import { MIN_SIGNING_SECRET_LENGTH } from '#shared/domain/channel.ts';
import { startOms } from '#infra/local/runtime.ts';

/**
 * Signing secrets the deployment verifies webhooks with (carrier, Stripe,
 * EasyPost) are at least 32 characters: a shorter configured value refuses
 * to start, with a message naming the setting and never the value.
 */
describe('signing secrets from the configuration', () => {
  const names = { value: 'CARRIER_WEBHOOK_SECRET', secretId: 'CARRIER_WEBHOOK_SECRET_ID', minLength: MIN_SIGNING_SECRET_LENGTH };

  it('refuse a value shorter than 32 characters, naming the variable and not the value', () => {
    const short = 'carrier-secret-of-31-characters';
    expect(short).toHaveLength(31);
    expect(() => secretValue(names, { CARRIER_WEBHOOK_SECRET: short })).toThrow(
      'Invalid configuration: CARRIER_WEBHOOK_SECRET must be at least 32 characters (it has 31); generate a longer signing secret, e.g. `openssl rand -hex 32`',
    );
    expect(secretLengthProblem('STRIPE_WEBHOOK_SECRET', 'whsec_short', 32)).not.toContain('whsec_short');
  });

  it('take a value of 32 characters or more, and leave secrets without a minimum alone', async () => {
    expect(await secretValue(names, { CARRIER_WEBHOOK_SECRET: 'c'.repeat(32) })()).toBe('c'.repeat(32));
    expect(await secretValue({ value: 'STRIPE_SECRET_KEY', secretId: 'STRIPE_SECRET_KEY_ID' }, { STRIPE_SECRET_KEY: 'sk_1' })()).toBe('sk_1');
  });

  it('stop the local runtime before it starts anything when its carrier webhook secret is short', async () => {
    await expect(startOms({ carrierWebhookSecret: 'short-secret', schedules: false })).rejects.toThrow(/carrierWebhookSecret must be at least 32 characters \(it has 12\)/);
  });
});
