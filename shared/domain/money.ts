import * as z from 'zod';

/**
 * Money is an integer number of minor units (cents) and an ISO 4217 currency.
 * Channels send decimal strings ("124.63"); they are converted digit by digit,
 * never through floating point. Amounts with more decimals than the currency
 * has (a channel configured for 4 decimals) are rounded half-to-even and the
 * caller is told, so the order can carry a warning.
 */

/** Minor-unit exponents that differ from 2 (ISO 4217). */
const EXPONENTS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'Use an ISO 4217 currency code, e.g. "USD"').meta({ example: 'USD' });

export const Money = z
  .object({
    amount: z.number().int().meta({ description: 'Integer amount in minor units (cents for USD).' }),
    currency: CurrencyCode,
  })
  .meta({ id: 'Money', example: { amount: 12463, currency: 'USD' } });
export type Money = z.infer<typeof Money>;

export function minorUnitExponent(currency: string): number {
  return EXPONENTS[currency] ?? 2;
}

export class MoneyFormatError extends Error {}

/**
 * A decimal amount (`"124.63"`, or a JSON number such as 20.59) in `currency`
 * → minor units. Only `-?digits[.digits]` is accepted. `rounded` is true when
 * digits beyond the currency's exponent were not all zero.
 */
export function parseDecimal(value: string | number, currency: string): { amount: number; rounded: boolean } {
  const text = typeof value === 'number' ? numberToPlainString(value) : value.trim();
  const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new MoneyFormatError(`"${String(value)}" is not a decimal amount`);
  const [, sign, whole = '0', fraction = ''] = match;
  const exponent = minorUnitExponent(currency);
  const kept = fraction.slice(0, exponent).padEnd(exponent, '0');
  const dropped = fraction.slice(exponent);
  let minor = BigInt(whole + kept);
  let rounded = false;
  if (/[1-9]/.test(dropped)) {
    rounded = true;
    const first = Number(dropped[0]);
    const restNonZero = /[1-9]/.test(dropped.slice(1));
    const lastKeptOdd = minor % 2n === 1n;
    if (first > 5 || (first === 5 && (restNonZero || lastKeptOdd))) minor += 1n;
  }
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new MoneyFormatError(`"${String(value)}" is too large`);
  return { amount: Number(minor) * (sign ? -1 : 1) || 0, rounded };
}

/** Exact decimal string of a minor-unit amount: 12463 USD → "124.63". */
export function formatDecimal(amount: number, currency: string): string {
  const exponent = minorUnitExponent(currency);
  const negative = amount < 0;
  const digits = String(Math.abs(amount)).padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const fraction = exponent === 0 ? '' : `.${digits.slice(-exponent)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/**
 * A minor-unit amount as a person reads money: 3000 USD → "$30.00", 1250 EUR
 * → "€12.50", 1500 JPY → "¥1,500". For text only (timeline, messages,
 * errors, documents); API fields stay integer minor units. The digits come
 * from our exponent, not the formatter's own table, so what is shown is
 * exactly the stored amount; the exact decimal string is formatted, never a
 * float. A code Intl does not accept falls back to "12.50 XYZ".
 */
export function formatMoney(amount: number, currency: string): string {
  const decimal = formatDecimal(amount, currency);
  const format = moneyFormat(currency);
  // Intl formats a decimal string exactly (no float on the way); the ES2023 lib types only know numbers.
  return format ? format.format(decimal as unknown as number) : `${decimal} ${currency}`;
}

const moneyFormats = new Map<string, Intl.NumberFormat | undefined>();

function moneyFormat(currency: string): Intl.NumberFormat | undefined {
  if (!moneyFormats.has(currency)) {
    const exponent = minorUnitExponent(currency);
    let format: Intl.NumberFormat | undefined;
    try {
      format = new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: exponent, maximumFractionDigits: exponent });
    } catch {
      format = undefined;
    }
    moneyFormats.set(currency, format);
  }
  return moneyFormats.get(currency);
}

/** A JSON number as the decimal a person wrote (20.59, not 20.589999999999996). */
function numberToPlainString(value: number): string {
  if (!Number.isFinite(value)) throw new MoneyFormatError(`${value} is not a decimal amount`);
  const text = String(value);
  if (!/e/i.test(text)) return text;
  // Exponent notation only for very large or very small numbers: expand exactly.
  return value.toFixed(20).replace(/\.?0+$/, '');
}
