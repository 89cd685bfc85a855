import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { Channel } from '#shared/domain/channel.ts';
import { SkuPolicy, StockMovement, StockPosition } from '#shared/domain/inventory.ts';
import { Location } from '#shared/domain/location.ts';
import { Order } from '#shared/domain/order.ts';
import { Reservation } from '#shared/domain/reservation.ts';
import { table } from '#shared/store/table.ts';

/**
 * Entities are stored as top-level attributes next to the table's own
 * (keys, index keys, entity marker, TTL). A field with one of those names
 * would be stripped on read — or, for the TTL attribute, could delete the item.
 */
describe('stored entities', () => {
  const reserved = new Set<string>([
    table.partitionKey,
    table.sortKey,
    table.entityAttribute,
    table.ttlAttribute,
    ...Object.values(table.indexes).flatMap((i) => [i.partitionKey, i.sortKey]),
  ]);
  it.each([
    ['Location', Location],
    ['Channel', Channel],
    ['Order', Order],
    ['Reservation', Reservation],
    ['StockPosition', StockPosition],
    ['StockMovement', StockMovement],
    ['SkuPolicy', SkuPolicy],
  ] as [string, z.ZodObject][])('%s has no field named like a table attribute', (_name, schema) => {
    expect(Object.keys(schema.shape).filter((field) => reserved.has(field))).toEqual([]);
  });
});
