import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runtimeLog as logger } from './log.ts';
import { LOCAL_AWS } from './dynamodb-local.ts';
import { matchesPattern } from './event-pattern.ts';
import type { DeadLetter, RecordLog } from './record-log.ts';
import { errorMessage, withRetries } from './retry.ts';

/** A stream record as EventBridge Pipes and Lambda deliver it (JSON, epoch-second timestamps). */
export type PipeRecord = Omit<StreamRecord, 'dynamodb'> & {
  eventSourceARN: string;
  dynamodb: Omit<NonNullable<StreamRecord['dynamodb']>, 'ApproximateCreationDateTime'> & {
    ApproximateCreationDateTime?: number;
  };
};

interface Checkpoint {
  streamArn: string;
  /** Last processed sequence number per shard; `null` once a closed shard is finished. */
  shards: Record<string, string | null>;
}

/** One pipe reading the stream: its filter, batch size and retry budget, and what it does with a batch. */
export interface LocalPipe {
  name: string;
  filter: Record<string, unknown>;
  batchSize: number;
  retryAttempts: number;
  /** Delivers a batch to the pipe's target (through its enrichment, if any). Throws to retry. */
  deliver(records: PipeRecord[]): Promise<void>;
}

/**
 * The local stand-in for the table's EventBridge Pipes: reads the stream
 * (DynamoDB Local implements DynamoDB Streams) and hands each pipe the records
 * its filter keeps, in batches. A failing batch is split until the bad record
 * is alone; it is then retried with the pipe's budget and dead-lettered.
 *
 * The checkpoint (last sequence number per shard) advances only after a batch
 * is published, so a crash re-publishes rather than loses; consumers
 * de-duplicate on the event id. Parents are read before their children,
 * keeping each item's changes in order.
 */
export class StreamPump {
  readonly #streams: DynamoDBStreamsClient;
  readonly #dynamodb: DynamoDBClient;
  readonly #tableName: string;
  readonly #pipes: readonly LocalPipe[];
  readonly #deadLetters: RecordLog<DeadLetter>;
  readonly #checkpointFile: string | undefined;
  #checkpoint: Checkpoint | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  /** Passes over all shards started so far, and the last one that found nothing new. */
  #passes = 0;
  #lastEmptyPass = -1;
  readonly #pollMs: number;
  readonly #retryBaseDelayMs: number;

  constructor(options: {
    endpoint: string;
    tableName: string;
    pipes: readonly LocalPipe[];
    deadLetters: RecordLog<DeadLetter>;
    checkpointFile?: string;
    pollMs?: number;
    /** First back-off of a failing record's retries (tests shorten it). */
    retryBaseDelayMs?: number;
  }) {
    this.#streams = new DynamoDBStreamsClient({ ...LOCAL_AWS, endpoint: options.endpoint });
    this.#dynamodb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: options.endpoint });
    this.#tableName = options.tableName;
    this.#pipes = options.pipes;
    this.#deadLetters = options.deadLetters;
    this.#checkpointFile = options.checkpointFile;
    this.#pollMs = options.pollMs ?? 50;
    this.#retryBaseDelayMs = options.retryBaseDelayMs ?? 100;
  }

