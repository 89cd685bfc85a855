import * as z from 'zod';
import { CountryCode } from '#shared/domain/common.ts';
import { CustomerId, customerOfOrder } from '#shared/domain/customer.ts';
import { OrderChangeSet } from '#shared/domain/order-changes.ts';
import { Order, type OrderAddress } from '#shared/domain/order.ts';

/** EventBridge refuses events over 256 KB; order events stay well under it. */
const MAX_ORDER_BYTES = 200 * 1024;

/**
 * Events carry no personal data (docs/events.md "Personal data"): the bus
 * archive keeps every event for 90 days and cannot be rewritten when a
 * customer is erased, and any rule on the bus reads every event without the
 * OMS checking who asks. An order event therefore carries the order without
 * the person: the customer is only its pseudonymous id, addresses only what
 * routing, tax and analytics need. A subscriber that needs a name or a
 * street reads GET /v1/orders/{orderId} with its own key.
 */

/** An address as events carry it: country, region and postal code; no name, company, street, city, phone or coordinates. */
export const EventAddress = z
  .object({
    country: CountryCode,
    region: z.string().max(100).optional(),
    postalCode: z.string().max(20).optional(),
  })
  .meta({
    id: 'EventAddress',
    description:
      'An address reduced to what routing, tax and analytics need. Name, company, street lines, city, phone and coordinates are left out of events; read them with GET /v1/orders/{orderId}.',
  });
export type EventAddress = z.infer<typeof EventAddress>;

/** The customer as events carry it: the pseudonymous customer id only. */
export const EventCustomer = z
  .object({
    customerId: CustomerId.optional().meta({
      description:
        'The customer (`cus_` and a digest of the e-mail; GET /v1/customers/{customerId}/orders). Absent when the order has no e-mail, or once the customer was erased.',
    }),
  })
  .meta({ id: 'EventCustomer', description: "The order's customer without name, e-mail, phone, SMS consent or language: only the customer id." });
export type EventCustomer = z.infer<typeof EventCustomer>;

/** The order as events carry it: the canonical order without personal data. */
export const EventOrder = Order.omit({ customer: true, shippingAddress: true, billingAddress: true, notes: true })
  .extend({
    customer: EventCustomer,
    shippingAddress: EventAddress.optional(),
    billingAddress: EventAddress.optional(),
  })
  .meta({
    id: 'EventOrder',
    description:
      "The canonical order without personal data (since version 2 of the order events): `customer` is only the customer id, addresses only country, region and postal code, and the customer's `notes` are left out. Lines, money, status, channel and ids are as on the order.",
  });
export type EventOrder = z.infer<typeof EventOrder>;

/**
 * The order fields of an order event: the order (EventOrder), whole unless
 * its lines would push the event past EventBridge's size limit — then the
 * first lines that fit, and `linesTruncated: true` (read the rest with
 * GET /v1/orders/{orderId}).
 */
export const EventOrderFields = {
  order: EventOrder,
  linesTruncated: z.literal(true).optional().meta({ description: 'Set when `order.lines` holds only the first lines; `order.lines` is otherwise complete.' }),
};

/** `address` with only what events carry. */
export function eventAddress(address: Pick<OrderAddress, 'country' | 'region' | 'postalCode'>): EventAddress {
  return {
    country: address.country,
    ...(address.region ? { region: address.region } : {}),
    ...(address.postalCode ? { postalCode: address.postalCode } : {}),
  };
}

/** The order without the person: the customer id instead of the customer, reduced addresses, no notes. */
export function withoutPersonalData(order: Order): EventOrder {
  const { customer: _customer, shippingAddress, billingAddress, notes: _notes, ...rest } = order;
  const customerId = customerOfOrder(order);
  return {
    ...rest,
    customer: customerId ? { customerId } : {},
    ...(shippingAddress ? { shippingAddress: eventAddress(shippingAddress) } : {}),
    ...(billingAddress ? { billingAddress: eventAddress(billingAddress) } : {}),
  };
}

export function eventOrder(order: Order): { order: EventOrder; linesTruncated?: true } {
  const carried = withoutPersonalData(order);
  if (Buffer.byteLength(JSON.stringify(carried)) <= MAX_ORDER_BYTES) return { order: carried };
  const lines = [...carried.lines];
  while (lines.length > 1 && Buffer.byteLength(JSON.stringify({ ...carried, lines })) > MAX_ORDER_BYTES) lines.splice(Math.ceil(lines.length * 0.9));
  return { order: { ...carried, lines }, linesTruncated: true };
}

/** A change set as events carry it: the shipping address before and after reduced like the order's. */
export const EventOrderChangeSet = OrderChangeSet.extend({
  shippingAddress: z
    .object({ before: EventAddress.optional(), after: EventAddress })
    .optional()
    .meta({ description: 'The shipping address before and after an edit, reduced to country, region and postal code (read the full address with GET /v1/orders/{orderId}).' }),
}).meta({ id: 'EventOrderChangeSet' });
export type EventOrderChangeSet = z.infer<typeof EventOrderChangeSet>;

function reducedRecord(address: Record<string, unknown>): EventAddress {
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  return eventAddress({ country: String(address['country']), region: text(address['region']), postalCode: text(address['postalCode']) });
}

export function eventChangeSet(change: OrderChangeSet): EventOrderChangeSet {
  const { shippingAddress, ...rest } = change;
  if (!shippingAddress) return rest;
  return {
    ...rest,
    shippingAddress: { ...(shippingAddress.before ? { before: reducedRecord(shippingAddress.before) } : {}), after: reducedRecord(shippingAddress.after) },
  };
}
