import * as z from 'zod';
import { defineEvent } from './define.ts';

export const RefundFailed = defineEvent({
  detailType: 'RefundFailed',
  source: 'oms.fulfillment',
  version: 1,
  description:
    'A provider refund was refused for good by the payment provider (e.g. the capture was already refunded at the provider, or the payment method takes no refunds): the refund is `failed`, `notRefunded` went back to what the payment can still refund, no credit note was issued. A person decides what to do (docs/operations.md). Read it at GET /v1/orders/{orderId}/refunds.',
  data: z.object({
    refundId: z.string(),
    orderId: z.string(),
    returnId: z.string().optional(),
    kind: z.enum(['return', 'goodwill', 'cancellation', 'claim']),
    reason: z.string(),
    provider: z.string(),
    amount: z.number().int().meta({ description: 'What the refund was to give back, minor units.' }),
    notRefunded: z.number().int().meta({ description: 'What the provider did not give back (all of `amount` unless some captures were refunded before another refused), minor units.' }),
    currency: z.string(),
    code: z.string().meta({ description: "The provider's code for the refusal." }),
    message: z.string(),
  }),
});
