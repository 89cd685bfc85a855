import { gunzipSync } from 'node:zlib';
import type { Clock } from '#shared/domain/clock.ts';
import {
  customerIdOf,
  customerOfOrder,
  ERASED_TEXT,
  personalValues,
  pseudonymiseOrder,
  scrubPersonal,
  type CustomerErasure,
  type ErasureMark,
  type ErasureRecord,
} from '#shared/domain/customer.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { OrderSummary, type Order } from '#shared/domain/order.ts';
import type {
  ClaimRepository,
  CustomerRepository,
  FulfillmentRepository,
  InvoiceRepository,
  NotificationRepository,
  OrderItem,
  OrderRepository,
  Page,
  PageRequest,
  RefundRepository,
  ReturnRepository,
  StoreCreditRepository,
} from '#shared/ports.ts';
import type { Actor } from './actor.ts';
import { bodyDigestKey } from './receive-webhook.ts';
import { collectPages } from './pages.ts';
import { retryOnConcurrentModification } from './retry.ts';

export interface CustomerDeps {
  customers: CustomerRepository;
  orders: OrderRepository;
  notifications: Pick<NotificationRepository, 'forOrder'>;
  returns: Pick<ReturnRepository, 'forOrder'>;
  refunds: Pick<RefundRepository, 'forOrder'>;
  claims: Pick<ClaimRepository, 'forOrder'>;
  fulfillments: Pick<FulfillmentRepository, 'forOrder'>;
  invoices: Pick<InvoiceRepository, 'forOrder'>;
  storeCredits: Pick<StoreCreditRepository, 'forEmail'>;
  clock: Clock;
}

/** 404 unless the OMS holds (or held, and erased) something about the customer. */
async function knownCustomer(deps: Pick<CustomerDeps, 'customers'>, customerId: string): Promise<{ erasures: ErasureRecord | undefined }> {
  const [orders, erasures] = await Promise.all([deps.customers.orders(customerId, { limit: 1 }), deps.customers.erasures(customerId)]);
  if (orders.items.length === 0 && !erasures) throw new NotFoundError(`Customer ${customerId} has no orders`);
  return { erasures };
}

/** The customer id of an e-mail (any letter case, surrounding spaces), if the OMS knows the customer. */
export async function findCustomer(deps: Pick<CustomerDeps, 'customers'>, email: string): Promise<{ customerId: string; erased: boolean }> {
  const customerId = customerIdOf(email);
  const { erasures } = await knownCustomer(deps, customerId);
  return { customerId, erased: erasures !== undefined };
}

/** The customer's orders, newest first (a page of the customer index, each order's header read). */
export async function customerOrders(deps: Pick<CustomerDeps, 'customers' | 'orders'>, customerId: string, page: PageRequest): Promise<Page<OrderSummary>> {
  if (!page.cursor) await knownCustomer(deps, customerId);
  const refs = await deps.customers.orders(customerId, page);
  const orders = await Promise.all(refs.items.map((ref) => deps.orders.get(ref.orderId)));
  const items = orders.filter((order): order is Order => order !== undefined).map(({ lines, ...header }) => OrderSummary.parse({ ...header, lineCount: lines.length }));
  return { items, ...(refs.nextCursor ? { nextCursor: refs.nextCursor } : {}) };
}

/**
 * Everything the OMS holds about the customer, as JSON (GDPR Art. 15/20):
 * each order with its lines and addresses, the raw channel payloads it came
 * in, its timeline, the messages sent, fulfillments, returns, refunds,
 * claims and invoices, the store credit issued to the e-mail, and the
 * erasures already done.
 */
export async function exportCustomer(deps: CustomerDeps, customerId: string) {
  const { erasures } = await knownCustomer(deps, customerId);
  const refs = await collectPages((page) => deps.customers.orders(customerId, page));
  const orders = (await Promise.all(refs.map((ref) => deps.orders.get(ref.orderId)))).filter((order): order is Order => order !== undefined);
  const emails = [...new Set(orders.map((order) => order.customer.email?.trim().toLowerCase()).filter((email): email is string => Boolean(email)))];
  const perOrder = await Promise.all(
    orders.map(async (order) => {
      const [sources, timeline, notifications, fulfillments, returns, refunds, claims, invoices] = await Promise.all([
        collectPages((page) => deps.orders.sources(order.orderId, page)),
        collectPages((page) => deps.orders.timeline(order.orderId, page)),
        deps.notifications.forOrder(order.orderId),
        deps.fulfillments.forOrder(order.orderId),
        deps.returns.forOrder(order.orderId),
        deps.refunds.forOrder(order.orderId),
        deps.claims.forOrder(order.orderId),
        deps.invoices.forOrder(order.orderId),
      ]);
      return { order, sources, timeline, notifications, fulfillments, returns, refunds, claims, invoices };
    }),
  );
  const storeCredits = (await Promise.all(emails.map((email) => deps.storeCredits.forEmail(email)))).flat();
  return {
    customerId,
    exportedAt: deps.clock.now().toISOString(),
    orders: perOrder,
    storeCredits,
    erasures: erasures?.erasures ?? [],
  };
}

/** Attributes erasure never rewrites: the item's keys (table and index keys) and its entity marker. */
const KEY_ATTRIBUTE = /^(PK|SK|GSI\dPK|GSI\dSK|entity|expiresAt)$/;

/**
 * Erases the customer's personal data from every order in their index
 * (GDPR Art. 17): the orders are kept for accounting with a pseudonymous
 * customer and addresses reduced to country and region; raw channel
 * payloads (order sources) are deleted and their inbox items emptied (the
 * key stays a week, so a replay of the same signed body stores nothing); message
 * recipients and bodies are removed; every other item of the order
 * (timeline, returns, claims, fulfillments, refunds…) has each personal
 * value replaced. The header goes last, with an entry on the order's
 * timeline and its removal from the index, so a crash half-way is finished
 * by erasing again; an erase that finds nothing left answers the audit
 * record as it is (idempotent). Orders placed after an erasure are in the
 * index again, and a new erase removes them too.
 */
