import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS, startDynamoDbLocal, type DynamoDbLocal } from '#infra/local/dynamodb-local.ts';
import { createTableInput } from '#shared/store/table.ts';

/**
 * What every benchmark needs: its own in-memory DynamoDB Local (nothing of
 * the developer's data is touched, nothing is left behind), a fresh table,
 * and helpers to run work at a fixed concurrency and to report.
 */
export interface BenchDb {
  endpoint: string;
  db: DynamoDBDocumentClient;
  /** A new table from the OMS table definition. */
  table(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function benchDb(): Promise<BenchDb> {
  const local: DynamoDbLocal = await startDynamoDbLocal({});
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: local.endpoint, maxAttempts: 10 });
  return {
    endpoint: local.endpoint,
    db: DynamoDBDocumentClient.from(client),
    async table(name) {
      await client.send(new CreateTableCommand(createTableInput(name)));
      return name;
    },
    stop: () => local.stop(),
  };
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once; returns the wall time in seconds. */
export async function runConcurrently(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

/**
 * A document client that remembers the first TransactWriteItems it sends
 * once armed, so a benchmark can replay the same shape as its floor.
 */
export function capturingClient(db: DynamoDBDocumentClient): { db: DynamoDBDocumentClient; arm: () => void; captured: () => TransactWriteCommandInput | undefined } {
  let captured: TransactWriteCommandInput | undefined;
  let armed = false;
  const proxy = new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'send') {
        return (command: unknown, ...rest: unknown[]) => {
          if (armed && !captured && command instanceof TransactWriteCommand) captured = structuredClone(command.input);
          return (target.send as (...args: unknown[]) => unknown)(command, ...rest);
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  return { db: proxy, arm: () => void (armed = true), captured: () => captured };
}

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));
