import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { ShopifyChannelSettings, type Channel, type ChannelSecrets } from '#shared/domain/channel.ts';
import {
  WritebackError,
  type CancelReason,
  type CancellationAction,
  type ChannelAction,
  type ChannelReceipt,
  type RefundAction,
  type ShipmentAction,
} from '#shared/domain/channel-writeback.ts';
import type { ChannelWriter } from '#shared/ports.ts';
import { requestJson, type RateLimiter } from '../http-client.ts';
import { WRITEBACK_RETRY, actionKey, actionMarker, call, decimal, limiterFor, secret } from './common.ts';

/**
 * Shopify Admin GraphQL (version from the channel's settings, default
 * 2026-10). Shipments: `fulfillmentCreate` on the order's fulfillment orders
 * with tracking; whole-order cancellations: `orderCancel`; line cancellations
 * and refunds: `refundCreate` with `@idempotent`. Failed mutations come back
 * as HTTP 200 with `userErrors` (final) or a THROTTLED error (waited out from
 * the cost figures, then retryable).
 */

const gid = (kind: string, id: string) => (id.startsWith('gid://') ? id : `gid://shopify/${kind}/${id}`);

const Cost = z
  .object({
    requestedQueryCost: z.number().nullish(),
    throttleStatus: z.object({ currentlyAvailable: z.number(), restoreRate: z.number() }).nullish(),
  })
  .nullish();
const Envelope = z.object({
  data: z.record(z.string(), z.unknown()).nullish(),
  errors: z.array(z.object({ message: z.string(), extensions: z.object({ code: z.string().optional() }).loose().optional() })).optional(),
  extensions: z.object({ cost: Cost }).loose().optional(),
});
const UserErrors = z.array(z.object({ field: z.array(z.string()).nullish(), message: z.string(), code: z.string().nullish() })).default([]);

const ORDER_FOR_SHIPMENT = `query OmsShipmentOrder($orderId: ID!) {
  order(id: $orderId) {
    id
    fulfillmentOrders(first: 20) { nodes { id status supportedActions { action } lineItems(first: 100) { nodes { id remainingQuantity totalQuantity lineItem { id } } } } }
    fulfillments(first: 50) { id status trackingInfo(first: 10) { company number url } }
  }
}`;
const ShipmentOrder = z.object({
  order: z
    .object({
      id: z.string(),
      fulfillmentOrders: z.object({
        nodes: z.array(
          z.object({
            id: z.string(),
            status: z.string(),
            supportedActions: z.array(z.object({ action: z.string() })),
            lineItems: z.object({ nodes: z.array(z.object({ id: z.string(), remainingQuantity: z.number(), lineItem: z.object({ id: z.string() }) })) }),
          }),
        ),
      }),
      fulfillments: z.array(z.object({ id: z.string(), status: z.string(), trackingInfo: z.array(z.object({ number: z.string().nullish() })) })),
    })
    .nullable(),
});

const FULFILLMENT_CREATE = `mutation OmsFulfillmentCreate($fulfillment: FulfillmentInput!, $message: String) {
  fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
    fulfillment { id status }
    userErrors { field message }
  }
}`;
const FulfillmentCreated = z.object({ fulfillmentCreate: z.object({ fulfillment: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }) });

const ORDER_FOR_MONEY = `query OmsRefundOrder($orderId: ID!) {
  order(id: $orderId) {
    id
    cancelledAt
    refunds(first: 100) { id note }
    transactions(first: 50) { id kind status gateway }
  }
}`;
const MoneyOrder = z.object({
  order: z
    .object({
      id: z.string(),
      cancelledAt: z.string().nullable(),
      refunds: z.array(z.object({ id: z.string(), note: z.string().nullish() })),
      transactions: z.array(z.object({ id: z.string(), kind: z.string(), status: z.string(), gateway: z.string() })),
    })
    .nullable(),
});

const ORDER_CANCEL = `mutation OmsOrderCancel($orderId: ID!, $reason: OrderCancelReason!, $refundMethod: OrderCancelRefundMethodInput, $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refundMethod: $refundMethod, restock: $restock, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}`;
const OrderCancelled = z.object({ orderCancel: z.object({ job: z.object({ id: z.string() }).nullable(), orderCancelUserErrors: UserErrors }) });

const REFUND_CREATE = `mutation OmsRefundCreate($input: RefundInput!, $idempotencyKey: String!) {
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {
    refund { id }
    userErrors { field message }
  }
}`;
const RefundCreated = z.object({ refundCreate: z.object({ refund: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }) });

const CANCEL_REASONS: Record<CancelReason, string> = { customer: 'CUSTOMER', out_of_stock: 'INVENTORY', unpaid: 'DECLINED', fraud: 'FRAUD', staff: 'STAFF', other: 'OTHER' };

export class ShopifyWriter implements ChannelWriter {
  readonly #channel: Channel;
  readonly #url: string;
  readonly #token: string;
  readonly #limiter: RateLimiter;

