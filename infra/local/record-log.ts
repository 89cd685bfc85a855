import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * An append-only list of JSON records: in memory, and mirrored to a JSON-lines
 * file when the runtime keeps its data on disk. Backs the local mail outbox,
 * the dead-letter store and the event archive, so they survive restarts like
 * their AWS counterparts (SES sending history, SQS dead-letter queues, the
 * EventBridge archive).
 */
export class RecordLog<T> {
  readonly #records: T[] = [];
  readonly #file: string | undefined;

  constructor(file?: string) {
    this.#file = file;
    if (file) {
      mkdirSync(dirname(file), { recursive: true });
      if (existsSync(file)) {
        for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim()) this.#records.push(JSON.parse(line) as T);
      }
    }
  }

  get file(): string | undefined {
    return this.#file;
  }

  append(record: T): void {
    this.#records.push(record);
    // Synchronous append: a record is on disk before anyone is told it was kept.
    if (this.#file) appendFileSync(this.#file, `${JSON.stringify(record)}\n`);
  }

  list(): readonly T[] {
    return this.#records;
  }
}

export interface DeadLetter {
  /** What gave up: `rule:<id>`, `outbox-pipe`, `schedule:<id>`. */
  source: string;
  target: string;
  payload: unknown;
  error: string;
  attempts: number;
  at: string;
}

export interface SentMail {
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  tags: Record<string, string>;
  sentAt: string;
}

export interface ArchivedEvent {
  id: string;
  'detail-type': string;
  source: string;
  time: string;
  detail: unknown;
}

/** An SMS the handlers sent through SNS Publish (the local SMS outbox). */
export interface SentSms {
  messageId: string;
  to: string;
  text: string;
  sentAt: string;
}
