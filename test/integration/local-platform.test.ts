import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocationChanged } from '#events/location-changed.ts';
import { LocalEventBus, type BusEntry, type BusEvent } from '#infra/local/event-bus.ts';
import { LambdaHost } from '#infra/local/lambda-host.ts';
import { waitUntil } from '#infra/local/net.ts';
import { LocalQueue } from '#infra/local/queue.ts';
import { RecordLog, type ArchivedEvent, type DeadLetter } from '#infra/local/record-log.ts';
import { StreamPump, type LocalPipe, type PipeRecord } from '#infra/local/stream-pump.ts';
import { pipes } from '#infra/topology/pipes.ts';
import type { RuleSpec } from '#infra/topology/rules.ts';
import { LocationInput, applyLocationInput } from '#shared/domain/location.ts';
import { keys } from '#shared/store/keys.ts';
import { DynamoLocationRepository } from '#shared/store/location-repository.ts';
import { locationBody } from '../support/fixtures.ts';
import { useTestTable } from '../support/table.ts';

let db: DynamoDBDocumentClient;
let tableName: string;
let endpoint: string;
const workDir = mkdtempSync(join(tmpdir(), 'oms-platform-'));

beforeAll(async () => {
  ({ db, tableName, endpoint } = await useTestTable({ stream: true }));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const lambdas = new LambdaHost();
/** The outbox pipe of the topology, delivering to `deliver`. */
const outboxPipe = (deliver: LocalPipe['deliver']): LocalPipe => ({
  name: 'outbox',
  filter: pipes.outbox.filter,
  batchSize: pipes.outbox.batchSize,
  retryAttempts: pipes.outbox.retryAttempts,
  deliver,
});
const enrich = async (records: PipeRecord[]) => (await lambdas.invoke('publishOutboxEvents', records)) as BusEntry[];

async function saveLocation(id: string): Promise<string> {
  const location = applyLocationInput(undefined, id, LocationInput.parse(locationBody()), new Date()).location;
  const event = LocationChanged.create({ change: 'created', location }, { occurredAt: new Date(), actor: 'test' });
  await new DynamoLocationRepository(db, tableName).save(location, { expectedVersion: null, events: [event] });
  return event.eventId;
}

describe('outbox stream pump (local EventBridge Pipe)', () => {
  it('publishes each committed outbox event once, only outbox items, and resumes from its checkpoint', async () => {
    const published: BusEntry[] = [];
    const checkpointFile = join(workDir, 'checkpoint.json');
    const deadLetters = new RecordLog<DeadLetter>();
    const start = () =>
      new StreamPump({ endpoint, tableName, checkpointFile, deadLetters, pipes: [outboxPipe(async (records) => void published.push(...(await enrich(records))))] });

    const first = start();
    await first.start();
    const ids = [await saveLocation('pump-a'), await saveLocation('pump-b')];
    await first.drain();
    await first.stop();
    let idC = '';
    const ofInterest = () =>
      published.map((e) => (e.detail as { metadata: { eventId: string } }).metadata.eventId).filter((id) => ids.includes(id) || id === idC);
    expect(ofInterest()).toEqual(ids);
    expect(published.every((entry) => entry.detailType === 'LocationChanged')).toBe(true);

    idC = await saveLocation('pump-c');
    const second = start();
    await second.start();
    await second.drain();
    await second.stop();
    expect(ofInterest()).toEqual([...ids, idC]);
    expect(deadLetters.list()).toEqual([]);
  });

  it('isolates a poison record: the rest of the batch is published, the bad one dead-lettered after its retries', async () => {
    const published: BusEntry[] = [];
    const deadLetters = new RecordLog<DeadLetter>();
    const pump = new StreamPump({
      endpoint,
      tableName,
      deadLetters,
      retryBaseDelayMs: 1,
      pipes: [{ ...outboxPipe(async (records) => void published.push(...(await enrich(records)))), retryAttempts: 2 }],
    });
    await pump.start();
    await pump.drain();
    published.length = 0;

    const good = await saveLocation('poison-neighbour');
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...keys.outboxEvent('poison'), entity: 'OutboxEvent', source: 'oms.locations', detailType: 'LocationExploded', detail: '{}' },
      }),
    );
    await waitUntil(() => deadLetters.list().length === 1, { timeoutMs: 10_000, what: 'the poison record to be dead-lettered' });
    await pump.drain();
    await pump.stop();

    expect(published.map((e) => (e.detail as { metadata: { eventId: string } }).metadata.eventId)).toContain(good);
    expect(deadLetters.list()[0]).toMatchObject({ source: 'pipe:outbox', attempts: 3 });
    expect(deadLetters.list()[0]?.error).toContain('LocationExploded');
  });
});