  constructor(channel: Channel, secrets: ChannelSecrets) {
    const settings = ShopifyChannelSettings.parse(channel.settings);
    this.#channel = channel;
    this.#url = `${(settings.adminUrl ?? `https://${settings.shopDomain}`).replace(/\/$/, '')}/admin/api/${settings.apiVersion}/graphql.json`;
    this.#token = secret(secrets, 'adminAccessToken', channel, 'tell Shopify about shipments, cancellations and refunds');
    // The cost bucket is the real limit (read from each answer); this keeps bursts polite.
    this.#limiter = limiterFor(`shopify-writeback|${settings.shopDomain}`, 10, 20);
  }

  send(action: ChannelAction): Promise<ChannelReceipt> {
    switch (action.kind) {
      case 'shipment':
        return this.#ship(action);
      case 'cancellation':
        // Cancelled lines leave the order without money: what they were worth comes as a RefundAction of its own.
        return action.lines ? this.#refund(action, action.lines.map((l) => ({ ...l, amount: 0, tax: 0 })), 0, 0) : this.#cancel(action);
      case 'refund':
        return this.#refund(action, action.lines, action.shipping, action.paidAtChannel === false ? 0 : action.amount);
    }
  }

  async #ship(action: ShipmentAction): Promise<ChannelReceipt> {
    const orderId = gid('Order', action.order.externalOrderId);
    const { order } = ShipmentOrder.parse(await this.#graphql('the fulfillment orders query', ORDER_FOR_SHIPMENT, { orderId }));
    if (!order) throw new WritebackError(`Shopify has no order ${orderId}`, false);
    const existing = order.fulfillments.find((f) => f.status !== 'CANCELLED' && f.trackingInfo.some((t) => t.number === action.trackingNumber));
    if (existing) return { reference: existing.id, note: `Shopify already has fulfillment ${existing.id} with tracking ${action.trackingNumber}` };

    const byFulfillmentOrder = new Map<string, { id: string; quantity: number }[]>();
    const remaining = new Map<string, number>();
    for (const fo of order.fulfillmentOrders.nodes) {
      if (!fo.supportedActions.some((a) => a.action === 'CREATE_FULFILLMENT')) continue;
      for (const item of fo.lineItems.nodes) remaining.set(item.id, item.remainingQuantity);
    }
    for (const line of action.lines) {
      const lineItemId = gid('LineItem', line.lineId);
      let needed = line.quantity;
      for (const fo of order.fulfillmentOrders.nodes) {
        if (needed === 0 || !fo.supportedActions.some((a) => a.action === 'CREATE_FULFILLMENT')) continue;
        for (const item of fo.lineItems.nodes) {
          const left = remaining.get(item.id) ?? 0;
          if (needed === 0 || item.lineItem.id !== lineItemId || left <= 0) continue;
          const quantity = Math.min(left, needed);
          remaining.set(item.id, left - quantity);
          needed -= quantity;
          const items = byFulfillmentOrder.get(fo.id) ?? [];
          items.push({ id: item.id, quantity });
          byFulfillmentOrder.set(fo.id, items);
        }
      }
      if (needed > 0) {
        throw new WritebackError(
          `Shopify order ${orderId} has ${line.quantity - needed} unit(s) of line item ${lineItemId} (${line.sku}) left to fulfil; the shipment has ${line.quantity}`,
          false,
        );
      }
    }
    const fulfillment = {
      notifyCustomer: action.notifyCustomer,
      trackingInfo: { company: action.carrier.name, number: action.trackingNumber, ...(action.trackingUrl ? { url: action.trackingUrl } : {}) },
      lineItemsByFulfillmentOrder: [...byFulfillmentOrder].map(([fulfillmentOrderId, items]) => ({ fulfillmentOrderId, fulfillmentOrderLineItems: items })),
    };
    const { fulfillmentCreate } = FulfillmentCreated.parse(
      await this.#graphql('the fulfillment', FULFILLMENT_CREATE, { fulfillment, message: `OMS shipment ${action.shipmentId}` }),
    );
    if (fulfillmentCreate.userErrors.length > 0 || !fulfillmentCreate.fulfillment) throw refused('the fulfillment', fulfillmentCreate.userErrors);
    return { reference: fulfillmentCreate.fulfillment.id };
  }

