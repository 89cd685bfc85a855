import * as z from 'zod';
import { EventMetadata } from '#events/define.ts';
import { OrderChangeSet } from '#shared/domain/order-changes.ts';
import { refundDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { refundOrderChange } from '#shared/use-cases/order-changes.ts';
import { issueRefund } from '#shared/use-cases/refunds.ts';

const deps = { issueRefund: (command: Parameters<typeof issueRefund>[1]) => issueRefund(refundDeps(), command) };

/** Rule target of OrderLinesCancelled and OrderEdited (`money.action: refund_at_channel`): the difference is recorded as owed at the channel. */
export const handler = taskHandler(
  z.object({ detail: z.object({ metadata: EventMetadata, data: z.object({ orderId: z.string(), change: OrderChangeSet }) }) }),
  async ({ detail }) =>
    refundOrderChange(deps, { orderId: detail.data.orderId, change: detail.data.change, actor: 'orders', correlationId: detail.metadata.correlationId ?? detail.metadata.eventId }),
  { correlationId: ({ detail }) => detail.metadata.correlationId ?? detail.metadata.eventId },
);
