import * as z from 'zod';
import { ChannelSyncRecord } from '#shared/domain/channel-writeback.ts';
import { defineOperation } from './operation.ts';

/** Channel write-back state of orders (spread into shared/http/operations.ts). */

const OrderId = z.string().meta({ description: 'OMS order id (ULID).', example: '01M8EJV774P67P6BX5MZSVEP9Q' });
const ActionId = z
  .string()
  .min(1)
  .max(200)
  .meta({ description: '`shipment:<shipmentId>`, `cancel`, `cancel:<changeId>` or `refund:<refundId>` (URL-encode the colon or not).', example: 'shipment:01M8EJV774P67P6BX5MZSVEP9Q' });

export const channelSyncOperations = {
  getOrderChannelSync: defineOperation({
    operationId: 'getOrderChannelSync',
    method: 'GET',
    path: '/v1/orders/{orderId}/channel-sync',
    auth: 'bearer',
    summary: 'What the order\'s channel was told: each shipment, cancellation and refund written back, with its state',
    description:
      'One record per action: `pending` (being sent, or waiting for its next try after a transient failure — `lastError` says what the channel answered), `sent` (with the channel\'s `reference`), `failed` (the channel refused it, or kept failing; `lastError` has its answer). Orders from `pos` and `web` channels, and channels with write-back off, have none.',
    tags: ['Orders'],
    params: z.object({ orderId: OrderId }),
    responses: { 200: { description: 'The order\'s write-back actions, by id.', schema: z.object({ items: z.array(ChannelSyncRecord) }).meta({ id: 'ChannelSyncList' }) } },
    errors: [401, 404],
  }),
  retryOrderChannelSync: defineOperation({
    operationId: 'retryOrderChannelSync',
    method: 'POST',
    path: '/v1/orders/{orderId}/channel-sync/{actionId}/retry',
    auth: 'bearer',
    summary: 'Send a failed write-back to the channel again',
    description:
      'For a `failed` action (e.g. after the merchant renewed a revoked token): it becomes `pending` and goes back on the write-back queue unchanged (202). The channel clients look for what an earlier attempt may have done before creating anything, so a retry never confirms, cancels or refunds twice. 409 `not_failed` for an action that is pending or sent.',
    tags: ['Orders'],
    params: z.object({ orderId: OrderId, actionId: ActionId }),
    body: z.object({}).optional(),
    responses: { 202: { description: 'The action, pending again.', schema: ChannelSyncRecord } },
    errors: [401, 404, 409],
  }),
};
