import * as z from 'zod';
import { EventMetadata } from '#events/define.ts';
import { fulfillmentDeps, paymentDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { cancelOpenFulfillments } from '#shared/use-cases/fulfillment.ts';
import { voidAuthorization } from '#shared/use-cases/payments.ts';

const fulfillment = fulfillmentDeps();
const payments = paymentDeps();

/** Rule target of OrderCancelled: open fulfillments are cancelled (labels voided) and an uncaptured authorization is voided. */
export const handler = taskHandler(
  z.object({ detail: z.object({ metadata: EventMetadata, data: z.object({ order: z.object({ orderId: z.string() }), reason: z.string().optional() }) }) }),
  async ({ detail }) => {
    const actor = { actor: 'fulfillment', correlationId: detail.metadata.correlationId ?? detail.metadata.eventId };
    const { cancelled } = await cancelOpenFulfillments(fulfillment, { orderId: detail.data.order.orderId, reason: detail.data.reason ?? 'order cancelled', ...actor });
    const payment = await voidAuthorization(payments, { orderId: detail.data.order.orderId, ...actor });
    return { cancelled, payment: payment.outcome };
  },
  { correlationId: ({ detail }) => detail.metadata.correlationId ?? detail.metadata.eventId },
);
