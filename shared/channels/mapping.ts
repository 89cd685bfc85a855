import * as z from 'zod';
import { checkTotals, type OrderAddress, type OrderDraft, type OrderWarning } from '#shared/domain/order.ts';
import { formatMoney, parseDecimal } from '#shared/domain/money.ts';

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
    const { amount, rounded } = parseDecimal(value, currency);
    if (rounded) {
      warnings.push({
        code: 'amount_rounded',
        message: `${field} ${String(value)} has more decimals than ${currency}; rounded to ${formatMoney(amount, currency)}`,
        details: { field, original: String(value) },
      });
    }
    return amount;
  };
}

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
  return compact({ ...value, lines: (value.lines ?? []).filter((line) => line.trim() !== ''), country: value.country.toUpperCase() }) as OrderAddress;
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

/** Timestamp schema for channel payloads: any parseable date-time string. */
export const ChannelTimestamp = z.string().refine((value) => !Number.isNaN(Date.parse(/([zZ]|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`)), 'Expected a date-time');
