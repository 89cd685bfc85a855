import * as z from 'zod';
import type { Channel } from '#shared/domain/channel.ts';
import { isComplianceTopic } from '#shared/domain/compliance.ts';
import { CurrencyCode } from '#shared/domain/money.ts';
import { isLocale } from '#shared/domain/customer-messages.ts';
import { MAX_ORDER_LINES, Sku, type OrderDraft, type OrderWarning, type PaymentState } from '#shared/domain/order.ts';
import { ChannelCountry, ChannelTimestamp, Decimal, Quantity, Text, address, compact, joinName, moneyReader, utc, withTotalsCheck } from './mapping.ts';
import { hmacBase64Matches } from './signatures.ts';
import type { WebhookAdapter, WebhookRequest } from './webhook-adapter.ts';

/**
 * Shopify: `orders/create`, `orders/updated` and `orders/cancelled` webhooks
 * (REST Admin API order shape) and the mandatory compliance webhooks
 * (`customers/data_request`, `customers/redact`, `shop/redact`), signed with X-Shopify-Hmac-Sha256 over the raw
 * body; the same payload can also arrive through an EventBridge partner event
 * source. Unknown fields are tolerated; missing required ones are named.
 */
const ShopifyAddress = z.looseObject({
  first_name: Text,
  last_name: Text,
  company: Text,
  address1: Text,
  address2: Text,
  city: Text,
  province_code: Text,
  zip: Text,
  country_code: ChannelCountry,
  phone: Text,
  latitude: z.number().nullish(),
  longitude: z.number().nullish(),
});

const ShopifyLine = z.looseObject({
  id: z.union([z.number(), z.string()]),
  sku: Sku,
  title: z.string(),
  variant_title: Text,
  quantity: Quantity,
  price: Decimal,
  requires_shipping: z.boolean().default(true),
  tax_lines: z.array(z.looseObject({ price: Decimal })).default([]),
  discount_allocations: z.array(z.looseObject({ amount: Decimal })).default([]),
});

export const ShopifyOrder = z.looseObject({
  id: z.union([z.number().int(), z.string().regex(/^\d+$/)]),
  name: z.string().optional(),
  order_number: z.number().optional(),
  email: Text,
  phone: Text,
  created_at: ChannelTimestamp,
  updated_at: ChannelTimestamp.optional(),
  cancelled_at: z.string().nullish(),
  currency: CurrencyCode,
  subtotal_price: Decimal.optional(),
  total_discounts: Decimal.default('0'),
  total_tax: Decimal.default('0'),
  total_price: Decimal,
  taxes_included: z.boolean().default(false),
  financial_status: Text,
  fulfillment_status: Text,
  source_name: Text,
  note: Text,
  payment_gateway_names: z.array(z.string()).default([]),
  customer: z.looseObject({ first_name: Text, last_name: Text, email: Text, phone: Text }).nullish(),
  /** The language the customer shopped in (`fr`, `fr-FR`); kept only when it is a language tag (it decides the e-mails' language). */
  customer_locale: Text,
  billing_address: ShopifyAddress.nullish(),
  shipping_address: ShopifyAddress.nullish(),
  line_items: z.array(ShopifyLine).min(1).max(MAX_ORDER_LINES),
  shipping_lines: z.array(z.looseObject({ title: Text, code: Text, price: Decimal, tax_lines: z.array(z.looseObject({ price: Decimal })).default([]) })).default([]),
});
export type ShopifyOrder = z.infer<typeof ShopifyOrder>;

function paymentState(order: ShopifyOrder): PaymentState {
  if (order.payment_gateway_names.some((name) => /cash on delivery|\bcod\b/i.test(name))) return 'cod';
  switch (order.financial_status) {
    case 'authorized':
      return 'authorized';
    case 'pending':
    case 'partially_paid':
    case undefined:
      return 'pending';
    default:
      return 'paid'; // paid, partially_refunded, refunded
  }
}

function shopifyAddress(value: z.infer<typeof ShopifyAddress> | null | undefined) {
  if (!value) return undefined;
  return address({
    name: joinName(value.first_name, value.last_name),
    company: value.company,
    lines: [value.address1, value.address2].filter((line): line is string => Boolean(line)),
    city: value.city,
    region: value.province_code,
    postalCode: value.zip,
    country: value.country_code,
    phone: value.phone,
    ...(typeof value.latitude === 'number' && typeof value.longitude === 'number'
      ? { geo: { lat: value.latitude, lon: value.longitude } }
      : {}),
  });
}

