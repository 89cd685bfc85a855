import { describe, expect, it } from 'vitest';
import { eventCatalog, inboundEvents } from '#events/catalog.ts';
import { eventJsonSchema } from '#events/json-schema.ts';
import { OrderCancelled } from '#events/order-cancelled.ts';
import { OrderEdited } from '#events/order-edited.ts';
import { OrderLinesCancelled } from '#events/order-lines-cancelled.ts';
import { eventChangeSet, eventOrder, withoutPersonalData } from '#events/order-payload.ts';
import { OrderReceived } from '#events/order-received.ts';
import { OrderUpdated } from '#events/order-updated.ts';
import { ShopifyOrder, shopifyToDraft } from '#shared/channels/shopify.ts';
import { WooOrder, wooToDraft } from '#shared/channels/woocommerce.ts';
import { customerIdOf, personalValues } from '#shared/domain/customer.ts';
import type { OrderChangeSet } from '#shared/domain/order-changes.ts';
import type { Order, OrderDraft } from '#shared/domain/order.ts';
import { fixture } from '../support/channel-fixtures.ts';

/**
 * Events carry no personal data (docs/events.md "Personal data"): the bus
 * archive keeps them 90 days and cannot be erased.
 */

/** Property names that hold a person's data wherever they appear in an event. */
const PERSONAL = /^(name|firstName|lastName|fullName|email|e-?mail|phone|mobile|company|address|address[12]|street|street[12]|line[12]|lines|city|geo|lat|lon|latitude|longitude|notes|note|to|recipient|smsConsent|locale)$/i;

/**
 * Property paths that match PERSONAL but are not a customer's data, and why.
 * `lines` are order lines (SKUs, quantities) unless they are strings; staff
 * names and hold notes are the merchant's people acting in their role.
 */
const ALLOWED: Record<string, string> = {
  'LocationChanged data.location.name': "a warehouse's or store's name",
  'LocationChanged data.location.address': "a warehouse's or store's postal address",
  'LocationChanged data.location.address.lines': "a warehouse's or store's street",
  'LocationChanged data.location.address.city': "a warehouse's or store's city",
  'LocationChanged data.location.geo': "a warehouse's or store's coordinates (distance routing)",
  'LocationChanged data.location.geo.lat': "a warehouse's or store's coordinates",
  'LocationChanged data.location.geo.lon': "a warehouse's or store's coordinates",
  'ChannelChanged data.channel.name': "a sales channel's name",
  '* data.order.hold.note': 'why the OMS holds the order (the amounts that do not add up)',
  '* data.order.fulfillmentHold.note': 'a staff note on a review hold',
  '* data.order.fulfillmentHold.placedBy.name': 'the staff member who placed the hold',
  'OrderHeld data.hold.note': 'a staff note on a review hold',
  'OrderHeld data.hold.placedBy.name': 'the staff member who placed the hold',
  'OrderReleased data.releasedBy.name': 'the staff member who released the hold',
  'OrderReleased data.note': 'a staff note on the release',
};

type Node = Record<string, unknown>;

/** Every property path of a JSON Schema, `$ref`s followed (each definition once per path). */
function propertyPaths(root: Node): { path: string; node: Node }[] {
  const defs = (root['$defs'] ?? {}) as Record<string, Node>;
  const found: { path: string; node: Node }[] = [];
  const visit = (node: unknown, path: string, refs: readonly string[]) => {
    if (Array.isArray(node)) return node.forEach((entry) => visit(entry, path, refs));
    if (!node || typeof node !== 'object') return;
    const schema = node as Node;
    const ref = schema['$ref'];
    if (typeof ref === 'string' && ref.startsWith('#/$defs/')) {
      const name = ref.slice('#/$defs/'.length);
      if (!refs.includes(name)) visit(defs[name], path, [...refs, name]);
    }
    for (const [key, value] of Object.entries(schema)) {
      if (key === '$defs') continue;
      if (key === 'properties' && value && typeof value === 'object') {
        for (const [name, property] of Object.entries(value as Record<string, Node>)) {
          const child = path ? `${path}.${name}` : name;
          found.push({ path: child, node: property });
          visit(property, child, refs);
        }
      } else if (typeof value === 'object') visit(value, path, refs);
    }
  };
  visit(root, '', []);
  return found;
}

