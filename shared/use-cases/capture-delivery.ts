import { draftFromDelivery } from '#shared/channels/deliveries.ts';
import type { Clock } from '#shared/domain/clock.ts';
import type { InboxRepository, OrderRepository } from '#shared/ports.ts';
import { captureOrder, type CaptureOutcome } from './capture-order.ts';

/**
 * A stored delivery from the inbox becomes (or updates) its order. A delivery
 * that is no longer in the inbox (expired after a week in a dead-letter
 * queue) is reported as missing rather than failing forever.
 */
export async function captureDelivery(
  deps: { inbox: InboxRepository; orders: OrderRepository; clock: Clock },
  key: { PK: string; SK: string },
  hooks: { onCorrelationId?: (id: string) => void } = {},
): Promise<{ outcome: CaptureOutcome | 'missing'; orderId?: string; deliveryId?: string }> {
  const delivery = await deps.inbox.get(key);
  if (!delivery) return { outcome: 'missing' };
  if (delivery.correlationId) hooks.onCorrelationId?.(delivery.correlationId);
  const draft = draftFromDelivery(delivery);
  const { outcome, order } = await captureOrder(deps, {
    draft,
    source: delivery,
    actor: `channel:${delivery.channelId}`,
    correlationId: delivery.correlationId,
  });
  return { outcome, orderId: order.orderId, deliveryId: delivery.deliveryId };
}
