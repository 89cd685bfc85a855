import * as z from 'zod';
import type { Channel } from '#shared/domain/channel.ts';
import { CurrencyCode } from '#shared/domain/money.ts';
import { MAX_LINE_QUANTITY, Sku, type OrderDraft, type OrderWarning, type PaymentState } from '#shared/domain/order.ts';
import { ChannelCountry, ChannelTimestamp, Decimal, Text, address, compact, moneyReader, unitPriceOf, utc, withTotalsCheck } from './mapping.ts';

/**
 * Amazon Selling Partner API, Orders v0: an order from `getOrders` and its
 * items from `getOrderItems`. Pending orders (not yet paid) are captured but
 * held; Canceled cancels; AFN orders are fulfilled by Amazon and recorded
 * only (never routed to our locations).
 */
const AmazonMoney = z.looseObject({ CurrencyCode, Amount: Decimal });

export const AmazonOrder = z.looseObject({
  AmazonOrderId: z.string().min(1),
  PurchaseDate: ChannelTimestamp,
  LastUpdateDate: ChannelTimestamp,
  OrderStatus: z.string(),
  FulfillmentChannel: z.enum(['MFN', 'AFN']).optional(),
  SalesChannel: Text,
  MarketplaceId: Text,
  ShipServiceLevel: Text,
  ShipmentServiceLevelCategory: Text,
  OrderTotal: AmazonMoney.optional(),
  PaymentMethod: Text,
  LatestShipDate: ChannelTimestamp.optional(),
  LatestDeliveryDate: ChannelTimestamp.optional(),
  IsISPU: z.boolean().optional(),
  ShippingAddress: z
    .looseObject({
      Name: Text,
      AddressLine1: Text,
      AddressLine2: Text,
      AddressLine3: Text,
      City: Text,
      StateOrRegion: Text,
      PostalCode: Text,
      CountryCode: ChannelCountry,
      Phone: Text,
    })
    .optional(),
  BuyerInfo: z.looseObject({ BuyerEmail: Text, BuyerName: Text }).optional(),
});
export type AmazonOrder = z.infer<typeof AmazonOrder>;

export const AmazonOrderItem = z.looseObject({
  OrderItemId: z.string(),
  SellerSKU: Sku,
  Title: Text,
  QuantityOrdered: z.number().int().min(0).max(MAX_LINE_QUANTITY, `An order line holds at most ${MAX_LINE_QUANTITY.toLocaleString('en-US')} units`),
  ItemPrice: AmazonMoney.optional(),
  ItemTax: AmazonMoney.optional(),
  PromotionDiscount: AmazonMoney.optional(),
  ShippingPrice: AmazonMoney.optional(),
  ShippingTax: AmazonMoney.optional(),
  ShippingDiscount: AmazonMoney.optional(),
});
export type AmazonOrderItem = z.infer<typeof AmazonOrderItem>;

/** European marketplaces quote item prices with VAT included. */
const VAT_INCLUSIVE_MARKETPLACES = new Set([
  'A1F83G8C2ARO7P', // UK
  'A1PA6795UKMFR9', // DE
  'A13V1IB3VIYZZH', // FR
  'APJ6JRA9NG5V4', // IT
  'A1RKKUPIHCS9HS', // ES
  'A1805IZSGTT6HS', // NL
  'A2NODRKZP88ZB9', // SE
  'A1C3SOZRARQ6R3', // PL
  'AMEN7PMS3EDWL', // BE
]);

/** The language each marketplace sells in (Amazon sends no buyer language): the e-mails' language for its orders. */
export const MARKETPLACE_LANGUAGES: Readonly<Record<string, string>> = {
  ATVPDKIKX0DER: 'en-US', // US
  A2EUQ1WTGCTBG2: 'en-CA', // CA
  A1AM78C64UM0Y8: 'es-MX', // MX
  A1F83G8C2ARO7P: 'en-GB', // UK
  A1PA6795UKMFR9: 'de-DE', // DE
  A13V1IB3VIYZZH: 'fr-FR', // FR
  APJ6JRA9NG5V4: 'it-IT', // IT
  A1RKKUPIHCS9HS: 'es-ES', // ES
  A1805IZSGTT6HS: 'nl-NL', // NL
  A2NODRKZP88ZB9: 'sv-SE', // SE
  A1C3SOZRARQ6R3: 'pl-PL', // PL
  AMEN7PMS3EDWL: 'fr-BE', // BE
  A1VC38T7YXB528: 'ja-JP', // JP
};

function paymentState(order: AmazonOrder): PaymentState {
  if (order.OrderStatus === 'Pending') return 'pending';
  if (order.PaymentMethod === 'COD') return 'cod';
  return 'paid';
}

