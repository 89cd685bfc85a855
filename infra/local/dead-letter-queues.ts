import { createHash } from 'node:crypto';
import type { DeadLetter, RecordLog } from './record-log.ts';

/**
 * The local runtime's SQS dead-letter queues, as SQS ReceiveMessage and
 * DeleteMessage see them: the messages a local queue dead-lettered (the
 * dead-letter store, source `queue:<name>`), each received with a receipt
 * and hidden for the visibility timeout asked for, deleted for good (the
 * deletion is kept on disk, so a restart does not bring a message back).
 * The reconciler reads the capture queue's this way, as it reads the real
 * one on AWS (shared/adapters/sqs-dead-letters.ts).
 */
export class LocalDeadLetterQueues {
  readonly #store: RecordLog<DeadLetter>;
  readonly #deleted: RecordLog<{ id: string; at: string }>;
  readonly #deletedIds: Set<string>;
  readonly #hiddenUntil = new Map<string, number>();

  constructor(store: RecordLog<DeadLetter>, deleted: RecordLog<{ id: string; at: string }>) {
    this.#store = store;
    this.#deleted = deleted;
    this.#deletedIds = new Set(deleted.list().map((d) => d.id));
  }

  /** The URL a handler is given for `queue`'s dead-letter queue on the runtime's SQS endpoint. */
  static urlOf(endpoint: string, account: string, queue: string): string {
    return `${endpoint}/${account}/${queue}-dead-letters`;
  }

  /** `capture-dead-letters` (the last segment of a URL from urlOf) → the capture queue's dead letters. */
  static queueOf(queueName: string): string | undefined {
    return /^([A-Za-z0-9]+)-dead-letters$/.exec(queueName)?.[1];
  }

  receive(queue: string, max: number, visibilitySeconds: number): { messageId: string; receipt: string; body: string; receiveCount: number }[] {
    const now = Date.now();
    const found: { messageId: string; receipt: string; body: string; receiveCount: number }[] = [];
    this.#store.list().forEach((letter, index) => {
      if (found.length >= max || letter.source !== `queue:${queue}`) return;
      const id = messageIdOf(letter, index);
      if (this.#deletedIds.has(id) || (this.#hiddenUntil.get(id) ?? 0) > now) return;
      this.#hiddenUntil.set(id, now + visibilitySeconds * 1000);
      found.push({ messageId: id, receipt: id, body: typeof letter.payload === 'string' ? letter.payload : JSON.stringify(letter.payload), receiveCount: letter.attempts });
    });
    return found;
  }

  delete(receipt: string): void {
    if (this.#deletedIds.has(receipt)) return;
    this.#deletedIds.add(receipt);
    this.#deleted.append({ id: receipt, at: new Date().toISOString() });
  }

  /** Messages of `queue` still in its dead-letter queue. */
  count(queue: string): number {
    return this.#store.list().filter((letter, index) => letter.source === `queue:${queue}` && !this.#deletedIds.has(messageIdOf(letter, index))).length;
  }
}

/** A stable id per dead letter (its position and content), the same after a restart. */
function messageIdOf(letter: DeadLetter, index: number): string {
  return createHash('sha256').update(`${index}:${letter.at}:${JSON.stringify(letter.payload)}`).digest('hex').slice(0, 32);
}
