import * as z from 'zod';
import { defineEvent } from './define.ts';

export const CreditNoteIssued = defineEvent({
  detailType: 'CreditNoteIssued',
  source: 'oms.fulfillment',
  version: 1,
  description: 'A credit note got the next number of its series (gap-free): it corrects the invoices it names by what a refund gave back. Fetch the document at GET /v1/credit-notes/{creditNoteId}.',
  data: z.object({
    creditNoteId: z.string(),
    series: z.string(),
    number: z.number().int(),
    orderId: z.string(),
    refundId: z.string(),
    invoiceIds: z.array(z.string()),
    total: z.number().int(),
    currency: z.string(),
  }),
});
