import { createHash } from 'node:crypto';
import { type ApiOrderInput, apiOrderToDraft } from '#shared/channels/api-order.ts';
import { canonicalJson } from '#shared/domain/canonical-json.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { ConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import type { Order, OrderSummary, TimelineEntry } from '#shared/domain/order.ts';
import type { ChannelRepository, ChannelSyncActionRepository, IdempotencyRepository, OrderListFilter, OrderRepository, OrderSource, Page, PageRequest } from '#shared/ports.ts';
import { ChannelId } from '#shared/domain/channel.ts';
import type { Actor } from './actor.ts';
import { captureOrder, type CaptureOutcome } from './capture-order.ts';

const ORDER_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export async function getOrder(deps: { orders: Pick<OrderRepository, 'get'> }, orderId: string): Promise<Order> {
  assertOrderId(orderId);
  const order = await deps.orders.get(orderId);
  if (!order) throw new NotFoundError(`Order ${orderId} does not exist`);
  return order;
}

/** An id that could never have been issued is not found, and never reaches a key. */
export function assertOrderId(orderId: string): void {
  if (!ORDER_ID.test(orderId)) throw new NotFoundError(`Order ${orderId} does not exist`);
}

export async function getOrderTimeline(deps: { orders: OrderRepository }, orderId: string, page: PageRequest): Promise<Page<TimelineEntry>> {
  await getOrder(deps, orderId);
  return deps.orders.timeline(orderId, page);
}

export async function getOrderSources(deps: { orders: OrderRepository }, orderId: string, page: PageRequest): Promise<Page<OrderSource>> {
  await getOrder(deps, orderId);
  return deps.orders.sources(orderId, page);
}

export async function getChannelOrder(deps: { orders: OrderRepository }, channelId: string, externalOrderId: string): Promise<Order> {
  const order = ChannelId.safeParse(channelId).success ? await deps.orders.findByChannelRef(channelId, externalOrderId) : undefined;
  if (!order) throw new NotFoundError(`Channel ${channelId} has no order ${externalOrderId} in the OMS`);
  return order;
}

export async function listOrders(
  deps: { orders: OrderRepository; channelSync?: Pick<ChannelSyncActionRepository, 'failed'> | undefined },
  filter: OrderListFilter & { channelSync?: 'failed' | undefined },
  page: PageRequest,
): Promise<Page<OrderSummary>> {
  const { channelSync, ...rest } = filter;
  if (channelSync) {
    const combined = Object.entries(rest).filter(([, value]) => value !== undefined).map(([name]) => name);
    if (combined.length) {
      throw new ValidationError('`channelSync` lists orders by their failed write-backs and is not combined with other filters', combined.map((name) => ({ in: 'query' as const, path: name, message: 'Not combined with `channelSync`' })));
    }
    if (!deps.channelSync) throw new Error('listOrders needs the write-back repository for channelSync');
    // Failed actions, newest first; an order with several appears once, at its newest failure.
    const failed = await deps.channelSync.failed(page);
    const orderIds = [...new Set(failed.items.map((item) => item.orderId))];
    const orders = await Promise.all(orderIds.map((orderId) => deps.orders.get(orderId)));
    return { items: orders.filter((order) => order !== undefined).map(({ lines, ...order }) => ({ ...order, lineCount: lines.length })), ...(failed.nextCursor ? { nextCursor: failed.nextCursor } : {}) };
  }
  if (rest.from && rest.to && rest.from > rest.to) {
    throw new ValidationError('`from` is after `to`', [{ in: 'query', path: 'from', message: 'Must not be after `to`' }]);
  }
  return deps.orders.list(rest, page);
}

/**
 * `POST /v1/orders` from a POS or web store. The Idempotency-Key makes the
 * call safe to retry: the same key and body replay the first answer, byte
 * for byte (`json` is the body as sent, and as stored for replays); the same
 * key with another body is a conflict. The order itself is also exactly-once
 * per (channel, externalOrderId), which defaults to the key.
 */
export async function placeApiOrder(
  deps: { orders: OrderRepository; channels: Pick<ChannelRepository, 'get'>; idempotency: IdempotencyRepository; clock: Clock },
  command: { input: ApiOrderInput; rawBody: unknown; idempotencyKey: string } & Actor,
): Promise<{ status: number; json: string }> {
  const fingerprint = createHash('sha256').update(canonicalJson(command.rawBody)).digest('base64url');
  const scope = `orders:${command.input.channelId}`;
  const claim = await deps.idempotency.claim(scope, command.idempotencyKey, fingerprint);
  if (claim.state === 'mismatch') {
    throw new ConflictError('This Idempotency-Key was already used with a different request body', 'idempotency_key_reused', [
      { in: 'header', path: 'idempotency-key', message: 'Use a new key for a new order' },
    ]);
  }
  if (claim.state === 'in_progress') {
    throw new ConflictError('A request with this Idempotency-Key is still being processed; retry shortly', 'idempotency_in_progress');
  }
  if (claim.state === 'completed') return claim.response;
  try {
    const channel = await deps.channels.get(command.input.channelId);
    if (!channel || (channel.type !== 'pos' && channel.type !== 'web')) {
      throw new ValidationError('Orders are placed through the API only for pos and web channels', [
        { in: 'body', path: 'channelId', message: channel ? `Channel ${channel.channelId} is a ${channel.type} channel` : 'No such channel' },
      ]);
    }
    const externalOrderId = command.input.externalOrderId ?? command.idempotencyKey;
    const now = deps.clock.now();
    const draft = apiOrderToDraft(command.input, channel, externalOrderId, now);
    const source: OrderSource = {
      deliveryId: `api:${command.idempotencyKey}`,
      via: 'api',
      receivedAt: now.toISOString(),
      headers: { 'idempotency-key': command.idempotencyKey },
      contentType: 'application/json',
      body: JSON.stringify(command.rawBody),
    };
    const { outcome, order } = await captureOrder(deps, { draft, source, actor: command.actor, correlationId: command.correlationId });
    const body: { order: Order; outcome: CaptureOutcome } = { order, outcome };
    const response = { status: outcome === 'created' ? 201 : 200, json: JSON.stringify(body) };
    await deps.idempotency.complete(scope, command.idempotencyKey, response);
    return response;
  } catch (error) {
    await deps.idempotency.release(scope, command.idempotencyKey);
    throw error;
  }
}
