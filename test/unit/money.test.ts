import { describe, expect, it } from 'vitest';
import { MoneyFormatError, formatDecimal, formatMoney, parseDecimal } from '#shared/domain/money.ts';

describe('parseDecimal', () => {
  it.each([
    ['124.63', 'USD', 12463],
    ['0.10', 'USD', 10],
    ['0.1', 'USD', 10],
    ['7', 'USD', 700],
    ['-4.92', 'USD', -492],
    ['1500', 'JPY', 1500],
    ['1.234', 'KWD', 1234],
    ['41.1800', 'EUR', 4118],
    ['90071992547409.91', 'USD', 9007199254740991],
  ])('%s %s → %i minor units, exactly', (value, currency, amount) => {
    expect(parseDecimal(value, currency)).toEqual({ amount, rounded: false });
  });

  it('never goes through floating point: 0.1 + 0.2 style sums stay exact', () => {
    const cents = ['0.10', '0.20', '0.30'].map((v) => parseDecimal(v, 'USD').amount);
    expect(cents.reduce((a, b) => a + b)).toBe(60);
    expect(parseDecimal(20.59, 'EUR').amount).toBe(2059);
  });

  it.each([
    ['4.925', 492],
    ['4.935', 494],
    ['4.9251', 493],
    ['4.926', 493],
  ])('rounds %s half-to-even and says so', (value, amount) => {
    expect(parseDecimal(value, 'USD')).toEqual({ amount, rounded: true });
  });

  it.each(['', '1,50', '1.5.0', 'NaN', '1e3', ' ', '$5'])('rejects %j', (value) => {
    expect(() => parseDecimal(value, 'USD')).toThrow(MoneyFormatError);
  });
});

describe('formatDecimal', () => {
  it.each([
    [12463, 'USD', '124.63'],
    [5, 'USD', '0.05'],
    [-492, 'USD', '-4.92'],
    [1500, 'JPY', '1500'],
    [1234, 'KWD', '1.234'],
  ])('%i %s → %s', (amount, currency, text) => {
    expect(formatDecimal(amount, currency)).toBe(text);
    expect(parseDecimal(text, currency).amount).toBe(amount);
  });
});

describe('formatMoney', () => {
  it.each([
    [3000, 'USD', '$30.00'],
    [1250, 'EUR', '€12.50'],
    [1500, 'JPY', '¥1,500'],
    [-492, 'USD', '-$4.92'],
    [123456789, 'GBP', '£1,234,567.89'],
    [1250, 'CAD', 'CA$12.50'],
    // Our exponent decides the digits: three for dinars, none for yen.
    [1234, 'KWD', 'KWD\u00a01.234'],
    [9007199254740991, 'USD', '$90,071,992,547,409.91'],
  ])('%i %s → %s, as a person reads money', (amount, currency, text) => {
    expect(formatMoney(amount, currency)).toBe(text);
  });

  it('falls back to the decimal and the code for a code Intl does not accept', () => {
    expect(formatMoney(1250, 'EURO')).toBe('12.50 EURO');
  });
});
