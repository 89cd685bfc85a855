import * as z from 'zod';
import { ChannelType } from '#shared/domain/channel.ts';
import { defineEvent } from './define.ts';

export const ShipmentShipped = defineEvent({
  detailType: 'ShipmentShipped',
  source: 'oms.fulfillment',
  version: 1,
  description: 'Units of an order left a location; their reservation became a sale.',
  data: z.object({
    orderId: z.string(),
    channelId: z.string().optional().meta({ description: 'The channel the order came from (set since the channel write-back; absent on older events).' }),
    channelType: ChannelType.optional().meta({ description: 'Its type: the write-back rule routes only marketplace orders.' }),
    shipmentId: z.string(),
    locationId: z.string(),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) })),
    carrier: z.string().optional(),
    trackingNumber: z.string().optional(),
    orderStatus: z.enum(['partially_shipped', 'shipped']),
  }),
});
