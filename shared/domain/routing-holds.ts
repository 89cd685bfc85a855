import * as z from 'zod';
import { Slug } from './ids.ts';
import { CurrencyCode, formatMoney } from './money.ts';
import { MAX_MINOR_UNITS, linesTotal, type Order } from './order.ts';
import { HoldReason, type OrderHold } from './order-hold.ts';
import { paymentModeOf } from './payment.ts';

/**
 * Hold rules of a routing rule set: conditions on the order itself (not on
 * stock) that put it on hold for a person's review when it is first routed.
 * The order still reserves; it is only not handed to a location until a
 * person releases it (the same hold as POST /v1/orders/{orderId}/hold).
 * Pure: reserveOrder evaluates them with the rule set it routes with, and the
 * routing decision keeps what each rule found (`holdRules`).
 */

export const HoldCondition = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('order_value_above'),
      amounts: z
        .record(CurrencyCode, z.number().int().min(0).max(MAX_MINOR_UNITS))
        .refine((amounts) => Object.keys(amounts).length > 0, 'Give a threshold for at least one currency')
        .meta({
          description: 'Threshold per currency, in minor units of that currency (`{ "USD": 100000 }` is $1,000.00). Orders in a currency not listed are not held by this rule.',
          example: { USD: 100000, EUR: 90000 },
        }),
    }),
    z.strictObject({ type: z.literal('country_mismatch') }),
  ])
  .meta({
    description:
      '`order_value_above`: what the order costs the customer (the lines\' total for orders the OMS charges, the channel\'s total otherwise) is above the threshold for its currency. `country_mismatch`: the billing address\'s country is not the shipping address\'s.',
  });
export type HoldCondition = z.infer<typeof HoldCondition>;

export const HoldRule = z
  .strictObject({
    ruleId: Slug,
    description: z.string().max(500).optional(),
    condition: HoldCondition,
    reason: HoldReason.optional().meta({ description: 'Defaults to `high_value` or `country_mismatch`, after the condition.' }),
  })
  .meta({ description: 'A condition on the order that holds it for review when it is first routed.' });
export type HoldRule = z.infer<typeof HoldRule>;

export const HoldRuleResult = z.object({
  ruleId: z.string(),
  result: z.enum(['held', 'not_held', 'not_applicable']),
  message: z.string(),
});
export type HoldRuleResult = z.infer<typeof HoldRuleResult>;

/** What the order costs the customer: the figure the OMS charges (the lines' total) or, for orders paid elsewhere, the channel's total. */
export function orderValue(order: Pick<Order, 'lines' | 'shipping' | 'totals' | 'payment' | 'channel'>): number {
  return paymentModeOf(order) === 'provider' ? linesTotal(order) : order.totals.total;
}

type Reviewed = Pick<Order, 'lines' | 'shipping' | 'totals' | 'payment' | 'channel' | 'currency' | 'billingAddress' | 'shippingAddress'>;

function check(rule: HoldRule, order: Reviewed): HoldRuleResult {
  const { condition } = rule;
  if (condition.type === 'order_value_above') {
    const threshold = Object.hasOwn(condition.amounts, order.currency) ? condition.amounts[order.currency] : undefined;
    if (threshold === undefined) {
      return { ruleId: rule.ruleId, result: 'not_applicable', message: `No threshold for ${order.currency} (the rule has ${Object.keys(condition.amounts).join(', ')}).` };
    }
    const value = orderValue(order);
    const money = (amount: number) => formatMoney(amount, order.currency);
    return value > threshold
      ? { ruleId: rule.ruleId, result: 'held', message: `The order is worth ${money(value)}, above the ${money(threshold)} threshold.` }
      : { ruleId: rule.ruleId, result: 'not_held', message: `The order is worth ${money(value)}, not above the ${money(threshold)} threshold.` };
  }
  const billing = order.billingAddress?.country;
  const shipping = order.shippingAddress?.country;
  if (!billing || !shipping) {
    return { ruleId: rule.ruleId, result: 'not_applicable', message: `The order has no ${billing ? 'shipping' : 'billing'} address to compare.` };
  }
  return billing !== shipping
    ? { ruleId: rule.ruleId, result: 'held', message: `Billed to ${billing}, shipped to ${shipping}.` }
    : { ruleId: rule.ruleId, result: 'not_held', message: `Billed and shipped to ${billing}.` };
}

/**
 * Runs a rule set's hold rules on an order, in order. The first rule that
 * matches holds it (later rules still say what they found, so the decision
 * explains every one); `hold` is the hold to place, if any.
 */
export function reviewOrder(
  ruleSet: { ruleSetId: string; holds?: readonly HoldRule[] | undefined },
  order: Reviewed,
  now: Date,
): { results: HoldRuleResult[]; hold?: OrderHold } {
  const results = (ruleSet.holds ?? []).map((rule) => check(rule, order));
  const index = results.findIndex((r) => r.result === 'held');
  const rule = ruleSet.holds?.[index];
  const result = results[index];
  if (!rule || !result) return { results };
  const reason = rule.reason ?? (rule.condition.type === 'order_value_above' ? 'high_value' : 'country_mismatch');
  return {
    results,
    hold: { reason, note: `Rule ${rule.ruleId}: ${result.message}`, since: now.toISOString(), placedBy: { type: 'rule', ruleSetId: ruleSet.ruleSetId, ruleId: rule.ruleId } },
  };
}
