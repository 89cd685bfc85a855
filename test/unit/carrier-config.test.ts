import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * On AWS only the functions that rate, buy or void labels are given the
 * EasyPost API key's secret id (access carrier:api). Every other function
 * that builds the carrier gateway (routing rules, return policies and
 * webhooks check carrier ids with it) must still build it, and a function
 * that calls EasyPost without the key must say which setting is missing.
 */
describe('the EasyPost gateway from configuration', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('is built without the API key (carrier ids answered), and a call without it names the missing setting', async () => {
    vi.stubEnv('TABLE_NAME', 'oms-config-test');
    vi.stubEnv('CARRIER_PROVIDER', 'easypost');
    vi.stubEnv('EASYPOST_CARRIERS', 'USPS,UPS');
    vi.stubEnv('EASYPOST_API_KEY', undefined);
    vi.stubEnv('EASYPOST_API_KEY_SECRET_ID', undefined);
    vi.resetModules();
    const { carriers } = await import('#shared/adapters/dependencies.ts');
    const gateway = carriers();
    expect(gateway.carrierIds()).toEqual(['easypost-usps', 'easypost-ups']);
    await expect(gateway.voidLabel('easypost-usps', '9400TEST', 'shp_1')).rejects.toThrow('Invalid configuration: set EASYPOST_API_KEY or EASYPOST_API_KEY_SECRET_ID');
  });

  it('stays the sandbox carriers without CARRIER_PROVIDER', async () => {
    vi.stubEnv('CARRIER_PROVIDER', undefined);
    vi.resetModules();
    const { carriers } = await import('#shared/adapters/dependencies.ts');
    expect(carriers().carrierIds()).toEqual(['parcelco', 'swiftship']);
  });
});
