import { describe, expect, it } from 'vitest';
import { ChannelInput, applyChannelInput } from '#shared/domain/channel.ts';
import { ConflictError, ValidationError } from '#shared/domain/errors.ts';
import { shopifyChannelBody } from '../support/fixtures.ts';

const now = new Date('2026-11-27T10:00:00.000Z');
const later = new Date('2026-11-27T11:00:00.000Z');

function create(body: unknown = shopifyChannelBody()) {
  const result = applyChannelInput(undefined, 'shop-us', ChannelInput.parse(body), now);
  return { channel: result.channel, secrets: result.secrets ?? {} };
}

describe('applyChannelInput', () => {
  it('keeps secret values out of the channel and lists only their names', () => {
    const { channel, secrets } = create();
    expect(secrets).toEqual({ webhookSecret: 'shpss_super_secret_value_0123456789abcdef' });
    expect(channel.secretsConfigured).toEqual(['webhookSecret']);
    expect(JSON.stringify(channel)).not.toContain('shpss_super_secret_value_0123456789abcdef');
  });

  it('refuses to create a channel without its required secrets, naming each one', () => {
    const body = { type: 'amazon', name: 'Amazon US', settings: { marketplaceIds: ['ATVPDKIKX0DER'], clientId: 'amzn1.app' } };
    expect(() => applyChannelInput(undefined, 'amazon-us', ChannelInput.parse(body), now)).toThrow(ValidationError);
    try {
      applyChannelInput(undefined, 'amazon-us', ChannelInput.parse(body), now);
    } catch (error) {
      expect((error as ValidationError).details.map((d) => d.path)).toEqual(['secrets.clientSecret', 'secrets.refreshToken']);
    }
  });

  it('keeps stored secrets when a later PUT omits them', () => {
    const existing = create();
    const { secrets: _secrets, ...withoutSecrets } = shopifyChannelBody({ name: 'Renamed' });
    const result = applyChannelInput(existing, 'shop-us', ChannelInput.parse(withoutSecrets), later);
    expect(result.change).toBe('updated');
    expect(result.secrets).toBeUndefined();
    expect(result.channel.secretsConfigured).toEqual(['webhookSecret']);
  });

  it('replaces a secret that is sent again and removes an optional one sent as null', () => {
    const existing = create(shopifyChannelBody({ secrets: { webhookSecret: 'shpss_first_secret_0123456789abcdef', adminAccessToken: 'b' } }));
    const replaced = applyChannelInput(existing, 'shop-us', ChannelInput.parse(shopifyChannelBody({ secrets: { webhookSecret: 'shpss_second_secret_0123456789abcdef', adminAccessToken: null } })), later);
    expect(replaced.secrets).toEqual({ webhookSecret: 'shpss_second_secret_0123456789abcdef' });
    expect(replaced.channel.secretsConfigured).toEqual(['webhookSecret']);
  });

  it('refuses to remove a required secret', () => {
    const existing = create();
    expect(() =>
      applyChannelInput(existing, 'shop-us', ChannelInput.parse(shopifyChannelBody({ secrets: { webhookSecret: null } })), later),
    ).toThrow(ValidationError);
  });

  it('is unchanged when settings and secrets are the same', () => {
    const existing = create();
    expect(applyChannelInput(existing, 'shop-us', ChannelInput.parse(shopifyChannelBody()), later).change).toBe('unchanged');
  });

  it('counts a new secret value as a change, though the channel looks the same', () => {
    const existing = create();
    const result = applyChannelInput(existing, 'shop-us', ChannelInput.parse(shopifyChannelBody({ secrets: { webhookSecret: 'shpss_rotated_secret_0123456789abcdef' } })), later);
    expect(result.change).toBe('updated');
    expect(result.channel.version).toBe(2);
  });

  it('refuses to change the type of a channel', () => {
    const existing = create();
    const woo = { type: 'woocommerce', name: 'Woo', settings: { storeUrl: 'https://shop.example' }, secrets: { webhookSecret: 'woo-webhook-secret-0123456789abcdef' } };
    expect(() => applyChannelInput(existing, 'shop-us', ChannelInput.parse(woo), later)).toThrow(ConflictError);
  });
});

describe('ChannelInput', () => {
  it('applies the documented defaults of polled marketplaces', () => {
    const parsed = ChannelInput.parse({
      type: 'ebay',
      name: 'eBay',
      settings: { clientId: 'app-id' },
      secrets: { clientSecret: 's', refreshToken: 'r' },
    });
    expect(parsed.settings).toEqual({
      clientId: 'app-id',
      endpoint: 'https://api.ebay.com',
      tokenUrl: 'https://api.ebay.com/identity/v1/oauth2/token',
      pollIntervalMinutes: 5,
      writeBack: true,
    });
  });

  it('holds webhook signing secrets to 32 characters, naming the field and the minimum; other secrets may be shorter', () => {
    for (const body of [shopifyChannelBody({ secrets: { webhookSecret: 'x'.repeat(31) } }), { type: 'woocommerce', name: 'Woo', settings: { storeUrl: 'https://shop.example' }, secrets: { webhookSecret: 'short' } }]) {
      const issues = ChannelInput.safeParse(body).error?.issues ?? [];
      expect(issues.map((i) => ({ path: i.path.join('.'), message: i.message }))).toEqual([{ path: 'secrets.webhookSecret', message: 'A signing secret must be at least 32 characters' }]);
    }
    expect(ChannelInput.safeParse(shopifyChannelBody({ secrets: { webhookSecret: 'x'.repeat(32), adminAccessToken: 'shpat_1' } })).success).toBe(true);
    expect(ChannelInput.safeParse({ type: 'ebay', name: 'eBay', settings: { clientId: 'app-id' }, secrets: { clientSecret: 's', refreshToken: 'r' } }).success).toBe(true);
  });

  it('rejects an unknown type at the discriminator and unknown secret names', () => {
    expect(ChannelInput.safeParse({ type: 'etsy', name: 'x', settings: {} }).error?.issues[0]?.path).toEqual(['type']);
    const extra = ChannelInput.safeParse(shopifyChannelBody({ secrets: { webhookSecret: 'shpss_first_secret_0123456789abcdef', password: 'b' } }));
    expect(extra.error?.issues.map((i) => i.path.join('.'))).toEqual(['secrets']);
  });
});
