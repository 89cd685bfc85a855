import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ExchangeCreated = defineEvent({
  detailType: 'ExchangeCreated',
  source: 'oms.orders',
  version: 1,
  description:
    'A replacement order was created for an exchange (a return with resolution `exchange`) or a claim\'s reship, in the same transaction as the new order (whose OrderReceived reserves and routes it as usual). `orderId` is the new order, `originalOrderId` the order it replaces units of; `returnId` or `claimId` says why. `held: true` while it waits for the return to be received (policy `exchangeShipsOn: receipt`). `difference` is the replacement\'s value minus the returned units\' (positive: charged as `action` says; negative: refunded on the original order when the return is received).',
  data: z.object({
    orderId: z.string(),
    originalOrderId: z.string(),
    returnId: z.string().optional(),
    claimId: z.string().optional(),
    kind: z.enum(['exchange', 'reship']),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) })),
    currency: z.string(),
    credit: z.number().int(),
    value: z.number().int(),
    difference: z.number().int(),
    action: z.enum(['none', 'authorize', 'collect_at_channel', 'collect_on_delivery', 'refund']),
    held: z.boolean(),
  }),
});
