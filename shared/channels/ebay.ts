import * as z from 'zod';
import type { Channel } from '#shared/domain/channel.ts';
import { CurrencyCode } from '#shared/domain/money.ts';
import { MAX_ORDER_LINES, Sku, type OrderDraft, type OrderWarning, type PaymentState } from '#shared/domain/order.ts';
import { ChannelCountry, ChannelTimestamp, Decimal, Quantity, Text, address, compact, moneyReader, unitPriceOf, utc, withTotalsCheck } from './mapping.ts';

/**
 * eBay Sell Fulfillment API `getOrders` (one element of `orders`). Money is
 * `{ value, currency }` with a decimal string; line costs are per line
 * (quantity × price).
 */
const EbayAmount = z.looseObject({ value: Decimal, currency: CurrencyCode });

export const EbayOrder = z.looseObject({
  orderId: z.string().min(1),
  legacyOrderId: Text,
  creationDate: ChannelTimestamp,
  lastModifiedDate: ChannelTimestamp,
  orderFulfillmentStatus: Text,
  orderPaymentStatus: Text,
  cancelStatus: z.looseObject({ cancelState: Text }).optional(),
  buyer: z
    .looseObject({
      username: Text,
      buyerRegistrationAddress: z.looseObject({ fullName: Text, email: Text, primaryPhone: z.looseObject({ phoneNumber: Text }).optional() }).optional(),
    })
    .optional(),
  pricingSummary: z.looseObject({
    priceSubtotal: EbayAmount,
    priceDiscount: EbayAmount.optional(),
    deliveryCost: EbayAmount.optional(),
    deliveryDiscount: EbayAmount.optional(),
    tax: EbayAmount.optional(),
    total: EbayAmount,
  }),
  fulfillmentStartInstructions: z
    .array(
      z.looseObject({
        fulfillmentInstructionsType: Text,
        maxEstimatedDeliveryDate: ChannelTimestamp.optional(),
        shippingStep: z
          .looseObject({
            shippingCarrierCode: Text,
            shippingServiceCode: Text,
            shipTo: z
              .looseObject({
                fullName: Text,
                contactAddress: z.looseObject({
                  addressLine1: Text,
                  addressLine2: Text,
                  city: Text,
                  stateOrProvince: Text,
                  postalCode: Text,
                  countryCode: ChannelCountry,
                }),
                primaryPhone: z.looseObject({ phoneNumber: Text }).optional(),
                email: Text,
              })
              .optional(),
          })
          .optional(),
      }),
    )
    .default([]),
  lineItems: z
    .array(
      z.looseObject({
        lineItemId: z.string(),
        sku: Sku,
        title: Text,
        quantity: Quantity,
        lineItemCost: EbayAmount,
        discountedLineItemCost: EbayAmount.optional(),
        taxes: z.array(z.looseObject({ amount: EbayAmount })).default([]),
      }),
    )
    .min(1)
    .max(MAX_ORDER_LINES),
});
export type EbayOrder = z.infer<typeof EbayOrder>;

function paymentState(order: EbayOrder): PaymentState {
  return order.orderPaymentStatus === 'PENDING' || order.orderPaymentStatus === 'FAILED' ? 'pending' : 'paid';
}

export function ebayToDraft(order: EbayOrder, channel: Pick<Channel, 'channelId'>): OrderDraft {
  const warnings: OrderWarning[] = [];
  const currency = order.pricingSummary.total.currency;
  const money = moneyReader(currency, warnings);
  const lines = order.lineItems.map((line, index) => {
    const subtotal = money(line.lineItemCost.value, `lineItems.${index}.lineItemCost`);
    const discounted = line.discountedLineItemCost ? money(line.discountedLineItemCost.value, `lineItems.${index}.discountedLineItemCost`) : subtotal;
    return {
      lineId: line.lineItemId,
      sku: line.sku,
      title: line.title ?? line.sku,
      quantity: line.quantity,
      unitPrice: unitPriceOf(subtotal, line.quantity),
      subtotal,
      discount: Math.max(0, subtotal - discounted),
      tax: line.taxes.reduce((sum, t, i) => sum + money(t.amount.value, `lineItems.${index}.taxes.${i}.amount`), 0),
      requiresShipping: true,
    };
  });
  const instruction = order.fulfillmentStartInstructions[0];
  const step = instruction?.shippingStep;
  const shipTo = step?.shipTo;
  const amount = (value: z.infer<typeof EbayAmount> | undefined, field: string) => Math.abs(money(value?.value, field));
  const shipping = amount(order.pricingSummary.deliveryCost, 'pricingSummary.deliveryCost') - amount(order.pricingSummary.deliveryDiscount, 'pricingSummary.deliveryDiscount');
  const pickup = /PICKUP/i.test(instruction?.fulfillmentInstructionsType ?? '');
  const state: OrderDraft['channelState'] =
    order.cancelStatus?.cancelState === 'CANCELED' ? 'cancelled'
    : order.orderFulfillmentStatus === 'FULFILLED' ? 'shipped'
    : 'open';
  return withTotalsCheck({
    channel: { channelId: channel.channelId, channelType: 'ebay', externalOrderId: order.orderId, externalNumber: order.orderId },
    customer: compact({
      name: order.buyer?.buyerRegistrationAddress?.fullName ?? shipTo?.fullName ?? order.buyer?.username,
      email: order.buyer?.buyerRegistrationAddress?.email ?? shipTo?.email,
      phone: shipTo?.primaryPhone?.phoneNumber ?? order.buyer?.buyerRegistrationAddress?.primaryPhone?.phoneNumber,
    }),
    ...compact({
      shippingAddress: shipTo
        ? address({
            name: shipTo.fullName,
            lines: [shipTo.contactAddress.addressLine1, shipTo.contactAddress.addressLine2].filter((l): l is string => Boolean(l)),
            city: shipTo.contactAddress.city,
            region: shipTo.contactAddress.stateOrProvince,
            postalCode: shipTo.contactAddress.postalCode,
            country: shipTo.contactAddress.countryCode,
            phone: shipTo.primaryPhone?.phoneNumber,
          })
        : undefined,
    }),
    currency,
    lines,
    shipping: compact({ method: step?.shippingServiceCode, carrier: step?.shippingCarrierCode, price: Math.max(0, shipping), tax: 0 }),
    fulfillment: { type: pickup ? 'pickup' : 'ship', fulfilledBy: 'merchant' },
    promised: compact({ deliverBy: instruction?.maxEstimatedDeliveryDate ? utc(instruction.maxEstimatedDeliveryDate) : undefined }),
    payment: { state: paymentState(order), provider: 'ebay', reference: order.legacyOrderId ?? order.orderId },
    totals: {
      subtotal: lines.reduce((sum, line) => sum + line.subtotal, 0),
      discount: amount(order.pricingSummary.priceDiscount, 'pricingSummary.priceDiscount'),
      shipping: Math.max(0, shipping),
      tax: amount(order.pricingSummary.tax, 'pricingSummary.tax'),
      total: money(order.pricingSummary.total.value, 'pricingSummary.total'),
      taxesIncluded: false,
    },
    channelState: state,
    warnings,
    channelCreatedAt: utc(order.creationDate),
    channelUpdatedAt: utc(order.lastModifiedDate),
  });
}
