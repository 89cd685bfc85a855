import * as z from 'zod';
import { defineEvent } from './define.ts';

export const AvailabilityChanged = defineEvent({
  detailType: 'AvailabilityChanged',
  source: 'oms.inventory',
  version: 1,
  description:
    'The available quantity of a SKU at a location (shard) changed, by any movement. Published from the table stream of stock positions, so no change is missed. Channel available-to-sell pushes and waiting backorders follow it.',
  data: z.object({
    sku: z.string(),
    locationId: z.string(),
    shard: z.number().int().min(0),
    available: z.number().int(),
    previousAvailable: z.number().int(),
    onHand: z.number().int(),
    reserved: z.number().int(),
    change: z.enum(['increased', 'decreased']),
  }),
});