  async #cancel(action: CancellationAction): Promise<ChannelReceipt> {
    const orderId = gid('Order', action.order.externalOrderId);
    const { order } = MoneyOrder.parse(await this.#graphql('the order query', ORDER_FOR_MONEY, { orderId }));
    if (!order) throw new WritebackError(`Shopify has no order ${orderId}`, false);
    if (order.cancelledAt) return { note: `Shopify order ${orderId} was already cancelled at ${order.cancelledAt}` };
    const { orderCancel } = OrderCancelled.parse(
      await this.#graphql('the cancellation', ORDER_CANCEL, {
        orderId,
        reason: CANCEL_REASONS[action.reason],
        refundMethod: action.paidAtChannel ? { originalPaymentMethodsRefund: true } : null,
        restock: false,
        notifyCustomer: true,
        staffNote: `OMS ${action.order.orderId}: cancelled (${action.reason})${action.note ? `: ${action.note}` : ''}`.slice(0, 255),
      }),
    );
    if (orderCancel.orderCancelUserErrors.length > 0 || !orderCancel.job) throw refused('the cancellation', orderCancel.orderCancelUserErrors);
    return { reference: orderCancel.job.id, note: 'Shopify cancels the order asynchronously (job)' };
  }

  /** refundCreate for refunded or cancelled lines; `money` is what goes back to the buyer through the order's payment (0: recorded only). */
  async #refund(action: CancellationAction | RefundAction, lines: RefundAction['lines'], shipping: number, money: number): Promise<ChannelReceipt> {
    const orderId = gid('Order', action.order.externalOrderId);
    const { order } = MoneyOrder.parse(await this.#graphql('the order query', ORDER_FOR_MONEY, { orderId }));
    if (!order) throw new WritebackError(`Shopify has no order ${orderId}`, false);
    const marker = actionMarker(action.actionId);
    const done = order.refunds.find((r) => r.note?.includes(marker));
    if (done) return { reference: done.id, note: `Shopify already has refund ${done.id} for ${action.actionId}` };

    const currency = action.order.currency;
    const transactions = [];
    if (money > 0) {
      const parent = order.transactions.find((t) => (t.kind === 'SALE' || t.kind === 'CAPTURE') && t.status === 'SUCCESS');
      if (!parent) throw new WritebackError(`Shopify order ${orderId} has no successful sale or capture to refund ${decimal(money, currency)} ${currency} against`, false);
      transactions.push({ orderId, parentId: parent.id, gateway: parent.gateway, kind: 'REFUND', amount: decimal(money, currency) });
    }
    const what = action.kind === 'refund' ? `Refund ${action.refundId}` : `Cancelled lines`;
    const input = {
      orderId,
      note: `${what}${action.note ? `: ${action.note}` : ''} ${marker}`,
      notify: true,
      refundLineItems: lines.map((l) => ({ lineItemId: gid('LineItem', l.lineId), quantity: l.quantity, restockType: 'NO_RESTOCK' })),
      ...(shipping > 0 ? { shipping: { amount: decimal(shipping, currency) } } : {}),
      transactions,
    };
    const idempotencyKey = actionKey(this.#channel.channelId, action.order.externalOrderId, action.actionId);
    const { refundCreate } = RefundCreated.parse(await this.#graphql('the refund', REFUND_CREATE, { input, idempotencyKey }));
    if (refundCreate.userErrors.length > 0 || !refundCreate.refund) throw refused('the refund', refundCreate.userErrors);
    return { reference: refundCreate.refund.id };
  }

  /** One GraphQL call: THROTTLED is waited out from the answer's cost figures, a few times, then reported retryable. */
  async #graphql(what: string, query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
    for (let attempt = 1; ; attempt++) {
      const response = Envelope.parse(
        await call('Shopify', what, () =>
          requestJson(
            this.#url,
            {
              method: 'POST',
              headers: { 'x-shopify-access-token': this.#token, 'content-type': 'application/json', accept: 'application/json' },
              body: JSON.stringify({ query, variables }),
            },
            { what: `Shopify ${what}`, limiter: this.#limiter, retry: WRITEBACK_RETRY },
          ),
        ),
      );
      const errors = response.errors ?? [];
      if (errors.some((e) => e.extensions?.code === 'THROTTLED')) {
        const cost = response.extensions?.cost;
        const waitMs = cost?.throttleStatus && cost.requestedQueryCost
          ? Math.max(0, ((cost.requestedQueryCost - cost.throttleStatus.currentlyAvailable) / cost.throttleStatus.restoreRate) * 1000)
          : WRITEBACK_RETRY.baseDelayMs;
        if (attempt >= WRITEBACK_RETRY.attempts) throw new WritebackError(`Shopify throttled ${what} (try again in ${Math.ceil(waitMs / 1000)} s)`, true);
        await sleep(Math.min(WRITEBACK_RETRY.maxDelayMs, Math.ceil(waitMs)));
        continue;
      }
      if (errors.length > 0) throw new WritebackError(`Shopify refused ${what}: ${errors.map((e) => e.message).join('; ')}`, false);
      return response.data ?? {};
    }
  }
}

function refused(what: string, userErrors: z.infer<typeof UserErrors>): WritebackError {
  const messages = userErrors.map((e) => (e.field?.length ? `${e.field.join('.')}: ${e.message}` : e.message));
  return new WritebackError(`Shopify refused ${what}: ${messages.join('; ') || 'no reason given'}`, false);
}
