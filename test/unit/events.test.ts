import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventCatalog, findEvent } from '#events/catalog.ts';
import { LocationChanged } from '#events/location-changed.ts';
import { EventSource } from '#events/define.ts';
import { LocationInput, applyLocationInput } from '#shared/domain/location.ts';
import { eventSchemaFiles } from '../../scripts/generate-docs.ts';
import { locationBody } from '../support/fixtures.ts';

const location = applyLocationInput(undefined, 'wh', LocationInput.parse(locationBody()), new Date('2026-11-27T10:00:00Z')).location;

describe('event modules', () => {
  it('create an envelope with metadata and validated data', () => {
    const event = LocationChanged.create(
      { change: 'created', location },
      { occurredAt: new Date('2026-11-27T10:00:00Z'), actor: 'api', correlationId: 'c-1' },
    );
    expect(event).toMatchObject({
      source: 'oms.locations',
      detailType: 'LocationChanged',
      detail: { metadata: { eventVersion: 1, occurredAt: '2026-11-27T10:00:00.000Z', actor: 'api', correlationId: 'c-1' } },
    });
    expect(event.eventId).toBe(event.detail.metadata.eventId);
    expect(LocationChanged.parse(event.detail).data.location.locationId).toBe('wh');
  });

  it('refuse to create an event whose data breaks the contract', () => {
    expect(() =>
      LocationChanged.create({ change: 'deleted' as 'created', location }, { occurredAt: new Date(), actor: 'api' }),
    ).toThrow();
  });

  it('build the rule pattern from the same module', () => {
    expect(LocationChanged.pattern()).toEqual({ source: ['oms.locations'], 'detail-type': ['LocationChanged'] });
  });

  it('are catalogued once each, from a known source', () => {
    const names = eventCatalog.map((e) => `${e.source}/${e.detailType}/v${e.version}`);
    expect(new Set(names).size).toBe(names.length);
    for (const event of eventCatalog) {
      expect(EventSource.options).toContain(event.source);
      expect(findEvent(event.source, event.detailType)).toBe(event);
    }
  });

  it('match the committed JSON Schemas in docs/events (run `npm run docs:generate` after a change)', () => {
    for (const [file, schema] of Object.entries(eventSchemaFiles())) {
      const committed = JSON.parse(readFileSync(new URL(`../../docs/events/${file}`, import.meta.url), 'utf8')) as unknown;
      expect(committed, file).toEqual(schema);
    }
  });
});
