import { NotFoundError } from '#shared/domain/errors.ts';
import { type Principal, requireChannel, requireLocation } from '#shared/domain/identity.ts';
import type { FulfillmentRepository, OrderRepository } from '#shared/ports.ts';

/**
 * Resource limits of a principal (docs/security.md): the scope itself is
 * checked by the HTTP wrapper; these check that the order's channel or the
 * fulfillment's location is one the principal may act for, before anything
 * is written. An order's channel and a fulfillment's location never change,
 * so the read cannot race the change that follows.
 */
const limited = (principal: Principal, limit: 'channels' | 'locations'): boolean => !principal.scopes.includes('admin') && principal[limit] !== undefined;

/** 403 unless the principal may write orders of the order's channel (404 for an unknown order). */
export async function authorizeOrder(deps: { orders: Pick<OrderRepository, 'get'> }, principal: Principal, orderId: string): Promise<void> {
  if (!limited(principal, 'channels')) return;
  const order = await deps.orders.get(orderId);
  if (!order) throw new NotFoundError(`Order ${orderId} does not exist`);
  requireChannel(principal, order.channel.channelId);
}

/** 403 unless the principal may report for the fulfillment's location (404 for an unknown fulfillment). */
export async function authorizeFulfillment(deps: { fulfillments: Pick<FulfillmentRepository, 'get'> }, principal: Principal, fulfillmentId: string): Promise<void> {
  if (!limited(principal, 'locations')) return;
  const fulfillment = await deps.fulfillments.get(fulfillmentId);
  if (!fulfillment) throw new NotFoundError(`Fulfillment ${fulfillmentId} does not exist`);
  requireLocation(principal, fulfillment.locationId);
}