describe('local event bus', () => {
  const rule = (id: string, target: RuleSpec['target'], retryAttempts = 2): RuleSpec => ({
    id,
    description: id,
    pattern: LocationChanged.pattern(),
    target,
    retryAttempts,
    maxEventAgeSeconds: 60,
  });
  const entry: BusEntry = { source: 'oms.locations', detailType: 'LocationChanged', detail: { hello: 'world' } };

  it('archives every event and delivers it to each matching rule in EventBridge shape', async () => {
    const delivered: { target: unknown; event: BusEvent }[] = [];
    const archive = new RecordLog<ArchivedEvent>();
    const bus = new LocalEventBus({
      rules: [rule('a', { function: 'health' }), { ...rule('b', { function: 'health' }), pattern: { source: ['oms.orders'] } }],
      deadLetters: new RecordLog<DeadLetter>(),
      archive,
      deliver: async (target, event) => void delivered.push({ target, event }),
    });
    bus.putEvents([entry, { source: 'oms.channels', detailType: 'ChannelChanged', detail: {} }]);
    await bus.idle();
    expect(archive.list()).toHaveLength(2);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.event).toMatchObject({ version: '0', source: 'oms.locations', 'detail-type': 'LocationChanged', detail: { hello: 'world' } });
  });

  it('with a journal, makes again after a kill the deliveries that had not finished, and only those', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oms-bus-journal-'));
    const journalFile = join(dir, 'bus-journal.jsonl');
    try {
      const rules = [rule('quick', { function: 'health' }), rule('slow', { workflow: 'locationReadiness' })];
      let gone = false;
      let endSlow: (error: Error) => void = () => undefined;
      const firstRun: string[] = [];
      const first = new LocalEventBus({
        rules,
        deadLetters: new RecordLog<DeadLetter>(),
        archive: new RecordLog<ArchivedEvent>(),
        retryBaseDelayMs: 1,
        journalFile,
        deliver: async (_target, event, ruleId) => {
          if (gone) throw new Error('the process is gone');
          firstRun.push(`${ruleId}:${String((event.detail as { n: number }).n)}`);
          // The slow rule's target is still at work on event 2 when the process dies.
          if (ruleId === 'slow' && (event.detail as { n: number }).n === 2) await new Promise((_, reject) => (endSlow = reject));
        },
      });
      expect(first.resumeJournal()).toBe(0);
      first.putEvents([{ ...entry, detail: { n: 1 } }]);
      await first.idle(2_000);
      first.putEvents([{ ...entry, detail: { n: 2 } }]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(firstRun.sort()).toEqual(['quick:1', 'quick:2', 'slow:1', 'slow:2']);
      // kill -9 here: event 2's slow delivery never finished.

      const secondRun: string[] = [];
      const second = new LocalEventBus({
        rules,
        deadLetters: new RecordLog<DeadLetter>(),
        archive: new RecordLog<ArchivedEvent>(),
        journalFile,
        deliver: async (_target, event, ruleId) => void secondRun.push(`${ruleId}:${String((event.detail as { n: number }).n)}`),
      });
      expect(second.resumeJournal()).toBe(1);
      await second.idle(2_000);
      expect(secondRun).toEqual(['slow:2']);
      // Done now: a third start has nothing to make again.
      const third = new LocalEventBus({ rules, deadLetters: new RecordLog<DeadLetter>(), archive: new RecordLog<ArchivedEvent>(), journalFile, deliver: async () => undefined });
      expect(third.resumeJournal()).toBe(0);

      gone = true;
      endSlow(new Error('the process is gone'));
      await first.idle(2_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('retries a failing target with the rule budget, then dead-letters the event', async () => {
    let attempts = 0;
    const deadLetters = new RecordLog<DeadLetter>();
    const bus = new LocalEventBus({
      rules: [rule('flaky', { workflow: 'locationReadiness' }, 3)],
      deadLetters,
      archive: new RecordLog<ArchivedEvent>(),
      retryBaseDelayMs: 1,
      deliver: async () => {
        attempts++;
        throw new Error('target unavailable');
      },
    });
    bus.putEvents([entry]);
    await bus.idle();
    expect(attempts).toBe(4);
    expect(deadLetters.list()).toEqual([
      expect.objectContaining({ source: 'rule:flaky', attempts: 4, error: 'Error: target unavailable' }),
    ]);
  });

  it('delivers once a flaky target recovers, without dead-lettering', async () => {
    let attempts = 0;
    const deadLetters = new RecordLog<DeadLetter>();
    const bus = new LocalEventBus({
      rules: [rule('recovers', { function: 'health' }, 3)],
      deadLetters,
      archive: new RecordLog<ArchivedEvent>(),
      retryBaseDelayMs: 1,
      deliver: async () => {
        if (++attempts < 3) throw new Error('not yet');
      },
    });
    bus.putEvents([entry]);
    await bus.idle();
    expect(attempts).toBe(3);
    expect(deadLetters.list()).toEqual([]);
  });
});

describe('local SQS queue with its Lambda consumer', () => {
  const spec = { description: 'test', consumer: 'captureDeliveries' as const, batchSize: 3, maxBatchingWindowSeconds: 0, maxReceiveCount: 3, visibilityTimeoutSeconds: 1, maxConcurrency: 2 };

  it('retries only the messages a batch reports as failed, then dead-letters them after maxReceiveCount', async () => {
    const received: Record<string, number> = {};
    const deadLetters = new RecordLog<DeadLetter>();
    const queue = new LocalQueue('test', spec, {
      deadLetters,
      retryDelayMs: 1,
      consume: async (event) => {
        const records = (event as { Records: { messageId: string; body: string; attributes: { ApproximateReceiveCount: string } }[] }).Records;
        expect(records.length).toBeLessThanOrEqual(spec.batchSize);
        for (const r of records) received[r.body] = Number(r.attributes.ApproximateReceiveCount);
        return { batchItemFailures: records.filter((r) => r.body === 'poison').map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });
    queue.start();
    queue.send(['a', 'b', 'poison', 'c', 'd']);
    await queue.idle();
    await queue.stop();
    expect(received).toEqual({ a: 1, b: 1, c: 1, d: 1, poison: 3 });
    expect(deadLetters.list()).toEqual([expect.objectContaining({ source: 'queue:test', payload: 'poison', attempts: 3 })]);
  });

  it('returns a whole batch when the consumer throws', async () => {
    let calls = 0;
    const deadLetters = new RecordLog<DeadLetter>();
    const queue = new LocalQueue('throws', { ...spec, maxReceiveCount: 2 }, {
      deadLetters,
      retryDelayMs: 1,
      consume: async () => {
        calls++;
        if (calls === 1) throw new Error('cold start failed');
        return { batchItemFailures: [] };
      },
    });
    queue.start();
    queue.send(['x', 'y']);
    await queue.idle();
    await queue.stop();
    expect(calls).toBe(2);
    expect(deadLetters.list()).toEqual([]);
  });

  it('gathers messages for its batching window before calling the consumer, and holds them while paused', async () => {
    const batches: number[] = [];
    const queue = new LocalQueue('window', { ...spec, batchSize: 50, maxBatchingWindowSeconds: 1 }, {
      deadLetters: new RecordLog<DeadLetter>(),
      batchingWindowMs: 300,
      consume: async (event) => void batches.push((event as { Records: unknown[] }).Records.length),
    });
    queue.start();
    for (let i = 0; i < 5; i++) {
      queue.send([`m${i}`]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await queue.idle();
    expect(batches).toEqual([5]); // five messages within the window: one call

    queue.pause();
    queue.send(['p1', 'p2']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(batches).toEqual([5]);
    expect(queue.depth).toBe(2);
    queue.resume();
    await queue.idle();
    await queue.stop();
    expect(batches).toEqual([5, 2]);
  });

  it('with a journal, keeps what was sent and not yet consumed across a kill: waiting and in-flight messages come back, consumed ones do not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oms-queue-journal-'));
    const journalFile = join(dir, 'queues', 'capture.jsonl');
    try {
      const consumed: string[] = [];
      let gone = false;
      let endStuck: (error: Error) => void = () => undefined;
      const first = new LocalQueue('capture', spec, {
        deadLetters: new RecordLog<DeadLetter>(),
        retryDelayMs: 1,
        journalFile,
        consume: async (event) => {
          if (gone) throw new Error('the process is gone');
          const records = (event as { Records: { body: string }[] }).Records;
          // 'stuck' is in flight when the process dies: its consumer never answers.
          if (records.some((r) => r.body === 'stuck')) return new Promise((_, reject) => (endStuck = reject));
          for (const r of records) consumed.push(r.body);
          return { batchItemFailures: [] };
        },
      });
      first.start();
      first.send(['a', 'b']);
      await waitUntil(() => consumed.length === 2, { timeoutMs: 5_000, what: 'a and b consumed' });
      first.send(['stuck']);
      await new Promise((resolve) => setTimeout(resolve, 100));
      first.pause();
      first.send(['c', 'd']);
      // kill -9: the first queue is abandoned as it is, nothing flushed or stopped.

      const redelivered: string[] = [];
      const second = new LocalQueue('capture', spec, {
        deadLetters: new RecordLog<DeadLetter>(),
        journalFile,
        consume: async (event) => {
          for (const r of (event as { Records: { body: string }[] }).Records) redelivered.push(r.body);
          return { batchItemFailures: [] };
        },
      });
      expect(second.depth).toBe(3);
      second.start();
      await second.idle();
      await second.stop();
      expect(redelivered.sort()).toEqual(['c', 'd', 'stuck']);

      // Everything consumed: a third start finds nothing.
      const third = new LocalQueue('capture', spec, { deadLetters: new RecordLog<DeadLetter>(), journalFile, consume: async () => ({ batchItemFailures: [] }) });
      expect(third.depth).toBe(0);

      // The abandoned queue object of this test process is wound down before its directory goes.
      gone = true;
      endStuck(new Error('the process is gone'));
      first.resume();
      await first.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
