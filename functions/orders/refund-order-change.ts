import * as z from 'zod';
import { EventMetadata } from '#events/define.ts';
import { OrderChangeSet } from '#shared/domain/order-changes.ts';
import { refundDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { refundOrderChange } from '#shared/use-cases/order-changes.ts';
import { issueRefund } from '#shared/use-cases/refunds.ts';

const deps = {
  issueRefund: (command: Parameters<typeof issueRefund>[1]) => issueRefund(refundDeps(), command),
  payment: (orderId: string) => refundDeps().fulfillments.payment(orderId),
};

/**
 * Rule target of OrderLinesCancelled and OrderEdited: a channel-paid order's difference is recorded as owed at the channel
 * (`refund_at_channel`); a card order whose provider captured ahead of shipping gets back what was captured beyond its new total.
 */
export const handler = taskHandler(
  z.object({ detail: z.object({ metadata: EventMetadata, data: z.object({ orderId: z.string(), change: OrderChangeSet }) }) }),
  async ({ detail }) =>
    refundOrderChange(deps, { orderId: detail.data.orderId, change: detail.data.change, actor: 'orders', correlationId: detail.metadata.correlationId ?? detail.metadata.eventId }),
  { correlationId: ({ detail }) => detail.metadata.correlationId ?? detail.metadata.eventId },
);
