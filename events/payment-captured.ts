import * as z from 'zod';
import { defineEvent } from './define.ts';

export const PaymentCaptured = defineEvent({
  detailType: 'PaymentCaptured',
  source: 'oms.fulfillment',
  version: 1,
  description: 'Money was captured for a shipment (the shipped share; the last shipment captures the rest of the total).',
  data: z.object({
    orderId: z.string(),
    shipmentId: z.string(),
    captureId: z.string(),
    amount: z.number().int(),
    capturedTotal: z.number().int(),
    currency: z.string(),
    complete: z.boolean(),
  }),
});