/** Whether a property holds strings (a street's lines) rather than objects (order lines). */
function holdsText(node: Node, defs: Record<string, Node>): boolean {
  const resolved = typeof node['$ref'] === 'string' ? (defs[String(node['$ref']).slice('#/$defs/'.length)] ?? node) : node;
  if (resolved['type'] === 'string') return true;
  const items = resolved['items'] as Node | undefined;
  return resolved['type'] === 'array' && !!items && holdsText(items, defs);
}

describe('event schemas', () => {
  it('name no property that holds personal data (except the listed business and staff fields)', () => {
    const offending: string[] = [];
    for (const event of [...eventCatalog, ...inboundEvents]) {
      const schema = eventJsonSchema(event, 'draft-2020-12');
      const defs = (schema['$defs'] ?? {}) as Record<string, Node>;
      for (const { path, node } of propertyPaths(schema)) {
        const name = path.split('.').at(-1) ?? '';
        if (!PERSONAL.test(name)) continue;
        if (name === 'lines' && !holdsText(node, defs)) continue;
        if (ALLOWED[`${event.detailType} ${path}`] || ALLOWED[`* ${path}`]) continue;
        offending.push(`${event.detailType} ${path}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('the walk follows $refs into definitions and tells street lines from order lines (so it would catch a leak)', () => {
    const leaky = { $defs: { A: { type: 'object', properties: { email: { type: 'string' }, lines: { type: 'array', items: { type: 'string' } } } } }, type: 'object', properties: { data: { type: 'object', properties: { customer: { $ref: '#/$defs/A' } } } } };
    expect(propertyPaths(leaky).map((p) => p.path)).toEqual(['data', 'data.customer', 'data.customer.email', 'data.customer.lines']);
    expect(holdsText(leaky.$defs.A.properties.lines as Node, leaky.$defs as Record<string, Node>)).toBe(true);
  });
});

const AT = '2026-11-27T10:00:00.000Z';
const context = { occurredAt: new Date(AT), actor: 'test' };

function asOrder(draft: OrderDraft): Order {
  return { ...draft, orderId: '01M8EJV774P67P6BX5MZSVEP9Q', status: 'received', version: 3, createdAt: draft.channelCreatedAt, updatedAt: draft.channelCreatedAt };
}

/** A channel order with every personal field filled in. */
function personalOrder(draft: OrderDraft): Order {
  const order = asOrder(draft);
  return {
    ...order,
    customer: { ...order.customer, name: 'Ada Quokkaworth', email: 'Ada.Quokkaworth@example.com', phone: '+1 617 555 0199', smsConsent: true, locale: 'en-US' },
    shippingAddress: { name: 'Ada Quokkaworth', company: 'Quokkaworth Analytical Engines', lines: ['77 Zanzibar Lane', 'Apartment 4B'], city: 'Marblehead', region: 'MA', postalCode: '01945', country: 'US', phone: '+1 617 555 0188', geo: { lat: 42.5001234, lon: -70.8578765 } },
    billingAddress: { name: 'Charles Quokkaworth', lines: ['12 Abacus Row'], city: 'Swampscott', region: 'MA', postalCode: '01907', country: 'US', phone: '+1 781 555 0123', geo: { lat: 42.4709876, lon: -70.9175432 } },
    notes: 'Leave it with Mrs Featherstonehaugh next door',
  };
}

/** Every personal value of the order, and its coordinates. */
function secrets(order: Order): string[] {
  const kept = new Set([order.shippingAddress?.postalCode, order.billingAddress?.postalCode]); // postal codes are carried on purpose
  const values = personalValues(order).filter((value) => !kept.has(value));
  for (const address of [order.shippingAddress, order.billingAddress]) {
    if (address?.geo) values.push(String(address.geo.lat), String(address.geo.lon));
  }
  return values;
}

const channelOrders: [string, () => OrderDraft][] = [
  ['Shopify', () => shopifyToDraft(ShopifyOrder.parse(fixture('shopify-orders-create.json')), { channelId: 'shop' })],
  ['WooCommerce', () => wooToDraft(WooOrder.parse(fixture('woocommerce-order-created.json')), { channelId: 'woo' })],
];

describe.each(channelOrders)('order events of a %s order', (_channel, draft) => {
  const fromChannel = asOrder(draft());
  const order = personalOrder(draft());

  it('the channel fixture itself holds personal data that would leak if carried whole', () => {
    expect(personalValues(fromChannel).length).toBeGreaterThan(0);
  });

  it.each([
    ['OrderReceived', () => OrderReceived.create(eventOrder(fromChannel), context)],
    ['OrderReceived (every personal field)', () => OrderReceived.create(eventOrder(order), context)],
    ['OrderUpdated', () => OrderUpdated.create({ ...eventOrder(order), changed: ['shippingAddress', 'notes'], refused: [] }, context)],
    ['OrderCancelled', () => OrderCancelled.create({ ...eventOrder(order), reason: 'customer asked' }, context)],
  ])('%s carries none of its personal values', (_name, build) => {
    const serialized = JSON.stringify(build().detail);
    const source = _name === 'OrderReceived' ? fromChannel : order;
    for (const value of secrets(source)) expect(serialized.toLowerCase(), value).not.toContain(value.toLowerCase());
  });

  it('carries the customer id, the addresses reduced to country, region and postal code, and everything else', () => {
    const event = OrderReceived.create(eventOrder(order), context);
    const { data, metadata } = OrderReceived.parse(event.detail);
    expect(metadata.eventVersion).toBe(2);
    expect(data.order.customer).toEqual({ customerId: customerIdOf('ada.quokkaworth@example.com') });
    expect(data.order.shippingAddress).toEqual({ country: 'US', region: 'MA', postalCode: '01945' });
    expect(data.order.billingAddress).toEqual({ country: 'US', region: 'MA', postalCode: '01907' });
    expect(data.order).not.toHaveProperty('notes');
    const { customer: _c, shippingAddress: _s, billingAddress: _b, notes: _n, ...rest } = order;
    expect(data.order).toMatchObject(rest);
  });
});

describe('order events with a change set', () => {
  const order = personalOrder(shopifyToDraft(ShopifyOrder.parse(fixture('shopify-orders-create.json')), { channelId: 'shop' }));
  const change: OrderChangeSet = {
    changeId: `${order.orderId}:v4`,
    reason: 'customer moved',
    lines: [{ lineId: 'L1', sku: 'SKU-1', change: 'quantity', before: 2, after: 1 }],
    shippingAddress: { before: { ...order.shippingAddress }, after: { name: 'Ada Quokkaworth', lines: ['9 Nightingale Crescent'], city: 'Salem', region: 'MA', postalCode: '01970', country: 'US', geo: { lat: 42.5195111, lon: -70.8967222 } } },
    released: [],
    reserved: [],
    backorderCancelled: [],
    rerouted: true,
    fulfillmentsCancelled: [],
    refulfill: true,
    money: { currency: 'USD', before: 1000, after: 1000, difference: 0, mode: 'channel', action: 'none' },
  };

  it('OrderEdited carries the address before and after as country, region and postal code only', () => {
    const event = OrderEdited.create({ ...eventOrder(order), orderId: order.orderId, previousVersion: 3, change: eventChangeSet(change) }, context);
    const serialized = JSON.stringify(event.detail);
    for (const value of [...secrets(order), '9 Nightingale Crescent', 'Salem', '42.5195111', '-70.8967222']) expect(serialized, value).not.toContain(value);
    const { data } = OrderEdited.parse(event.detail);
    expect(data.change.shippingAddress).toEqual({ before: { country: 'US', region: 'MA', postalCode: '01945' }, after: { country: 'US', region: 'MA', postalCode: '01970' } });
    expect(data.change).toMatchObject({ changeId: change.changeId, rerouted: true, refulfill: true, lines: change.lines });
  });

  it('OrderLinesCancelled carries no personal values', () => {
    const { shippingAddress: _address, ...lines } = change;
    const event = OrderLinesCancelled.create({ ...eventOrder(order), orderId: order.orderId, change: eventChangeSet(lines) }, context);
    const serialized = JSON.stringify(event.detail);
    for (const value of secrets(order)) expect(serialized, value).not.toContain(value);
    expect(OrderLinesCancelled.parse(event.detail).data.change).not.toHaveProperty('shippingAddress');
  });

  it('an order without an e-mail (or erased) carries an empty customer', () => {
    const { email: _email, ...customer } = order.customer;
    expect(withoutPersonalData({ ...order, customer }).customer).toEqual({});
  });

  it('a version 1 event replayed from the archive still parses, and what consumers read of it holds no personal values', () => {
    const v1 = { metadata: { eventId: '01M8EJV774P67P6BX5MZSVEP9R', eventVersion: 1, occurredAt: AT, actor: 'channel:shop' }, data: { order } };
    const parsed = OrderReceived.parse(v1);
    expect(parsed.data.order.orderId).toBe(order.orderId);
    expect(parsed.data.order.channel).toEqual(order.channel);
    const serialized = JSON.stringify(parsed.data);
    for (const value of secrets(order)) expect(serialized, value).not.toContain(value);
  });
});
