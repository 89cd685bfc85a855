import { describe, expect, it } from 'vitest';
import { LocationInput, applyLocationInput, assessLocationReadiness } from '#shared/domain/location.ts';
import { locationBody } from '../support/fixtures.ts';

const now = new Date('2026-11-27T10:00:00.000Z');
const later = new Date('2026-11-27T11:00:00.000Z');

describe('applyLocationInput', () => {
  it('creates version 1 with both timestamps set to now', () => {
    const { location, change } = applyLocationInput(undefined, 'wh-boston', LocationInput.parse(locationBody()), now);
    expect(change).toBe('created');
    expect(location).toMatchObject({ locationId: 'wh-boston', version: 1, createdAt: now.toISOString(), updatedAt: now.toISOString() });
  });

  it('treats the same desired state as unchanged, whatever the order of capabilities', () => {
    const { location } = applyLocationInput(undefined, 'store-1', LocationInput.parse(locationBody({ capabilities: ['ship', 'pickup'] })), now);
    const again = applyLocationInput(location, 'store-1', LocationInput.parse(locationBody({ capabilities: ['pickup', 'ship'] })), later);
    expect(again.change).toBe('unchanged');
    expect(again.location).toBe(location);
  });

  it('bumps the version on a change, keeps createdAt and drops the stale readiness', () => {
    const created = applyLocationInput(undefined, 'wh-boston', LocationInput.parse(locationBody()), now).location;
    const assessed = { ...created, readiness: assessLocationReadiness(created, now) };
    const { location, change } = applyLocationInput(assessed, 'wh-boston', LocationInput.parse(locationBody({ name: 'Boston FC' })), later);
    expect(change).toBe('updated');
    expect(location).toMatchObject({ version: 2, name: 'Boston FC', createdAt: now.toISOString(), updatedAt: later.toISOString() });
    expect(location.readiness).toBeUndefined();
  });

  it('removes geo when the new state has none', () => {
    const created = applyLocationInput(undefined, 'wh', LocationInput.parse(locationBody()), now).location;
    const { geo: _geo, ...withoutGeo } = locationBody();
    const { location } = applyLocationInput(created, 'wh', LocationInput.parse(withoutGeo), later);
    expect('geo' in location).toBe(false);
  });
});

describe('LocationInput', () => {
  it('names every bad field and rejects unknown ones', () => {
    const result = LocationInput.safeParse({
      name: '',
      type: 'depot',
      address: { lines: [], city: 'Boston', postalCode: '02108', country: 'usa' },
      capabilities: ['ship', 'ship'],
      capabilties: ['typo'],
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['name', 'type', 'address.lines', 'address.country', 'capabilities', '']));
    expect(result.error?.issues.find((i) => i.code === 'unrecognized_keys')).toMatchObject({ keys: ['capabilties'] });
  });

  it('defaults active to true', () => {
    const { active: _active, ...body } = locationBody();
    expect(LocationInput.parse(body).active).toBe(true);
  });
});

describe('assessLocationReadiness', () => {
  const base = applyLocationInput(undefined, 'wh', LocationInput.parse(locationBody()), now).location;

  it('is ready when active, capable and geolocated', () => {
    expect(assessLocationReadiness(base, now)).toEqual({ status: 'ready', problems: [], checkedVersion: 1, checkedAt: now.toISOString() });
  });

  it('lists every problem an operator must fix', () => {
    const { geo: _geo, ...noGeo } = base;
    const readiness = assessLocationReadiness({ ...noGeo, active: false, capabilities: [] }, now);
    expect(readiness.status).toBe('needs_attention');
    expect(readiness.problems.map((p) => p.code)).toEqual(['inactive', 'no_capabilities', 'no_geo']);
  });
});
