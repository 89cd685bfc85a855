import { ChannelChanged } from '#events/channel-changed.ts';
import type { Channel } from '#shared/domain/channel.ts';
import type { ComplianceRequest } from '#shared/domain/compliance.ts';
import { customerOfOrder } from '#shared/domain/customer.ts';
import { ConcurrentModificationError, NotFoundError } from '#shared/domain/errors.ts';
import type { Order } from '#shared/domain/order.ts';
import type { ChannelRepository, ComplianceRepository, Page, PageRequest } from '#shared/ports.ts';
import { eraseCustomerOrders, type CustomerDeps } from './customers.ts';
import { collectPages } from './pages.ts';
import { retryOnConcurrentModification } from './retry.ts';

/**
 * Shopify's mandatory compliance webhooks, wired to the customer use cases
 * (docs/security.md "Shopify compliance webhooks").
 *
 * A shop's request covers that shop's data only: a customer redaction erases
 * the orders of the channel the webhook came for (found by the customer's
 * e-mail in the customer index, and by the Shopify order ids it names), never
 * the same person's orders from other channels, which the person gave to the
 * merchant through another channel (an erasure across channels is the
 * merchant's POST /v1/customers/{customerId}/erase). A data request is
 * recorded for the merchant, who must answer the customer: the OMS sends no
 * personal data anywhere by itself.
 */

/** A shop redaction works through the channel's orders this many at a time per run, then continues in a new run. */
export const SHOP_REDACT_ORDERS_PER_RUN = 100;
const SHOP_REDACT_PAGE = 25;
/** List calls per run at most (a window with few orders walks many empty months). */
const SHOP_REDACT_LIST_CALLS = 20;
/** Orders placed before this are not looked for (the oldest any channel can backfill). */
const SHOP_REDACT_FROM = '2000-01-01T00:00:00.000Z';

export interface ComplianceDeps extends CustomerDeps {
  compliance: ComplianceRepository;
  channels: Pick<ChannelRepository, 'get' | 'removeSecrets'>;
  /** Smaller runs for tests; SHOP_REDACT_ORDERS_PER_RUN orders in pages of 25 by default. */
  shopRedact?: { ordersPerRun: number; pageSize: number };
}

export type ComplianceOutcome = 'missing' | 'already_completed' | 'completed' | 'continued' | 'superseded';

/**
 * Acts on a stored request (the compliance queue's consumer). Idempotent: a
 * completed request is left alone, erasing an erased order changes nothing,
 * and a run that lost the race to save its progress gives way to the winner.
 */
export async function handleComplianceRequest(deps: ComplianceDeps, key: { PK: string; SK: string }): Promise<{ outcome: ComplianceOutcome; requestId?: string }> {
  const request = await deps.compliance.get(key);
  if (!request) return { outcome: 'missing' };
  if (request.status === 'completed') return { outcome: 'already_completed', requestId: request.requestId };
  const next = await act(deps, request);
  try {
    await deps.compliance.save({ ...next, version: request.version + 1 }, request.version);
  } catch (error) {
    if (error instanceof ConcurrentModificationError) return { outcome: 'superseded', requestId: request.requestId };
    throw error;
  }
  return { outcome: next.status === 'completed' ? 'completed' : 'continued', requestId: request.requestId };
}

async function act(deps: ComplianceDeps, request: ComplianceRequest): Promise<ComplianceRequest> {
  const actor = `channel:${request.channelId}`;
  const now = () => deps.clock.now().toISOString();
  switch (request.topic) {
    case 'customers/data_request': {
      const orders = await ordersOfCustomer(deps, request);
      return {
        ...request,
        status: 'completed',
        completedAt: now(),
        result: {
          orderIds: orders.map((order) => order.orderId),
          erasureIds: [],
          ...(request.customerId && orders.length > 0 ? { export: `/v1/customers/${request.customerId}/export` } : {}),
        },
      };
    }
    case 'customers/redact': {
      const orders = await ordersOfCustomer(deps, request);
      const { orderIds, erasureIds } = await eraseGrouped(deps, orders, request.customerId, { actor, requestId: request.requestId });
      return { ...request, status: 'completed', completedAt: now(), result: { orderIds, erasureIds } };
    }
    case 'shop/redact':
      return redactShopPart(deps, request, actor);
  }
}

/**
 * The channel's orders of the request's customer: those in the customer
 * index (by the e-mail's digest) placed through this channel, and those the
 * request names by Shopify order id. Shopify's customer id is not kept on
 * orders, so it finds nothing more.
 */
