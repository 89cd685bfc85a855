import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ClaimResolved = defineEvent({
  detailType: 'ClaimResolved',
  source: 'oms.orders',
  version: 1,
  description:
    'A claim (ClaimCreated) is closed with its outcome, in the same transaction as the claim leaving `open`: `reship` — its reship order exists (`reshipOrderId`; ExchangeCreated with `kind: reship` was published with that order); `refund` — its refund exists (`refundId`, `refundStatus`; RefundIssued or RefundFailed says how the money went); `dismiss` — staff found nothing to make good (the parcel turned up) and its units can be claimed again. Published once per claim, for staff claims filed with a resolution as for carrier claims staff resolved; asking again for the same resolution publishes nothing. `resolvedBy` is the person who resolved a carrier claim, or who filed a staff claim.',
  data: z.object({
    claimId: z.string(),
    orderId: z.string(),
    kind: z.enum(['damaged', 'lost', 'exception']),
    resolution: z.enum(['reship', 'refund', 'dismiss']),
    resolvedBy: z.string(),
    lines: z.array(z.object({ lineId: z.string(), sku: z.string(), quantity: z.number().int().min(1) })),
    reshipOrderId: z.string().optional(),
    refundId: z.string().optional(),
    refundStatus: z.string().optional().meta({ description: 'The refund\'s status when the claim was settled (`refunded`, `pending`, `failed`, …).' }),
    shipmentId: z.string().optional().meta({ description: 'The parcel, for a claim a carrier scan opened.' }),
  }),
});
