import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ClaimCreated = defineEvent({
  detailType: 'ClaimCreated',
  source: 'oms.orders',
  version: 1,
  description:
    'Units of a shipped order were claimed damaged or lost in transit: by staff (POST /v1/orders/{orderId}/claims, with its `resolution`), or by the carrier — a parcel scanned `exception` or `lost` opens one claim for staff to review (`reportedBy: carrier:<carrierId>`, `shipmentId`, no `resolution` until staff resolve it). `resolution: reship` — a new order at no charge follows (ExchangeCreated with `kind: reship`); `refund` — their value is refunded (RefundIssued, kind `claim`). No return is needed. ClaimResolved follows when the claim is settled or dismissed.',
  data: z.object({
    claimId: z.string(),
    orderId: z.string(),
    kind: z.enum(['damaged', 'lost', 'exception']),
    resolution: z.enum(['reship', 'refund']).optional(),
    lines: z.array(z.object({ lineId: z.string(), sku: z.string(), quantity: z.number().int().min(1) })),
    reportedBy: z.string(),
    shipmentId: z.string().optional(),
  }),
});
