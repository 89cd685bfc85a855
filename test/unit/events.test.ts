import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventCatalog, findEvent } from '#events/catalog.ts';
import { LocationChanged } from '#events/location-changed.ts';
import { OrderReceived } from '#events/order-received.ts';
import { EventSource } from '#events/define.ts';
import { LocationInput, applyLocationInput } from '#shared/domain/location.ts';
import { eventSchemaFiles, markdownSections, withSections } from '../../scripts/generate-docs.ts';
import { locationBody } from '../support/fixtures.ts';
import { fixture } from '../support/channel-fixtures.ts';

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

  it('are listed, with the rules that consume them, in the generated tables of the docs (run `npm run docs:generate`)', () => {
    for (const [file, sections] of Object.entries(markdownSections())) {
      const committed = readFileSync(new URL(`../../docs/${file}`, import.meta.url), 'utf8');
      expect(committed, file).toBe(withSections(committed, sections));
    }
  });
});

describe('order events', () => {
  it('stay under the EventBridge size limit, saying when lines were left out', async () => {
    const { eventOrder, withoutPersonalData } = await import('#events/order-payload.ts');
    const { ShopifyOrder, shopifyToDraft } = await import('#shared/channels/shopify.ts');
    const draft = shopifyToDraft(ShopifyOrder.parse(fixture('shopify-orders-create.json')), { channelId: 'shop' });
    const order = { ...draft, orderId: '01M8EJV774P67P6BX5MZSVEP9Q', status: 'received' as const, version: 1, createdAt: draft.channelCreatedAt, updatedAt: draft.channelCreatedAt };
    expect(eventOrder(order)).toEqual({ order: withoutPersonalData(order) });
    const [line] = draft.lines;
    if (!line) throw new Error('fixture has lines');
    const huge = { ...order, lines: Array.from({ length: 1000 }, (_, i) => ({ ...line, lineId: `L${i}`, title: 't'.repeat(400) })) };
    const carried = eventOrder(huge);
    expect(carried.linesTruncated).toBe(true);
    expect(carried.order.lines.length).toBeLessThan(1000);
    expect(Buffer.byteLength(JSON.stringify(OrderReceived.create(carried, { occurredAt: new Date(), actor: 'test' }).detail))).toBeLessThan(256 * 1024);
  });
});
