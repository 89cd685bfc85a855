import type { FunctionName } from './functions.ts';

/**
 * Scheduled jobs. CDK creates an EventBridge Scheduler schedule for each; the
 * local runtime sets timers from the same expression.
 */
export interface ScheduleSpec {
  id: string;
  description: string;
  /** `rate(n unit)` or a six-field `cron(...)` expression, as EventBridge Scheduler reads them. */
  expression: string;
  timezone: string;
  target: { function: FunctionName };
  input: Record<string, unknown>;
  retryAttempts: number;
  maxEventAgeSeconds: number;
}

export const schedules: ScheduleSpec[] = [
  {
    id: 'OpsDigest',
    description: 'Morning e-mail to operations with the state of locations and channels',
    expression: 'cron(0 7 * * ? *)',
    timezone: 'UTC',
    target: { function: 'sendOpsDigest' },
    input: { job: 'ops-digest' },
    retryAttempts: 3,
    maxEventAgeSeconds: 3600,
  },
  {
    id: 'ReservationExpiry',
    description: 'Unpaid orders whose reservation lapsed give their stock back; overdue backorders are cancelled; holds past their release date are released; provider refunds left pending are finished',
    expression: 'rate(5 minutes)',
    timezone: 'UTC',
    target: { function: 'sweepReservations' },
    input: { job: 'reservation-expiry' },
    retryAttempts: 2,
    maxEventAgeSeconds: 300,
  },
  {
    id: 'FulfillmentTimeouts',
    description: 'Fulfillments a location did not accept in time are timed out (and re-routed)',
    expression: 'rate(5 minutes)',
    timezone: 'UTC',
    target: { function: 'expireFulfillments' },
    input: { job: 'fulfillment-timeouts' },
    retryAttempts: 2,
    maxEventAgeSeconds: 300,
  },
  {
    id: 'Reconciler',
    description: 'Orders stuck received, reserved (not held) or shipped without an invoice longer than they should be are driven on by re-running their idempotent step',
    expression: 'rate(5 minutes)',
    timezone: 'UTC',
    target: { function: 'reconcileOrders' },
    input: { job: 'reconcile-orders' },
    retryAttempts: 2,
    maxEventAgeSeconds: 300,
  },
  {
    id: 'ReturnExpiry',
    description: 'Approved returns not sent back by their deadline expire',
    expression: 'rate(1 hour)',
    timezone: 'UTC',
    target: { function: 'expireReturns' },
    input: { job: 'return-expiry' },
    retryAttempts: 2,
    maxEventAgeSeconds: 3600,
  },
];
