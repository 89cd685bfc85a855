import * as z from 'zod';
import { defineEvent } from './define.ts';

export const NotificationSent = defineEvent({
  detailType: 'NotificationSent',
  source: 'oms.fulfillment',
  version: 1,
  description: 'A message went to the customer (once per template, what caused it — the order, a shipment — and channel).',
  data: z.object({
    notificationId: z.string(),
    orderId: z.string(),
    template: z.string(),
    channel: z.enum(['email', 'sms']),
    messageId: z.string(),
  }),
});
