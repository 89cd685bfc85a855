import * as z from 'zod';
import { defineEvent } from './define.ts';

export const PaymentFailed = defineEvent({
  detailType: 'PaymentFailed',
  source: 'oms.fulfillment',
  version: 1,
  description: 'The provider declined the authorization; the order is cancelled and its stock released.',
  data: z.object({ orderId: z.string(), provider: z.string(), amount: z.number().int(), currency: z.string(), declineCode: z.string(), message: z.string() }),
});
