import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { QueueSpec } from '../topology/queues.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './lambda-host.ts';
import { runtimeLog as logger } from './log.ts';
import type { DeadLetter, RecordLog } from './record-log.ts';
import { errorMessage } from './retry.ts';

interface Message {
  messageId: string;
  body: string;
  sentAt: number;
  receiveCount: number;
  visibleAt: number;
}

/**
 * A local SQS queue with its Lambda consumer, as the event source mapping runs
 * it: batches of up to `batchSize`, at most `maxConcurrency` at once, partial
 * batch failures (only reported messages come back), and after
 * `maxReceiveCount` receives the message goes to the dead-letter store.
 * A batching window gathers messages for up to `maxBatchingWindowSeconds`.
 * Visibility timeouts are shortened locally so a retry takes a fraction of a
 * second instead of minutes.
 *
 * With a journal file (the runtime's data directory) the queue is durable as
 * SQS is: every message sent is appended before `send` returns and its
 * deletion after it was consumed, so a `kill -9` loses no message that a
 * pipe or rule handed over; on start the messages not yet deleted come back
 * (received again, as after a visibility timeout) and the journal is
 * compacted.
 */
export class LocalQueue {
  readonly name: string;
  readonly #spec: QueueSpec;
  readonly #consume: (event: unknown) => Promise<unknown>;
  readonly #deadLetters: RecordLog<DeadLetter>;
  readonly #messages: Message[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #retryDelayMs: number;
  readonly #batchingWindowMs: number;
  #running = false;
  #paused = false;
  /** Messages sent and batches delivered so far (SQS bills a send per message, a receive and a delete per batch). */
  readonly meter = { sent: 0, batches: 0 };
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  readonly #journal: string | undefined;

