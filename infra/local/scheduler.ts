import { runtimeLog as logger } from './log.ts';
import type { FunctionName } from '../topology/functions.ts';
import type { ScheduleSpec } from '../topology/schedules.ts';
import type { DeadLetter, RecordLog } from './record-log.ts';
import { errorMessage, withRetries } from './retry.ts';
import { nextFireTime, parseScheduleExpression } from './schedule-expression.ts';

/** The longest delay setTimeout accepts; longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The local EventBridge Scheduler: a timer per schedule from the same
 * expressions CDK deploys (UTC), invoking the target function with the
 * schedule's input, retrying with its budget and dead-lettering what fails.
 */
export class LocalScheduler {
  readonly #schedules: ScheduleSpec[];
  readonly #invoke: (fn: FunctionName, input: unknown, scheduleId: string) => Promise<unknown>;
  readonly #deadLetters: RecordLog<DeadLetter>;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #startedAt = new Date();
  #started = false;
  readonly fired: { id: string; at: string; ok: boolean }[] = [];

  constructor(options: {
    schedules: readonly ScheduleSpec[];
    /** Invokes the target; resolving `false` means Lambda took the event but it failed into the on-failure destination (no dead letter). */
    invoke: (fn: FunctionName, input: unknown, scheduleId: string) => Promise<unknown>;
    deadLetters: RecordLog<DeadLetter>;
  }) {
    this.#schedules = [...options.schedules];
    this.#invoke = options.invoke;
    this.#deadLetters = options.deadLetters;
    for (const schedule of this.#schedules) {
      if (schedule.timezone !== 'UTC') throw new Error(`Schedule ${schedule.id}: the local scheduler evaluates UTC only`);
      parseScheduleExpression(schedule.expression); // fail at start on a bad expression
    }
  }

  start(): void {
    this.#started = true;
    for (const schedule of this.#schedules) this.#arm(schedule, new Date());
  }

  /**
   * Creates or replaces a schedule at run time (the OMS creates one per polled
   * channel through the Scheduler API; the local Scheduler endpoint lands here).
   */
  put(schedule: ScheduleSpec): void {
    parseScheduleExpression(schedule.expression);
    this.remove(schedule.id);
    this.#schedules.push(schedule);
    if (this.#started) this.#arm(schedule, new Date());
  }

  remove(id: string): boolean {
    const index = this.#schedules.findIndex((s) => s.id === id);
    if (index < 0) return false;
    this.#schedules.splice(index, 1);
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    return true;
  }

  get(id: string): ScheduleSpec | undefined {
    return this.#schedules.find((s) => s.id === id);
  }

  /** When each schedule fires next. */
  nextRuns(): Record<string, string | undefined> {
    return Object.fromEntries(
      this.#schedules.map((s) => [s.id, nextFireTime(parseScheduleExpression(s.expression), new Date(), this.#startedAt)?.toISOString()]),
    );
  }

  /** Fires a schedule now, as if its time had come (used by tests and `npm start -- --run-schedule`). */
  async runNow(id: string): Promise<boolean> {
    const schedule = this.#schedules.find((s) => s.id === id);
    if (!schedule) throw new Error(`Unknown schedule ${id}`);
    return this.#fire(schedule);
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#inFlight]);
  }

  #arm(schedule: ScheduleSpec, after: Date): void {
    const next = nextFireTime(parseScheduleExpression(schedule.expression), after, this.#startedAt);
    if (!next) return;
    const delay = next.getTime() - Date.now();
    const timer = setTimeout(
      () => {
        if (!this.#schedules.includes(schedule)) return;
        if (delay > MAX_TIMER_MS) return this.#arm(schedule, new Date());
        const run = this.#fire(schedule).then(() => undefined);
        this.#inFlight.add(run);
        void run.finally(() => this.#inFlight.delete(run));
        this.#arm(schedule, next);
      },
      Math.min(Math.max(0, delay), MAX_TIMER_MS),
    );
    timer.unref();
    this.#timers.set(schedule.id, timer);
  }

  async #fire(schedule: ScheduleSpec): Promise<boolean> {
    const result = await withRetries(() => this.#invoke(schedule.target.function, schedule.input, schedule.id), {
      retryAttempts: schedule.retryAttempts,
      maxAgeMs: schedule.maxEventAgeSeconds * 1000,
    });
    const ok = result.ok && result.value !== false;
    this.fired.push({ id: schedule.id, at: new Date().toISOString(), ok });
    if (result.ok) return ok;
    logger.error('Scheduled job failed; dead-lettered', { schedule: schedule.id, error: errorMessage(result.error) });
    this.#deadLetters.append({
      source: `schedule:${schedule.id}`,
      target: schedule.target.function,
      payload: schedule.input,
      error: errorMessage(result.error),
      attempts: result.attempts,
      at: new Date().toISOString(),
    });
    return false;
  }
}
