import { createHash } from 'node:crypto';
import * as z from 'zod';
import { Timestamp } from './common.ts';
import { ErasureMark, type Order, type OrderAddress } from './order.ts';

export { ErasureMark };

/**
 * Customers are not stored as such: a customer is everyone who ordered with
 * one e-mail address (any letter case, any channel). Their id is a digest of
 * the normalised address, so the id in URLs, keys and audit records is not
 * the address itself (it is a pseudonym: whoever knows the address can
 * compute it, nobody can read the address back from it).
 */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const CustomerId = z
  .string()
  .regex(/^cus_[0-9a-f]{32}$/)
  .meta({ description: 'The customer id: `cus_` and a digest of the lower-case, trimmed e-mail (GET /v1/customers?email= computes it).', example: 'cus_5f1c0e3b9a6d4f2e8b7c1a0d9e8f7a6b' });

export function customerIdOf(email: string): string {
  return `cus_${createHash('sha256').update(`oms-customer:${normaliseEmail(email)}`).digest('hex').slice(0, 32)}`;
}

/** The customer of an order, when it has an e-mail. */
export function customerOfOrder(order: Pick<Order, 'customer'>): string | undefined {
  const email = order.customer.email?.trim();
  return email ? customerIdOf(email) : undefined;
}


/** What an erased order shows instead of a name. */
export const ERASED_NAME = 'Erased customer';
/** What replaces a personal value inside stored texts (timeline messages, message bodies, returns' notes). */
export const ERASED_TEXT = '[erased]';

/** An address reduced to what accounting and tax need: the country and region. */
function pseudonymousAddress(address: OrderAddress | undefined): OrderAddress | undefined {
  if (!address) return undefined;
  return { name: ERASED_NAME, lines: [], country: address.country, ...(address.region ? { region: address.region } : {}) };
}

/**
 * The order without the person: name, e-mail, phone and SMS consent gone
 * (so no message can be sent any more), addresses reduced to country and
 * region, free-text notes dropped. Lines, money, status and ids stay.
 */
export function pseudonymiseOrder<T extends Pick<Order, 'customer' | 'shippingAddress' | 'billingAddress' | 'notes'>>(order: T, mark: ErasureMark): T & { erasure: ErasureMark } {
  const { notes: _notes, shippingAddress, billingAddress, ...rest } = order;
  const shipping = pseudonymousAddress(shippingAddress);
  const billing = pseudonymousAddress(billingAddress);
  return {
    ...(rest as T),
    customer: { name: ERASED_NAME },
    ...(shipping ? { shippingAddress: shipping } : {}),
    ...(billing ? { billingAddress: billing } : {}),
    erasure: mark,
  } as T & { erasure: ErasureMark };
}

/**
 * The personal values an order holds (name, e-mail, phone, address lines,
 * city, postal code, company): what erasure looks for in the order's other
 * items. Values shorter than three characters are left out, so that erasing
 * never rewrites unrelated short words.
 */
export function personalValues(order: Pick<Order, 'customer' | 'shippingAddress' | 'billingAddress' | 'notes'>): string[] {
  const values = new Set<string>();
  const add = (value: string | undefined) => {
    const trimmed = value?.trim();
    if (trimmed && trimmed.length >= 3) values.add(trimmed);
  };
  add(order.customer.name);
  add(order.customer.email);
  add(order.customer.phone);
  add(order.notes);
  for (const address of [order.shippingAddress, order.billingAddress]) {
    if (!address) continue;
    add(address.name);
    add(address.company);
    add(address.phone);
    add(address.city);
    add(address.postalCode);
    address.lines.forEach(add);
  }
  // Longest first: a full address line is replaced before a name inside it.
  return [...values].sort((a, b) => b.length - a.length);
}

/** `value` with every personal value in it replaced (strings, inside arrays and objects); the same value when nothing changed. */
export function scrubPersonal<T>(value: T, values: readonly string[]): T {
  if (values.length === 0) return value;
  if (typeof value === 'string') {
    let text: string = value;
    const lower = () => text.toLowerCase();
    for (const personal of values) {
      const needle = personal.toLowerCase();
      let at = lower().indexOf(needle);
      while (at !== -1) {
        text = `${text.slice(0, at)}${ERASED_TEXT}${text.slice(at + personal.length)}`;
        at = lower().indexOf(needle, at + ERASED_TEXT.length);
      }
    }
    return text as T;
  }
  if (Array.isArray(value)) {
    const out = value.map((entry: unknown) => scrubPersonal(entry, values));
    return (out.some((entry, i) => entry !== value[i]) ? out : value) as T;
  }
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) {
      const next = scrubPersonal(entry, values);
      if (next !== entry) changed = true;
      out[key] = next;
    }
    return (changed ? out : value) as T;
  }
  return value;
}

/** One erasure request, as the audit trail keeps it: ids, counts and times, no personal data. */
export const CustomerErasure = z
  .object({
    erasureId: z.string(),
    requestedBy: z.string().meta({ description: 'Who asked: the API caller, or the channel whose compliance webhook asked (e.g. `channel:shopify-us`).' }),
    erasedAt: Timestamp,
    orderIds: z.array(z.string()).meta({ description: 'The orders whose personal data this erasure removed (kept for accounting, with pseudonyms).' }),
    requestId: z.string().optional().meta({ description: 'The channel\'s compliance request this erasure answered (GET /v1/channels/{channelId}/compliance-requests).' }),
  })
  .meta({ id: 'CustomerErasure' });
export type CustomerErasure = z.infer<typeof CustomerErasure>;

export const ErasureRecord = z
  .object({
    customerId: CustomerId,
    erasures: z.array(CustomerErasure).meta({ description: 'Every erasure of this customer, oldest first (an erase that found nothing new to remove adds none).' }),
    firstErasedAt: Timestamp,
    lastErasedAt: Timestamp,
  })
  .meta({ id: 'ErasureRecord', description: 'The audit trail of erasures: ids and times only, nothing personal.' });
export type ErasureRecord = z.infer<typeof ErasureRecord>;

/** An order in a customer's index: enough to list it and read it. */
export const CustomerOrderRef = z
  .object({
    orderId: z.string(),
    channelId: z.string(),
    placedAt: Timestamp,
  })
  .meta({ id: 'CustomerOrderRef' });
export type CustomerOrderRef = z.infer<typeof CustomerOrderRef>;