  constructor(
    name: string,
    spec: QueueSpec,
    options: { consume: (event: unknown) => Promise<unknown>; deadLetters: RecordLog<DeadLetter>; retryDelayMs?: number; batchingWindowMs?: number; journalFile?: string | undefined },
  ) {
    this.name = name;
    this.#spec = spec;
    this.#consume = options.consume;
    this.#deadLetters = options.deadLetters;
    this.#retryDelayMs = options.retryDelayMs ?? 200;
    this.#batchingWindowMs = spec.maxBatchingWindowSeconds > 0 ? (options.batchingWindowMs ?? spec.maxBatchingWindowSeconds * 1000) : 0;
    this.#journal = options.journalFile;
    if (this.#journal) this.#recover(this.#journal);
  }

  /** The messages a previous run sent and did not delete; the journal rewritten with only them. */
  #recover(file: string): void {
    mkdirSync(dirname(file), { recursive: true });
    const pending = new Map<string, { body: string; sentAt: number }>();
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        let record: JournalRecord;
        try {
          record = JSON.parse(line) as JournalRecord;
        } catch {
          continue; // a line cut short by the kill: its send never returned, so nobody was told it was kept
        }
        if (record.op === 'send') pending.set(record.id, { body: record.body, sentAt: record.sentAt });
        else pending.delete(record.id);
      }
    }
    const now = Date.now();
    for (const [messageId, message] of pending) this.#messages.push({ messageId, body: message.body, sentAt: message.sentAt, receiveCount: 0, visibleAt: now });
    const temporary = `${file}.tmp`;
    writeFileSync(temporary, [...pending].map(([id, m]) => `${JSON.stringify({ op: 'send', id, body: m.body, sentAt: m.sentAt } satisfies JournalRecord)}\n`).join(''));
    renameSync(temporary, file);
    if (pending.size > 0) logger.debug('Queue messages recovered from the journal', { queue: this.name, messages: pending.size });
  }

  /** Holds messages back from the consumer (a consumer that is down, or a test gathering a burst). */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#wake?.();
  }

  send(bodies: string[]): void {
    const now = Date.now();
    const sent = bodies.map((body) => ({ messageId: randomUUID(), body, sentAt: now, receiveCount: 0, visibleAt: now }));
    // On disk before the sender is told the messages were taken (SQS answers SendMessage once the message is stored).
    if (this.#journal && sent.length > 0) {
      appendFileSync(this.#journal, sent.map((m) => `${JSON.stringify({ op: 'send', id: m.messageId, body: m.body, sentAt: m.sentAt } satisfies JournalRecord)}\n`).join(''));
    }
    this.#messages.push(...sent);
    this.meter.sent += bodies.length;
    this.#wake?.();
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Messages not yet consumed for good (waiting, in flight or waiting to be retried). */
  get depth(): number {
    return this.#messages.length;
  }

  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.#messages.length > 0 || this.#inFlight.size > 0) && Date.now() < deadline) await sleep(20);
  }

  async stop(): Promise<void> {
    await this.idle(5_000);
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled([...this.#inFlight]);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const now = Date.now();
      const ready = this.#messages.filter((m) => m.visibleAt <= now);
      if (ready.length === 0 || this.#paused || this.#inFlight.size >= this.#spec.maxConcurrency) {
        await Promise.race([sleep(20), new Promise<void>((resolve) => (this.#wake = resolve))]);
        continue;
      }
      // The batching window: like the event source mapping, gather until the batch is full or the window has passed.
      const waited = now - Math.min(...ready.map((m) => m.visibleAt));
      if (ready.length < this.#spec.batchSize && waited < this.#batchingWindowMs) {
        await sleep(Math.min(20, this.#batchingWindowMs - waited));
        continue;
      }
      const batch = ready.slice(0, this.#spec.batchSize);
      for (const message of batch) {
        message.receiveCount++;
        message.visibleAt = Number.POSITIVE_INFINITY; // invisible while in flight
      }
      this.meter.batches++;
      const run = this.#deliver(batch).finally(() => this.#inFlight.delete(run));
      this.#inFlight.add(run);
    }
  }

  async #deliver(batch: Message[]): Promise<void> {
    let failed: Set<string>;
    let error = '';
    try {
      const result = (await this.#consume(this.#event(batch))) as { batchItemFailures?: { itemIdentifier: string }[] } | undefined;
      failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      if (failed.size > 0) error = 'reported as a batch item failure';
    } catch (thrown) {
      failed = new Set(batch.map((m) => m.messageId)); // the whole batch comes back
      error = errorMessage(thrown);
    }
    for (const message of batch) {
      if (!failed.has(message.messageId)) {
        this.#remove(message);
      } else if (message.receiveCount >= this.#spec.maxReceiveCount) {
        this.#remove(message);
        logger.error('Queue message dead-lettered', { queue: this.name, messageId: message.messageId, error });
        this.#deadLetters.append({
          source: `queue:${this.name}`,
          target: this.#spec.consumer,
          payload: message.body,
          error,
          attempts: message.receiveCount,
          at: new Date().toISOString(),
        });
      } else {
        message.visibleAt = Date.now() + this.#retryDelayMs * message.receiveCount;
      }
    }
    this.#wake?.();
  }

  #remove(message: Message): void {
    const index = this.#messages.indexOf(message);
    if (index >= 0) this.#messages.splice(index, 1);
    if (this.#journal) appendFileSync(this.#journal, `${JSON.stringify({ op: 'delete', id: message.messageId } satisfies JournalRecord)}\n`);
  }

  /** The SQS event a Lambda consumer receives. */
  #event(batch: Message[]) {
    return {
      Records: batch.map((message) => ({
        messageId: message.messageId,
        receiptHandle: message.messageId,
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(message.sentAt),
          SenderId: 'local',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${this.name}`,
        awsRegion: LOCAL_REGION,
      })),
    };
  }
}

type JournalRecord = { op: 'send'; id: string; body: string; sentAt: number } | { op: 'delete'; id: string };
