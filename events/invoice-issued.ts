import * as z from 'zod';
import { defineEvent } from './define.ts';

export const InvoiceIssued = defineEvent({
  detailType: 'InvoiceIssued',
  source: 'oms.fulfillment',
  version: 1,
  description: 'An invoice got the next number of its series (gap-free). Fetch the document at GET /v1/invoices/{invoiceId}.',
  data: z.object({
    invoiceId: z.string(),
    series: z.string(),
    number: z.number().int(),
    orderId: z.string(),
    shipmentId: z.string().optional(),
    total: z.number().int(),
    currency: z.string(),
  }),
});
