import type { FunctionName } from './functions.ts';
import { rules } from './rules.ts';
import { schedules } from './schedules.ts';

/**
 * How Lambda treats a function invoked asynchronously (by an EventBridge rule,
 * a Scheduler schedule, or `InvocationType: Event`): once Lambda has accepted
 * the event, the rule's or schedule's own retry budget no longer applies —
 * Lambda tries the function, retries it `retryAttempts` times, then hands the
 * event to the function's on-failure destination (the FailedInvocations queue
 * on AWS, `oms.failedInvocations` locally) instead of dropping it.
 */
export const asyncInvocation = {
  /** Lambda's own retries after the first try (its maximum, and its default). */
  retryAttempts: 2,
  /** An event older than this goes to the destination without further tries. */
  maxEventAgeSeconds: 6 * 3600,
} as const;

/**
 * Functions started asynchronously besides rule and schedule targets: the poll
 * function (started with `InvocationType: Event` by LambdaPollStarter and by
 * the per-channel poll schedules), the Shopify partner-event receiver (a
 * rule on the partner bus, created only when that source is configured), and
 * the customer-message functions (a workflow's message step whose retries are
 * spent hands its input on with `InvocationType: Event`: infra/workflows/steps.ts notifyStep).
 */
const alsoAsync: FunctionName[] = ['pollChannel', 'receiveShopifyEvent', 'notifyCustomer', 'notifyReturn'];

/** Every function that is invoked asynchronously somewhere, and so needs an on-failure destination. */
export function asynchronousFunctions(): FunctionName[] {
  const names = new Set<FunctionName>(alsoAsync);
  for (const rule of rules) if ('function' in rule.target) names.add(rule.target.function);
  for (const schedule of schedules) names.add(schedule.target.function);
  return [...names].sort();
}