export function shopifyToDraft(order: ShopifyOrder, channel: Pick<Channel, 'channelId'>): OrderDraft {
  const warnings: OrderWarning[] = [];
  const money = moneyReader(order.currency, warnings);
  const lines = order.line_items.map((line, index) => {
    const unitPrice = money(line.price, `line_items.${index}.price`);
    return {
      lineId: String(line.id),
      sku: line.sku,
      title: line.variant_title ? `${line.title} - ${line.variant_title}` : line.title,
      quantity: line.quantity,
      unitPrice,
      subtotal: unitPrice * line.quantity,
      discount: line.discount_allocations.reduce((sum, d, i) => sum + money(d.amount, `line_items.${index}.discount_allocations.${i}.amount`), 0),
      tax: line.tax_lines.reduce((sum, t, i) => sum + money(t.price, `line_items.${index}.tax_lines.${i}.price`), 0),
      requiresShipping: line.requires_shipping,
    };
  });
  const shippingLine = order.shipping_lines[0];
  const shippingPrice = order.shipping_lines.reduce((sum, s, i) => sum + money(s.price, `shipping_lines.${i}.price`), 0);
  const shippingTax = order.shipping_lines.reduce(
    (sum, s, i) => sum + s.tax_lines.reduce((inner, t, j) => inner + money(t.price, `shipping_lines.${i}.tax_lines.${j}.price`), 0),
    0,
  );
  const cancelled = Boolean(order.cancelled_at);
  const createdAt = utc(order.created_at);
  return withTotalsCheck({
    channel: compact({
      channelId: channel.channelId,
      channelType: 'shopify' as const,
      externalOrderId: String(order.id),
      externalNumber: order.name ?? (order.order_number ? String(order.order_number) : undefined),
    }),
    customer: compact({
      name: joinName(order.customer?.first_name, order.customer?.last_name) ?? joinName(order.shipping_address?.first_name, order.shipping_address?.last_name),
      email: order.email ?? order.customer?.email,
      phone: order.phone ?? order.customer?.phone ?? order.shipping_address?.phone ?? undefined,
      locale: order.customer_locale && isLocale(order.customer_locale) ? order.customer_locale : undefined,
    }),
    ...compact({ shippingAddress: shopifyAddress(order.shipping_address), billingAddress: shopifyAddress(order.billing_address) }),
    currency: order.currency,
    lines,
    shipping: compact({ method: shippingLine?.title, serviceLevel: shippingLine?.code, price: shippingPrice, tax: shippingTax }),
    fulfillment: {
      type: order.source_name === 'pos' ? 'carry_out' : lines.some((line) => line.requiresShipping) ? 'ship' : 'carry_out',
      fulfilledBy: 'merchant',
    },
    promised: {},
    payment: compact({ state: paymentState(order), provider: order.payment_gateway_names[0] ?? 'shopify', reference: `shopify:${String(order.id)}` }),
    totals: {
      // Lines before discounts: Shopify's subtotal_price has meant both before and after discounts across API versions.
      subtotal: lines.reduce((sum, line) => sum + line.subtotal, 0),
      discount: money(order.total_discounts, 'total_discounts'),
      shipping: shippingPrice,
      tax: money(order.total_tax, 'total_tax'),
      total: money(order.total_price, 'total_price'),
      taxesIncluded: order.taxes_included,
    },
    channelState: cancelled ? 'cancelled' : order.fulfillment_status === 'fulfilled' ? 'shipped' : 'open',
    ...compact({ notes: order.note }),
    warnings,
    channelCreatedAt: createdAt,
    channelUpdatedAt: order.updated_at ? utc(order.updated_at) : createdAt,
  });
}

const TOPICS = { 'orders/create': 'create', 'orders/updated': 'update', 'orders/cancelled': 'cancel' } as const;

/**
 * Shopify names the shop in X-Shopify-Shop-Domain on every delivery. One app
 * secret signs the webhooks of every shop the app is installed on, so a
 * delivery for another shop carries a valid signature: it must also name the
 * channel's `shopDomain` (domains compare case-insensitively). A delivery
 * without the header is refused too.
 */
function foreignShop({ headers }: WebhookRequest, channel: Pick<Channel, 'channelId' | 'settings'>): string | undefined {
  const named = headers['x-shopify-shop-domain'];
  if (!named) return `The webhook has no X-Shopify-Shop-Domain header; channel ${channel.channelId} takes deliveries for its own shop only`;
  const own = channel.settings['shopDomain'];
  if (typeof own === 'string' && named.toLowerCase() === own.toLowerCase()) return undefined;
  return `The webhook's X-Shopify-Shop-Domain (${named}) is not channel ${channel.channelId}'s shop`;
}

export const shopifyWebhooks: WebhookAdapter<ShopifyOrder> = {
  channelType: 'shopify',
  verify: ({ headers, rawBody }, secrets) => hmacBase64Matches(rawBody, secrets['webhookSecret'], headers['x-shopify-hmac-sha256']),
  foreignSender: foreignShop,
  classify: ({ headers }) => {
    const topic = headers['x-shopify-topic'] ?? '';
    if (isComplianceTopic(topic)) return { kind: 'compliance', topic, deliveryKey: headers['x-shopify-webhook-id'] };
    if (!(topic in TOPICS)) return { kind: 'ignored', topic };
    return { kind: 'order', topic, deliveryKey: headers['x-shopify-webhook-id'] };
  },
  payload: ShopifyOrder,
  toDraft: shopifyToDraft,
};
