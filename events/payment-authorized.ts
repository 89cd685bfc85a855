import * as z from 'zod';
import { defineEvent } from './define.ts';

export const PaymentAuthorized = defineEvent({
  detailType: 'PaymentAuthorized',
  source: 'oms.fulfillment',
  version: 1,
  description: 'The order\'s payment is confirmed: authorized with the provider (`mode: provider`), paid at the channel (`channel`) or cash on delivery.',
  data: z.object({
    orderId: z.string(),
    mode: z.enum(['provider', 'channel', 'cash_on_delivery']),
    provider: z.string().optional(),
    amount: z.number().int(),
    currency: z.string(),
    authorizationId: z.string().optional(),
    channelReference: z.string().optional(),
  }),
});
