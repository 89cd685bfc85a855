import * as z from 'zod';
import { Order } from '#shared/domain/order.ts';

/** EventBridge refuses events over 256 KB; order events stay well under it. */
const MAX_ORDER_BYTES = 200 * 1024;

/**
 * The order as events carry it: whole, unless its lines would push the event
 * past EventBridge's size limit — then the first lines that fit, and
 * `linesTruncated: true` (read the rest with GET /v1/orders/{orderId}).
 */
export const EventOrder = {
  order: Order,
  linesTruncated: z.literal(true).optional().meta({ description: 'Set when `order.lines` holds only the first lines; `order.lines` is otherwise complete.' }),
};

export function eventOrder(order: Order): { order: Order; linesTruncated?: true } {
  if (Buffer.byteLength(JSON.stringify(order)) <= MAX_ORDER_BYTES) return { order };
  const lines = [...order.lines];
  while (lines.length > 1 && Buffer.byteLength(JSON.stringify({ ...order, lines })) > MAX_ORDER_BYTES) lines.splice(Math.ceil(lines.length * 0.9));
  return { order: { ...order, lines }, linesTruncated: true };
}
