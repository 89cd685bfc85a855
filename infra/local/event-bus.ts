import { randomUUID } from 'node:crypto';
import { runtimeLog as logger } from './log.ts';
import type { RuleSpec } from '../topology/rules.ts';
import { matchesPattern } from './event-pattern.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './lambda-host.ts';
import type { ArchivedEvent, DeadLetter, RecordLog } from './record-log.ts';
import { errorMessage, withRetries } from './retry.ts';

/** The event as EventBridge hands it to targets. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface BusEntry {
  source: string;
  detailType: string;
  detail: unknown;
}

export type RuleTarget = RuleSpec['target'];

/**
 * The local EventBridge bus: archives every event, matches each rule's
 * pattern (the same rules CDK deploys, from infra/topology/rules.ts) and
 * delivers to its target asynchronously, retrying with the rule's budget and
 * dead-lettering what still fails.
 */
export class LocalEventBus {
  readonly #rules: readonly RuleSpec[];
  readonly #deliver: (target: RuleTarget, event: BusEvent, ruleId: string) => Promise<void>;
  readonly #deadLetters: RecordLog<DeadLetter>;
  readonly #archive: RecordLog<ArchivedEvent>;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #retryBaseDelayMs: number;

  constructor(options: {
    rules: readonly RuleSpec[];
    /** Delivers to the target; a function target resolves once Lambda accepted it (its own retries and destination follow, see async-invoker.ts). */
    deliver: (target: RuleTarget, event: BusEvent, ruleId: string) => Promise<void>;
    deadLetters: RecordLog<DeadLetter>;
    archive: RecordLog<ArchivedEvent>;
    /** First back-off between delivery attempts (doubles each time). */
    retryBaseDelayMs?: number;
  }) {
    this.#rules = options.rules;
    this.#deliver = options.deliver;
    this.#deadLetters = options.deadLetters;
    this.#archive = options.archive;
    this.#retryBaseDelayMs = options.retryBaseDelayMs ?? 100;
  }

  /** PutEvents: accepted events are archived at once and delivered in the background. */
  putEvents(entries: BusEntry[]): BusEvent[] {
    return entries.map((entry) => {
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.detailType,
        source: entry.source,
        account: LOCAL_ACCOUNT,
        time: new Date().toISOString(),
        region: LOCAL_REGION,
        resources: [],
        detail: entry.detail,
      };
      this.#archive.append({
        id: event.id,
        'detail-type': event['detail-type'],
        source: event.source,
        time: event.time,
        detail: event.detail,
      });
      for (const rule of this.#rules) {
        if (!matchesPattern(rule.pattern, event)) continue;
        const delivery = this.#deliverWithRetries(rule, event).finally(() => this.#inFlight.delete(delivery));
        this.#inFlight.add(delivery);
      }
      return event;
    });
  }

  /** Resolves when no delivery is in progress (or after `timeoutMs`). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.#inFlight]), new Promise((r) => setTimeout(r, deadline - Date.now()))]);
    }
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  async #deliverWithRetries(rule: RuleSpec, event: BusEvent): Promise<void> {
    const result = await withRetries(() => this.#deliver(rule.target, event, rule.id), {
      retryAttempts: rule.retryAttempts,
      maxAgeMs: rule.maxEventAgeSeconds * 1000,
      baseDelayMs: this.#retryBaseDelayMs,
    });
    if (result.ok) return;
    logger.error('Event could not be delivered; dead-lettered', {
      rule: rule.id,
      eventId: event.id,
      error: errorMessage(result.error),
    });
    this.#deadLetters.append({
      source: `rule:${rule.id}`,
      target: JSON.stringify(rule.target),
      payload: event,
      error: errorMessage(result.error),
      attempts: result.attempts,
      at: new Date().toISOString(),
    });
  }
}
