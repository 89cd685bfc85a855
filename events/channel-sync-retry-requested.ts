import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ChannelSyncRetryRequested = defineEvent({
  detailType: 'ChannelSyncRetryRequested',
  source: 'oms.orders',
  version: 1,
  description:
    'A person asked the OMS to send a failed write-back action to its channel again (POST /v1/orders/{orderId}/channel-sync/{actionId}/retry): the action is pending again and goes back on the write-back queue, unchanged.',
  data: z.object({
    orderId: z.string(),
    actionId: z.string().meta({ description: '`shipment:<shipmentId>`, `cancel`, `cancel:<changeId>` or `refund:<refundId>`.' }),
    channelId: z.string(),
    kind: z.enum(['shipment', 'cancellation', 'refund']),
  }),
});
