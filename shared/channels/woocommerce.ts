import * as z from 'zod';
import type { Channel } from '#shared/domain/channel.ts';
import { CurrencyCode } from '#shared/domain/money.ts';
import { MAX_ORDER_LINES, Sku, type OrderDraft, type OrderWarning, type PaymentState } from '#shared/domain/order.ts';
import { ChannelCountry, ChannelTimestamp, Decimal, Quantity, Text, address, compact, joinName, moneyReader, unitPriceOf, utc, withTotalsCheck } from './mapping.ts';
import { hmacBase64Matches } from './signatures.ts';
import type { WebhookAdapter, WebhookRequest } from './webhook-adapter.ts';

/**
 * WooCommerce: `order.created` / `order.updated` webhooks (REST API v3 order
 * shape) signed with X-WC-Webhook-Signature. When a webhook is saved,
 * WooCommerce pings it with a form body `webhook_id=N`, unsigned and without
 * any X-WC-Webhook-* header, and saves the webhook only if the answer is 200:
 * that exact call is answered 200 and ignored (unsignedPing).
 * In the REST shape line and shipping amounts exclude tax even when the store
 * enters prices with tax; taxes come separately.
 */
const WooAddress = z.looseObject({
  first_name: Text,
  last_name: Text,
  company: Text,
  address_1: Text,
  address_2: Text,
  city: Text,
  state: Text,
  postcode: Text,
  country: Text.pipe(ChannelCountry.optional()),
  email: Text,
  phone: Text,
});

export const WooOrder = z.looseObject({
  id: z.number().int(),
  number: z.union([z.string(), z.number()]).optional(),
  status: z.string(),
  currency: CurrencyCode,
  date_created_gmt: ChannelTimestamp,
  date_modified_gmt: ChannelTimestamp.nullish(),
  date_paid_gmt: z.string().nullish(),
  discount_total: Decimal.default('0'),
  shipping_total: Decimal.default('0'),
  total: Decimal,
  total_tax: Decimal.default('0'),
  prices_include_tax: z.boolean().default(false),
  customer_note: Text,
  billing: WooAddress.nullish(),
  shipping: WooAddress.nullish(),
  payment_method: Text,
  payment_method_title: Text,
  transaction_id: Text,
  line_items: z
    .array(
      z.looseObject({
        id: z.number().int(),
        name: z.string(),
        sku: Sku,
        quantity: Quantity,
        subtotal: Decimal,
        total: Decimal,
        total_tax: Decimal.default('0'),
      }),
    )
    .min(1)
    .max(MAX_ORDER_LINES),
  shipping_lines: z.array(z.looseObject({ method_title: Text, method_id: Text, total: Decimal, total_tax: Decimal.default('0') })).default([]),
});
export type WooOrder = z.infer<typeof WooOrder>;

function paymentState(order: WooOrder): PaymentState {
  if (order.payment_method === 'cod') return 'cod';
  return order.date_paid_gmt ? 'paid' : 'pending';
}

function wooAddress(value: z.infer<typeof WooAddress> | null | undefined) {
  if (!value) return undefined;
  return address({
    name: joinName(value.first_name, value.last_name),
    company: value.company,
    lines: [value.address_1, value.address_2].filter((line): line is string => Boolean(line)),
    city: value.city,
    region: value.state,
    postalCode: value.postcode,
    country: value.country,
    phone: value.phone,
  });
}