export function amazonToDraft(order: AmazonOrder, items: AmazonOrderItem[], channel: Pick<Channel, 'channelId'>): OrderDraft {
  const warnings: OrderWarning[] = [];
  const currency = order.OrderTotal?.CurrencyCode ?? items.find((i) => i.ItemPrice)?.ItemPrice?.CurrencyCode ?? 'USD';
  const money = moneyReader(currency, warnings);
  const lines = items
    .filter((item) => item.QuantityOrdered > 0)
    .map((item, index) => {
      const subtotal = money(item.ItemPrice?.Amount, `OrderItems.${index}.ItemPrice`);
      return {
        lineId: item.OrderItemId,
        sku: item.SellerSKU,
        title: item.Title ?? item.SellerSKU,
        quantity: item.QuantityOrdered,
        unitPrice: unitPriceOf(subtotal, item.QuantityOrdered),
        subtotal,
        discount: money(item.PromotionDiscount?.Amount, `OrderItems.${index}.PromotionDiscount`),
        tax: money(item.ItemTax?.Amount, `OrderItems.${index}.ItemTax`),
        requiresShipping: true,
      };
    });
  const sum = (pick: (item: AmazonOrderItem) => z.infer<typeof AmazonMoney> | undefined, field: string) =>
    items.reduce((total, item, index) => total + money(pick(item)?.Amount, `OrderItems.${index}.${field}`), 0);
  const shipping = sum((i) => i.ShippingPrice, 'ShippingPrice');
  const shippingDiscount = sum((i) => i.ShippingDiscount, 'ShippingDiscount');
  const tax = lines.reduce((total, line) => total + line.tax, 0) + sum((i) => i.ShippingTax, 'ShippingTax');
  const discount = lines.reduce((total, line) => total + line.discount, 0) + shippingDiscount;
  const subtotal = lines.reduce((total, line) => total + line.subtotal, 0);
  const taxesIncluded = VAT_INCLUSIVE_MARKETPLACES.has(order.MarketplaceId ?? '');
  const shipTo = order.ShippingAddress;
  const state: OrderDraft['channelState'] =
    order.OrderStatus === 'Pending' ? 'pending'
    : order.OrderStatus === 'Canceled' ? 'cancelled'
    : order.OrderStatus === 'Shipped' ? 'shipped'
    : 'open';
  return withTotalsCheck({
    channel: { channelId: channel.channelId, channelType: 'amazon', externalOrderId: order.AmazonOrderId, externalNumber: order.AmazonOrderId, ...(order.MarketplaceId ? { marketplaceId: order.MarketplaceId } : {}) },
    customer: compact({ name: shipTo?.Name ?? order.BuyerInfo?.BuyerName, email: order.BuyerInfo?.BuyerEmail, phone: shipTo?.Phone, locale: MARKETPLACE_LANGUAGES[order.MarketplaceId ?? ''] }),
    ...compact({
      shippingAddress: shipTo
        ? address({
            name: shipTo.Name,
            lines: [shipTo.AddressLine1, shipTo.AddressLine2, shipTo.AddressLine3].filter((l): l is string => Boolean(l)),
            city: shipTo.City,
            region: shipTo.StateOrRegion,
            postalCode: shipTo.PostalCode,
            country: shipTo.CountryCode,
            phone: shipTo.Phone,
          })
        : undefined,
    }),
    currency,
    lines,
    shipping: compact({ method: order.ShipServiceLevel, serviceLevel: order.ShipmentServiceLevelCategory?.toLowerCase(), price: shipping, tax: sum((i) => i.ShippingTax, 'ShippingTax') }),
    fulfillment: {
      type: order.IsISPU ? 'pickup' : 'ship',
      fulfilledBy: order.FulfillmentChannel === 'AFN' ? 'channel' : 'merchant',
    },
    promised: compact({
      shipBy: order.LatestShipDate ? utc(order.LatestShipDate) : undefined,
      deliverBy: order.LatestDeliveryDate ? utc(order.LatestDeliveryDate) : undefined,
    }),
    payment: { state: paymentState(order), provider: 'amazon', reference: order.AmazonOrderId },
    totals: {
      subtotal,
      discount,
      shipping,
      tax,
      // Pending orders have no total yet: the computed one stands in.
      total: order.OrderTotal ? money(order.OrderTotal.Amount, 'OrderTotal') : subtotal - discount + shipping + (taxesIncluded ? 0 : tax),
      taxesIncluded,
    },
    channelState: state,
    warnings,
    channelCreatedAt: utc(order.PurchaseDate),
    channelUpdatedAt: utc(order.LastUpdateDate),
  });
}
