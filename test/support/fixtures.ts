import type { ChannelInput } from '#shared/domain/channel.ts';
import type { LocationInput } from '#shared/domain/location.ts';

/** A complete, valid location body (PUT /v1/locations/{id}). */
export function locationBody(overrides: Partial<LocationInput> = {}): LocationInput {
  return {
    name: 'Boston DC',
    type: 'warehouse',
    address: { lines: ['88 Tremont St'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' },
    geo: { lat: 42.3581, lon: -71.0609 },
    capabilities: ['ship'],
    active: true,
    ...overrides,
  };
}

/** A Shopify channel body with its webhook secret. */
export function shopifyChannelBody(overrides: Record<string, unknown> = {}): ChannelInput {
  return {
    type: 'shopify',
    name: 'Acme US storefront',
    active: true,
    settings: { shopDomain: 'acme.myshopify.com', apiVersion: '2026-10' },
    secrets: { webhookSecret: 'shpss_super_secret_value_0123456789abcdef' },
    ...overrides,
  } as ChannelInput;
}

/** The value, or a failed test saying what was missing (instead of a non-null assertion). */
export function must<T>(value: T | null | undefined, what = 'a value'): T {
  if (value === null || value === undefined) throw new Error(`Expected ${what}, got ${String(value)}`);
  return value;
}