export async function eraseCustomer(deps: CustomerDeps, command: { customerId: string } & Actor): Promise<{ record: ErasureRecord; erasure?: CustomerErasure }> {
  const { erasures: previous } = await knownCustomer(deps, command.customerId);
  const refs = await collectPages((page) => deps.customers.orders(command.customerId, page));
  if (refs.length === 0 && previous) return { record: previous };
  const mark: ErasureMark = { erasureId: newId(), erasedAt: deps.clock.now().toISOString() };
  const erased: string[] = [];
  for (const ref of refs) {
    if (await eraseOrder(deps, ref.orderId, mark, command)) erased.push(ref.orderId);
  }
  const erasure: CustomerErasure = { erasureId: mark.erasureId, requestedBy: command.actor, erasedAt: mark.erasedAt, orderIds: erased };
  const record = await retryOnConcurrentModification(async () => {
    const current = await deps.customers.erasures(command.customerId);
    return deps.customers.recordErasure(command.customerId, erasure, current);
  }, 5);
  return { record, erasure };
}

/**
 * Erases the named orders of one customer and records the erasure on the
 * customer's audit trail, naming who asked and the request it answered
 * (a channel's compliance request). Orders already erased are skipped; when
 * none was left to erase nothing is recorded (undefined), so a repeated
 * request adds nothing. `customerId` undefined: orders without an e-mail,
 * erased with no audit record of a customer (the request keeps them).
 */
export async function eraseCustomerOrders(
  deps: CustomerDeps,
  command: { customerId: string | undefined; orderIds: readonly string[]; requestId?: string } & Actor,
): Promise<{ erasure?: CustomerErasure; orderIds: string[] }> {
  const mark: ErasureMark = { erasureId: newId(), erasedAt: deps.clock.now().toISOString() };
  const erased: string[] = [];
  for (const orderId of command.orderIds) {
    if (await eraseOrder(deps, orderId, mark, command)) erased.push(orderId);
  }
  const { customerId } = command;
  if (erased.length === 0 || !customerId) return { orderIds: erased };
  const erasure: CustomerErasure = {
    erasureId: mark.erasureId,
    requestedBy: command.actor,
    erasedAt: mark.erasedAt,
    orderIds: erased,
    ...(command.requestId ? { requestId: command.requestId } : {}),
  };
  await retryOnConcurrentModification(async () => {
    const current = await deps.customers.erasures(customerId);
    return deps.customers.recordErasure(customerId, erasure, current);
  }, 5);
  return { erasure, orderIds: erased };
}

async function eraseOrder(deps: CustomerDeps, orderId: string, mark: ErasureMark, actor: Actor): Promise<boolean> {
  return retryOnConcurrentModification(async () => {
    const order = await deps.orders.get(orderId);
    if (!order || (order.erasure && !customerOfOrder(order))) return false;
    const items = await deps.customers.orderItems(orderId);
    const recipients = items.filter(({ sortKey }) => sortKey.startsWith('TOCUSTOMER#')).map(({ item }) => String(item['to'] ?? ''));
    const values = [...new Set([...personalValues(order), ...recipients.filter((to) => to.length >= 3)])].sort((a, b) => b.length - a.length);
    const put: OrderItem[] = [];
    const remove: string[] = [];
    const inbox: { channelId: string; deliveryId: string }[] = [];
    for (const { sortKey, item } of items) {
      if (sortKey === 'ORDER' || sortKey.startsWith('LINES#')) continue;
      if (sortKey.startsWith('SOURCE#')) {
        remove.push(sortKey);
        // The inbox item that held this body: keyed by the delivery id (polls, partner events, older webhooks) or by the body's digest (webhooks).
        if (typeof item['deliveryId'] === 'string') inbox.push({ channelId: order.channel.channelId, deliveryId: item['deliveryId'] });
        if (item['body'] instanceof Uint8Array) inbox.push({ channelId: order.channel.channelId, deliveryId: bodyDigestKey(gunzipSync(item['body']).toString('utf8')) });
        continue;
      }
      const attributes = Object.fromEntries(Object.entries(item).filter(([name]) => !KEY_ATTRIBUTE.test(name)));
      let next = scrubPersonal(attributes, values);
      // A message's recipient and body sit on its body item (and, written before bodies expired, on the claim); a claim without them keeps none.
      if (sortKey.startsWith('TOCUSTOMER#') && ('to' in item || 'body' in item)) next = { ...next, to: ERASED_TEXT, body: ERASED_TEXT, ...(next['subject'] ? { subject: scrubPersonal(String(next['subject']), values) } : {}) };
      if (next !== attributes) put.push({ sortKey, item: { ...item, ...next } });
    }
    await deps.customers.rewriteOrderItems(orderId, { put, remove, inbox });
    const at = deps.clock.now().toISOString();
    const next: Order = { ...pseudonymiseOrder(order, mark), version: order.version + 1, updatedAt: at };
    await deps.orders.update(next, {
      previous: order,
      timeline: [
        {
          at,
          type: 'personal_data_erased',
          actor: actor.actor,
          ...(actor.correlationId ? { correlationId: actor.correlationId } : {}),
          message: 'The customer\'s personal data was erased at their request; the order is kept for accounting with a pseudonym.',
          data: { erasureId: mark.erasureId, sourcesDeleted: remove.length, itemsRewritten: put.length },
        },
      ],
      events: [],
    });
    return true;
  }, 5);
}
