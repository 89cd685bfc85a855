import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
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
 *
 * With a journal file (the runtime's data directory) an accepted event is
 * durable as on EventBridge: it is journalled with the rules it matched
 * before `putEvents` returns, and each rule's delivery is marked done once
 * its target's work has ended (the function's run with its retries, the
 * workflow's execution, the queue's send). After a `kill -9` the deliveries
 * not marked done are made again on start — at least once, as EventBridge
 * delivers; every target is idempotent.
 */
export class LocalEventBus {
  readonly #rules: readonly RuleSpec[];
  readonly #deliver: (target: RuleTarget, event: BusEvent, ruleId: string) => Promise<void>;
  readonly #deadLetters: RecordLog<DeadLetter>;
  readonly #archive: RecordLog<ArchivedEvent>;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #retryBaseDelayMs: number;
  readonly #journal: string | undefined;

  constructor(options: {
    rules: readonly RuleSpec[];
    /** Delivers to the target; a function target resolves once Lambda accepted it (its own retries and destination follow, see async-invoker.ts). */
    deliver: (target: RuleTarget, event: BusEvent, ruleId: string) => Promise<void>;
    deadLetters: RecordLog<DeadLetter>;
    archive: RecordLog<ArchivedEvent>;
    /** First back-off between delivery attempts (doubles each time). */
    retryBaseDelayMs?: number;
    /** Where accepted events and finished deliveries are journalled; in memory only when absent. */
    journalFile?: string | undefined;
  }) {
    this.#rules = options.rules;
    this.#deliver = options.deliver;
    this.#deadLetters = options.deadLetters;
    this.#archive = options.archive;
    this.#retryBaseDelayMs = options.retryBaseDelayMs ?? 100;
    this.#journal = options.journalFile;
  }

  /**
   * Makes again the deliveries a previous run accepted and did not finish
   * (from the journal), and compacts the journal to them. Call once the
   * targets can take deliveries; resolves to how many were started.
   */
  resumeJournal(): number {
    const file = this.#journal;
    if (!file) return 0;
    mkdirSync(dirname(file), { recursive: true });
    const pending = new Map<string, { event: BusEvent; rules: Set<string> }>();
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        let record: BusJournalRecord;
        try {
          record = JSON.parse(line) as BusJournalRecord;
        } catch {
          continue; // cut short by the kill: putEvents never returned, so the event was never accepted
        }
        if (record.op === 'put') pending.set(record.event.id, { event: record.event, rules: new Set(record.rules) });
        else {
          const entry = pending.get(record.id);
          entry?.rules.delete(record.rule);
          if (entry?.rules.size === 0) pending.delete(record.id);
        }
      }
    }
    const temporary = `${file}.tmp`;
    writeFileSync(temporary, [...pending.values()].map((p) => `${JSON.stringify({ op: 'put', event: p.event, rules: [...p.rules] } satisfies BusJournalRecord)}\n`).join(''));
    renameSync(temporary, file);
    let started = 0;
    for (const { event, rules } of pending.values()) {
      for (const rule of this.#rules) {
        if (!rules.has(rule.id)) continue;
        this.#start(rule, event);
        started++;
      }
    }
    if (started > 0) logger.debug('Event deliveries resumed from the journal', { deliveries: started });
    return started;
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
      const matched = this.#rules.filter((rule) => matchesPattern(rule.pattern, event));
      // On disk before the publisher is told the event was accepted.
      if (this.#journal && matched.length > 0) appendFileSync(this.#journal, `${JSON.stringify({ op: 'put', event, rules: matched.map((r) => r.id) } satisfies BusJournalRecord)}\n`);
      for (const rule of matched) this.#start(rule, event);
      return event;
    });
  }

  #start(rule: RuleSpec, event: BusEvent): void {
    const delivery = this.#deliverWithRetries(rule, event)
      .then(() => {
        if (this.#journal) appendFileSync(this.#journal, `${JSON.stringify({ op: 'done', id: event.id, rule: rule.id } satisfies BusJournalRecord)}\n`);
      })
      .finally(() => this.#inFlight.delete(delivery));
    this.#inFlight.add(delivery);
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

type BusJournalRecord = { op: 'put'; event: BusEvent; rules: string[] } | { op: 'done'; id: string; rule: string };