export function wooToDraft(order: WooOrder, channel: Pick<Channel, 'channelId'>): OrderDraft {
  const warnings: OrderWarning[] = [];
  const money = moneyReader(order.currency, warnings);
  const lines = order.line_items.map((line, index) => {
    const subtotal = money(line.subtotal, `line_items.${index}.subtotal`);
    const total = money(line.total, `line_items.${index}.total`);
    return {
      lineId: String(line.id),
      sku: line.sku,
      title: line.name,
      quantity: line.quantity,
      unitPrice: unitPriceOf(subtotal, line.quantity),
      subtotal,
      discount: Math.max(0, subtotal - total),
      tax: money(line.total_tax, `line_items.${index}.total_tax`),
      requiresShipping: true,
    };
  });
  const shippingLine = order.shipping_lines[0];
  const shipping =
    order.shipping_lines.length > 0
      ? order.shipping_lines.reduce((sum, s, i) => sum + money(s.total, `shipping_lines.${i}.total`), 0)
      : money(order.shipping_total, 'shipping_total');
  const cancelled = ['cancelled', 'refunded', 'failed', 'trash'].includes(order.status);
  const createdAt = utc(order.date_created_gmt);
  return withTotalsCheck({
    channel: compact({
      channelId: channel.channelId,
      channelType: 'woocommerce' as const,
      externalOrderId: String(order.id),
      externalNumber: order.number === undefined ? undefined : String(order.number),
    }),
    customer: compact({
      name: joinName(order.billing?.first_name, order.billing?.last_name),
      email: order.billing?.email,
      phone: order.billing?.phone,
    }),
    ...compact({ shippingAddress: wooAddress(order.shipping), billingAddress: wooAddress(order.billing) }),
    currency: order.currency,
    lines,
    shipping: compact({
      method: shippingLine?.method_title,
      serviceLevel: shippingLine?.method_id,
      price: shipping,
      tax: order.shipping_lines.reduce((sum, s, i) => sum + money(s.total_tax, `shipping_lines.${i}.total_tax`), 0),
    }),
    fulfillment: { type: shippingLine?.method_id === 'local_pickup' ? 'pickup' : 'ship', fulfilledBy: 'merchant' },
    promised: {},
    payment: compact({ state: paymentState(order), method: order.payment_method_title, provider: order.payment_method, reference: order.transaction_id }),
    totals: {
      subtotal: lines.reduce((sum, line) => sum + line.subtotal, 0),
      discount: money(order.discount_total, 'discount_total'),
      shipping,
      tax: money(order.total_tax, 'total_tax'),
      total: money(order.total, 'total'),
      taxesIncluded: false,
    },
    channelState: cancelled ? 'cancelled' : order.status === 'completed' ? 'shipped' : 'open',
    ...compact({ notes: order.customer_note }),
    warnings,
    channelCreatedAt: createdAt,
    channelUpdatedAt: order.date_modified_gmt ? utc(order.date_modified_gmt) : createdAt,
  });
}

const TOPICS = ['order.created', 'order.updated'];

/** WooCommerce's ping body (`WC_Webhook::deliver_ping`): the webhook's numeric id, nothing else. */
const PING_BODY = /^webhook_id=\d{1,20}$/;

/**
 * The ping WooCommerce sends when a webhook is saved: exactly `webhook_id=N`,
 * form-encoded (or with no Content-Type), and none of the X-WC-Webhook-*
 * headers a real delivery carries. A body with anything else, another
 * Content-Type, or WooCommerce's delivery headers is not the ping and needs
 * its signature.
 */
function isUnsignedPing({ headers, rawBody }: WebhookRequest): boolean {
  if (!PING_BODY.test(rawBody.toString('utf8'))) return false;
  if (Object.keys(headers).some((name) => name.startsWith('x-wc-webhook-'))) return false;
  const contentType = headers['content-type'];
  return contentType === undefined || /^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType);
}

export const wooCommerceWebhooks: WebhookAdapter<WooOrder> = {
  channelType: 'woocommerce',
  verify: ({ headers, rawBody }, secrets) => hmacBase64Matches(rawBody, secrets['webhookSecret'], headers['x-wc-webhook-signature']),
  unsignedPing: isUnsignedPing,
  classify: ({ headers, rawBody }) => {
    if (/^webhook_id=\d+$/.test(rawBody.toString('utf8').trim())) return { kind: 'ping' };
    const topic = headers['x-wc-webhook-topic'] ?? '';
    if (!TOPICS.includes(topic)) return { kind: 'ignored', topic };
    return { kind: 'order', topic, deliveryKey: headers['x-wc-webhook-delivery-id'] };
  },
  payload: WooOrder,
  toDraft: wooToDraft,
};
