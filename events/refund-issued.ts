import * as z from 'zod';
import { defineEvent } from './define.ts';

export const RefundIssued = defineEvent({
  detailType: 'RefundIssued',
  source: 'oms.fulfillment',
  version: 1,
  description:
    'Money was given back for an order: refunded through the payment provider (`refunded`), or recorded to be paid back at the channel (`to_refund_at_channel`, with the channel reference) or by a person (`to_refund_manually`, cash on delivery), or issued as store credit (`store_credit`, with its code). Read it at GET /v1/orders/{orderId}/refunds.',
  data: z.object({
    refundId: z.string(),
    orderId: z.string(),
    returnId: z.string().optional(),
    kind: z.enum(['return', 'goodwill', 'cancellation', 'claim']),
    reason: z.string(),
    mode: z.enum(['provider', 'channel', 'cash_on_delivery']),
    status: z.enum(['refunded', 'to_refund_at_channel', 'to_refund_manually', 'store_credit']),
    amount: z.number().int(),
    currency: z.string(),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int(), amount: z.number().int() })),
    channelReference: z.string().optional(),
    creditNoteId: z.string().optional(),
    storeCreditCode: z.string().optional().meta({ description: 'Status `store_credit`: issued as this store-credit code instead of money back.' }),
  }),
});
