import * as z from 'zod';
import { ValidationError } from '#shared/domain/errors.ts';
import { MAX_LINE_QUANTITY, OrderDraft, checkTotals, type OrderAddress, type OrderWarning } from '#shared/domain/order.ts';
import { MoneyFormatError, formatMoney, parseDecimal } from '#shared/domain/money.ts';

/** A decimal amount as channels send it: a string such as "124.63" (or, from some channels, a JSON number). */
export const Decimal = z.union([
  z.string().regex(/^-?\d+(\.\d+)?$/, 'Expected a decimal amount such as "12.50"'),
  z.number().refine(Number.isFinite, 'Expected a finite number'),
]);

/** Nullable optional string, as most channel APIs send absent values (null, "", missing). */
export const Text = z
  .string()
  .nullish()
  .transform((value) => (value ? value.trim() || undefined : undefined));

/**
 * Reads amounts in one currency, collecting a warning for each amount that had
 * to be rounded (more decimals than the currency has).
 */
export function moneyReader(currency: string, warnings: OrderWarning[]) {
  return (value: string | number | null | undefined, field: string): number => {
    if (value === null || value === undefined || value === '') return 0;
    let parsed;
    try {
      parsed = parseDecimal(value, currency);
    } catch (error) {
      // Beyond what the OMS can hold exactly (2^53 minor units): not an amount of an order, refused before it is acknowledged.
      if (!(error instanceof MoneyFormatError)) throw error;
      throw new ValidationError('The payload is not an order this channel sends', [
        { in: 'body', path: field, message: `${clipped(String(value))} cannot be held exactly as an amount in ${currency}`, code: 'invalid_amount' },
      ]);
    }
    const { amount, rounded } = parsed;
    if (rounded) {
      const original = clipped(String(value));
      warnings.push({
        code: 'amount_rounded',
        message: `${field} ${original} has more decimals than ${currency}; rounded to ${formatMoney(amount, currency)}`,
        details: { field, original },
      });
    }
    return amount;
  };
}