  async start(): Promise<void> {
    const { Table } = await this.#dynamodb.send(new DescribeTableCommand({ TableName: this.#tableName }));
    const streamArn = Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`Table ${this.#tableName} has no stream; the outbox cannot publish`);
    const saved = this.#readCheckpoint();
    this.#checkpoint = saved?.streamArn === streamArn ? saved : { streamArn, shards: {} };
    this.#running = true;
    this.#loop = this.#run().catch((error: unknown) => {
      logger.error('The outbox stream pump stopped', { error: errorMessage(error) });
    });
  }

  /** Resolves once every record written so far has been published (or after `timeoutMs`). */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const after = this.#passes;
    while (this.#running && this.#lastEmptyPass <= after && Date.now() < deadline) await sleep(this.#pollMs);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    this.#streams.destroy();
    this.#dynamodb.destroy();
  }

  async #run(): Promise<void> {
    const checkpoint = this.#checkpoint;
    if (!checkpoint) throw new Error('start() reads the checkpoint before the loop runs');
    const iterators = new Map<string, string>();
    let shards: Shard[] = [];
    let lastDiscovery = 0;
    while (this.#running) {
      const pass = ++this.#passes;
      if (Date.now() - lastDiscovery > 1_000 || shards.length === 0) {
        shards = await this.#discoverShards(checkpoint.streamArn);
        lastDiscovery = Date.now();
      }
      let sawRecords = false;
      let pending = false;
      for (const shard of shards) {
        const shardId = shard.ShardId;
        if (!shardId) continue;
        if (checkpoint.shards[shardId] === null) continue; // finished
        const parent = shard.ParentShardId;
        if (parent && shards.some((s) => s.ShardId === parent) && checkpoint.shards[parent] !== null) continue;
        let iterator = iterators.get(shardId);
        if (!iterator) {
          iterator = await this.#iteratorFor(checkpoint.streamArn, shardId, checkpoint.shards[shardId]);
          iterators.set(shardId, iterator);
        }
        let result;
        try {
          result = await this.#streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
        } catch (error) {
          if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
            iterators.delete(shardId);
            continue;
          }
          throw error;
        }
        const records = result.Records ?? [];
        if (records.length > 0) {
          sawRecords = true;
          await this.#handle(checkpoint.streamArn, records);
          const last = records.at(-1)?.dynamodb?.SequenceNumber;
          if (last) checkpoint.shards[shardId] = last;
          this.#writeCheckpoint();
        }
        if (result.NextShardIterator) {
          iterators.set(shardId, result.NextShardIterator);
          if (records.length > 0) pending = true;
        } else {
          checkpoint.shards[shardId] = null;
          iterators.delete(shardId);
          this.#writeCheckpoint();
        }
      }
      if (!sawRecords && !pending) {
        this.#lastEmptyPass = pass;
        await sleep(this.#pollMs);
      }
    }
  }

  async #discoverShards(streamArn: string): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await this.#streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  async #iteratorFor(streamArn: string, shardId: string, after: string | null | undefined): Promise<string> {
    const { ShardIterator } = await this.#streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after } : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    if (!ShardIterator) throw new Error(`No iterator for shard ${shardId}`);
    return ShardIterator;
  }

  async #handle(streamArn: string, records: StreamRecord[]): Promise<void> {
    const converted = records.map((record) => toPipeRecord(streamArn, record));
    for (const pipe of this.#pipes) {
      const kept = converted.filter((record) => matchesPattern(pipe.filter, record));
      for (let i = 0; i < kept.length; i += pipe.batchSize) await this.#deliverBatch(pipe, kept.slice(i, i + pipe.batchSize));
    }
  }

  /** AUTOMATIC_BISECT: split a failing batch until the failing record is alone, then retry it and dead-letter it. */
  async #deliverBatch(pipe: LocalPipe, batch: PipeRecord[]): Promise<void> {
    if (batch.length > 1) {
      try {
        await pipe.deliver(batch);
        return;
      } catch {
        const half = Math.ceil(batch.length / 2);
        await this.#deliverBatch(pipe, batch.slice(0, half));
        await this.#deliverBatch(pipe, batch.slice(half));
        return;
      }
    }
    const result = await withRetries(() => pipe.deliver(batch), { retryAttempts: pipe.retryAttempts, baseDelayMs: this.#retryBaseDelayMs });
    if (result.ok) return;
    logger.error('Stream record could not be delivered; dead-lettered', { pipe: pipe.name, error: errorMessage(result.error) });
    this.#deadLetters.append({
      source: `pipe:${pipe.name}`,
      target: pipe.name,
      payload: batch,
      error: errorMessage(result.error),
      attempts: result.attempts,
      at: new Date().toISOString(),
    });
  }

  #readCheckpoint(): Checkpoint | undefined {
    if (!this.#checkpointFile || !existsSync(this.#checkpointFile)) return undefined;
    return JSON.parse(readFileSync(this.#checkpointFile, 'utf8')) as Checkpoint;
  }

  #writeCheckpoint(): void {
    if (!this.#checkpointFile || !this.#checkpoint) return;
    mkdirSync(dirname(this.#checkpointFile), { recursive: true });
    const temporary = `${this.#checkpointFile}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.#checkpoint));
    renameSync(temporary, this.#checkpointFile); // atomic: never a half-written checkpoint
  }
}

function toPipeRecord(streamArn: string, record: StreamRecord): PipeRecord {
  const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
  return {
    ...record,
    eventSourceARN: streamArn,
    dynamodb: {
      ...dynamodb,
      ...(ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) } : {}),
    },
  };
}