async function ordersOfCustomer(deps: ComplianceDeps, request: ComplianceRequest): Promise<Order[]> {
  const ids = new Set<string>();
  if (request.customerId) {
    const { customerId } = request;
    const refs = await collectPages((page) => deps.customers.orders(customerId, page));
    refs.filter((ref) => ref.channelId === request.channelId).forEach((ref) => ids.add(ref.orderId));
  }
  const named = await Promise.all(request.shopifyOrderIds.map((id) => deps.orders.findByChannelRef(request.channelId, id)));
  named.forEach((order) => order && ids.add(order.orderId));
  const orders = await Promise.all([...ids].map((orderId) => deps.orders.get(orderId)));
  return orders.filter((order): order is Order => order !== undefined && order.channel.channelId === request.channelId);
}

/** Erases orders, one erasure per customer on their audit trail (orders without an e-mail go under the request's customer, if any). */
async function eraseGrouped(
  deps: ComplianceDeps,
  orders: readonly Pick<Order, 'orderId' | 'customer'>[],
  fallbackCustomerId: string | undefined,
  command: { actor: string; requestId: string },
): Promise<{ orderIds: string[]; erasureIds: string[] }> {
  const groups = new Map<string | undefined, string[]>();
  for (const order of orders) {
    const customerId = customerOfOrder(order) ?? fallbackCustomerId;
    groups.set(customerId, [...(groups.get(customerId) ?? []), order.orderId]);
  }
  const orderIds: string[] = [];
  const erasureIds: string[] = [];
  for (const [customerId, ids] of groups) {
    const done = await eraseCustomerOrders(deps, { customerId, orderIds: ids, actor: command.actor, requestId: command.requestId });
    orderIds.push(...done.orderIds);
    if (done.erasure) erasureIds.push(done.erasure.erasureId);
  }
  return { orderIds, erasureIds };
}

/**
 * One run of a shop redaction: up to SHOP_REDACT_ORDERS_PER_RUN of the
 * channel's orders (placed before the request arrived) erased, then the
 * position saved; saving it is what starts the next run (its stream record
 * goes to the compliance queue again). After the last page the channel's
 * stored secrets are deleted and the channel deactivated.
 */
async function redactShopPart(deps: ComplianceDeps, request: ComplianceRequest, actor: string): Promise<ComplianceRequest> {
  const progress = request.progress ?? { ordersErased: 0, ordersSeen: 0 };
  let cursor = progress.cursor;
  let seen = 0;
  let erased = 0;
  const filter = { channelId: request.channelId, from: SHOP_REDACT_FROM, to: request.receivedAt };
  const { ordersPerRun, pageSize } = deps.shopRedact ?? { ordersPerRun: SHOP_REDACT_ORDERS_PER_RUN, pageSize: SHOP_REDACT_PAGE };
  for (let calls = 0; calls < SHOP_REDACT_LIST_CALLS && seen < ordersPerRun; calls++) {
    const page = await deps.orders.list(filter, { limit: pageSize, cursor });
    seen += page.items.length;
    // Each customer's erasure goes on their audit trail with the request id; the request itself keeps counts only.
    const done = await eraseGrouped(deps, page.items, undefined, { actor, requestId: request.requestId });
    erased += done.orderIds.length;
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  const totals = { ordersErased: progress.ordersErased + erased, ordersSeen: progress.ordersSeen + seen };
  if (cursor) return { ...request, status: 'in_progress', progress: { cursor, ...totals } };
  const removed = await retryOnConcurrentModification(async () => {
    const channel = await deps.channels.get(request.channelId);
    if (!channel) return false;
    const now = deps.clock.now();
    const next: Channel = { ...channel, active: false, secretsConfigured: [], version: channel.version + 1, updatedAt: now.toISOString() };
    // Subscribers learn the channel is inactive as from any change (ChannelChanged, no secret values).
    const event = ChannelChanged.create({ change: 'updated', channel: next }, { occurredAt: now, actor });
    await deps.channels.removeSecrets(next, { expectedVersion: channel.version, events: [event] });
    return true;
  }, 5);
  return {
    ...request,
    status: 'completed',
    completedAt: deps.clock.now().toISOString(),
    progress: totals,
    result: { orderIds: [], erasureIds: [], secretsRemoved: removed },
  };
}

/** The channel's compliance requests (admin), for operations and the merchant's answer to a data request. */
export async function listComplianceRequests(
  deps: { compliance: Pick<ComplianceRepository, 'list'>; channels: { get(channelId: string): Promise<unknown> } },
  channelId: string,
  page: PageRequest,
): Promise<Page<ComplianceRequest>> {
  if (!page.cursor && !(await deps.channels.get(channelId))) throw new NotFoundError(`Channel ${channelId} does not exist`);
  return deps.compliance.list(channelId, page);
}