/** A channel's value quoted in a message: at most 40 characters (a warning sits on the order's item, an error in a response). */
function clipped(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** A country as channels send it: an ISO 3166-1 alpha-2 code, in either case (kept in upper case). */
export const ChannelCountry = z.string().regex(/^[A-Za-z]{2}$/, 'Expected an ISO 3166-1 alpha-2 country code, e.g. "US"');

/** A line's quantity as channels send it: a whole number of units, 1 to MAX_LINE_QUANTITY. */
export const Quantity = z
  .number()
  .int()
  .min(1)
  .max(MAX_LINE_QUANTITY, `An order line holds at most ${MAX_LINE_QUANTITY.toLocaleString('en-US')} units`);

/** Unit price from a line amount: exact when it divides, otherwise rounded half-even. */
export function unitPriceOf(lineAmount: number, quantity: number): number {
  const floor = Math.floor(lineAmount / quantity);
  const remainder = lineAmount - floor * quantity;
  if (remainder * 2 < quantity) return floor;
  if (remainder * 2 > quantity) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

export function joinName(...parts: (string | null | undefined)[]): string | undefined {
  const name = parts.filter(Boolean).join(' ').trim();
  return name || undefined;
}

/** Drops absent optional fields so canonical orders compare and serialize cleanly. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function address(value: Partial<OrderAddress> & { country?: string | undefined }): OrderAddress | undefined {
  if (!value.country) return undefined;
  const geo = value.geo ? { lat: coordinate(value.geo.lat), lon: coordinate(value.geo.lon) } : undefined;
  return compact({ ...value, lines: (value.lines ?? []).filter((line) => line.trim() !== ''), country: value.country.toUpperCase(), geo }) as OrderAddress;
}

/**
 * A coordinate to 7 decimals (about a centimetre): more than any channel
 * means, and a number DynamoDB can store (it refuses magnitudes below
 * 10^-130, such as 5e-324).
 */
function coordinate(degrees: number): number {
  return Math.round(degrees * 1e7) / 1e7 || 0;
}

/** ISO instant in UTC from a channel's timestamp (with offset, or without one meaning UTC). */
export function utc(timestamp: string): string {
  const hasZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(timestamp);
  const parsed = new Date(hasZone ? timestamp : `${timestamp}Z`);
  if (Number.isNaN(parsed.getTime())) throw new Error(`Not a timestamp: ${timestamp}`);
  return parsed.toISOString();
}

/** Adds the totals check to a draft built by a channel adapter. */
export function withTotalsCheck(draft: OrderDraft): OrderDraft {
  const warning = checkTotals(draft.totals, draft.lines.length, draft.currency);
  return warning ? { ...draft, warnings: [...draft.warnings, warning] } : draft;
}

/**
 * Timestamp schema for channel payloads: any parseable date-time string whose
 * instant falls in the years 0000–9999 (an ISO 8601 instant without an
 * expanded year, as the OMS stores them).
 */
export const ChannelTimestamp = z.string().refine((value) => {
  const time = Date.parse(/([zZ]|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`);
  return !Number.isNaN(time) && /^\d{4}-/.test(new Date(time).toISOString());
}, 'Expected a date-time between the years 0000 and 9999');

/**
 * The most warnings one order keeps. Capture writes the order, its line
 * chunks, one timeline entry per warning, its source and its events in one
 * DynamoDB transaction (at most 100 writes; a full order of 1,000 lines uses
 * 20 chunks), and the warnings sit in the order's own item; beyond this the
 * rest are summed up in one `field_truncated` warning on `warnings`.
 */
export const MAX_WARNINGS = 20;

/** Fields that are identifiers (keys of stock and orders): refused when they break the rules, never cut. */
const IDENTIFIER_FIELDS = new Set(['channelId', 'externalOrderId', 'lineId', 'sku']);
/** Fields a shortened value of would reach someone else: left out when too long to be valid. */
const CONTACT_FIELDS = new Set(['email', 'phone']);

/**
 * Fits a channel's draft to what the OMS keeps, so that a payload acknowledged
 * is an order captured: a text longer than the OMS's own limit (a note, a
 * name, an address line, a city, a title…) is cut to the limit at a character
 * boundary with a `field_truncated` warning; an e-mail or phone longer than
 * any valid one, or coordinates off the Earth, are left out with a
 * `field_dropped` warning (a shortened address would reach someone else);
 * warnings beyond MAX_WARNINGS are summed up. The raw payload is kept on the
 * order's source, so nothing is lost. Identifiers, money and quantities are
 * never changed: what still breaks OrderDraft afterwards cannot be an order.
 */
export function fitDraft(draft: OrderDraft): OrderDraft {
  const result = OrderDraft.safeParse(draft);
  const added: OrderWarning[] = [];
  let fitted = draft;
  if (!result.success) {
    fitted = structuredClone(draft);
    const droppedGeo = new Set<string>();
    for (const issue of result.error.issues) {
      const path = issue.path.map(String);
      const field = path.join('.');
      const last = path.at(-1) ?? '';
      const geoAt = path.indexOf('geo');
      if (geoAt > 0 && path[0] !== 'lines') {
        const owner = path.slice(0, geoAt).join('.');
        if (droppedGeo.has(owner)) continue;
        droppedGeo.add(owner);
        const parent = valueAt(fitted, path.slice(0, geoAt)) as Record<string, unknown> | undefined;
        if (!parent) continue;
        const geo = parent['geo'] as { lat?: unknown; lon?: unknown } | undefined;
        delete parent['geo'];
        added.push({
          code: 'field_dropped',
          message: `${owner}.geo (${String(geo?.lat)}, ${String(geo?.lon)}) is not a point on the Earth; left out (distance routing uses the postal code instead)`,
          details: { field: `${owner}.geo`, reason: 'out_of_range' },
        });
        continue;
      }
      if (issue.code !== 'too_big' || issue.origin !== 'string' || IDENTIFIER_FIELDS.has(last)) continue;
      const value = valueAt(fitted, path);
      if (typeof value !== 'string') continue;
      const parent = valueAt(fitted, path.slice(0, -1)) as Record<string, unknown>;
      const max = Number(issue.maximum);
      if (CONTACT_FIELDS.has(last)) {
        Reflect.deleteProperty(parent, last);
        added.push({
          code: 'field_dropped',
          message: `${field} is ${value.length} characters, longer than any valid ${last === 'email' ? 'e-mail address' : 'phone number'} (the OMS keeps ${max}); left out rather than cut, so no message goes to someone else. The full value is in the order's source`,
          details: { field, reason: 'too_long', originalLength: value.length },
        });
        continue;
      }
      const kept = cut(value, max);
      parent[last] = kept;
      added.push({
        code: 'field_truncated',
        message: `${field} is ${value.length} characters; the OMS keeps ${max}, so the first ${kept.length} are kept. The full text is in the order's source`,
        details: { field, originalLength: value.length, keptLength: kept.length },
      });
    }
  }
  const warnings = [...fitted.warnings, ...added];
  if (warnings.length <= MAX_WARNINGS && added.length === 0) return fitted;
  if (warnings.length <= MAX_WARNINGS) return { ...fitted, warnings };
  // The totals check matters most: it stays, then the others in the order they were found.
  const ordered = [...warnings.filter((w) => w.code === 'totals_mismatch'), ...warnings.filter((w) => w.code !== 'totals_mismatch')];
  const kept = ordered.slice(0, MAX_WARNINGS - 1);
  return {
    ...fitted,
    warnings: [
      ...kept,
      {
        code: 'field_truncated',
        message: `The order has ${warnings.length} warnings; the OMS keeps ${MAX_WARNINGS}, so the first ${kept.length} are kept and ${warnings.length - kept.length} more are summed up here`,
        details: { field: 'warnings', originalLength: warnings.length, keptLength: kept.length },
      },
    ],
  };
}

/** The first `max` UTF-16 code units of `value`, never half a surrogate pair, without trailing spaces. */
function cut(value: string, max: number): string {
  let kept = value.slice(0, max);
  if (/[\ud800-\udbff]$/.test(kept)) kept = kept.slice(0, -1);
  return kept.trimEnd();
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), root);
}
