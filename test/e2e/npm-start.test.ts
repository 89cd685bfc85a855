import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '#infra/local/net.ts';
import { reapOrphans } from '#infra/local/orphans.ts';
import { repoRoot } from '#infra/paths.ts';
import { acceptsConnections, bannerPids, isRunning } from '../support/processes.ts';

/**
 * `npm start` itself, as a user, an IDE or a process manager runs it: the
 * signal goes to the npm process (or, for a Ctrl-C in a terminal, to the
 * whole process group), and npm, node and DynamoDB Local must all stop.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'oms-npm-start-'));
const runs: NpmStart[] = [];
afterAll(() => {
  // Whatever a failed test left running: npm and node (their own process group), then DynamoDB Local.
  for (const run of runs) {
    if (run.npm.pid && isRunning(run.npm.pid)) killQuietly(-run.npm.pid);
    for (const pid of run.pids ? [run.pids.node, run.pids.dynamoDbLocal] : []) if (isRunning(pid)) killQuietly(pid);
  }
  reapOrphans();
  rmSync(dataDir, { recursive: true, force: true });
});

interface NpmStart {
  npm: ChildProcess;
  pids?: { node: number; dynamoDbLocal: number };
  dynamoPort: number;
  output(): string;
  exited(): boolean;
}

/**
 * The PATH of the user's shell: without the entries `npm run` and `npx` put in
 * front (node_modules/.bin folders, npm's own helpers), so that npm runs on the
 * machine's Node, as in a terminal, and only the project's script runs on the
 * pinned Node 22.
 */
const userPath = (process.env['PATH'] ?? '')
  .split(delimiter)
  .filter((dir) => dir !== '' && !`${dir}${sep}`.includes(`${sep}node_modules${sep}`))
  .join(delimiter);

/** The `npm` on that PATH; when there is none, the npm that started this test run, if one did. */
function userNpm(): { command: string; args: string[] } {
  for (const dir of userPath.split(delimiter)) {
    const candidate = join(dir, 'npm');
    try {
      accessSync(candidate, constants.X_OK);
      return { command: candidate, args: [] };
    } catch {
      // Not in this folder.
    }
  }
  const execPath = process.env['npm_execpath'];
  if (execPath) {
    // Under `npx vitest` this is npx's entry point; npm's sits beside it.
    const npmCli = join(dirname(execPath), basename(execPath).replace(/^npx/, 'npm'));
    if (existsSync(npmCli)) return { command: process.env['npm_node_execpath'] ?? 'node', args: [npmCli] };
  }
  throw new Error(`No npm on the PATH (${userPath}) and this test was not started by npm: install npm to run it.`);
}

async function npmStart(): Promise<NpmStart> {
  const npm = userNpm();
  // npm's own settings from a surrounding `npm test` are not a user's; no update check against the registry.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  const child = spawn(npm.command, [...npm.args, 'start', '--', '--in-memory', '--port', '0'], {
    cwd: repoRoot,
    env: { ...env, PATH: userPath, npm_config_update_notifier: 'false', OMS_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, as a terminal gives a command it runs in the foreground.
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const run: NpmStart = { npm: child, dynamoPort: 0, output: () => output, exited };
  runs.push(run);
  await within(run, 120_000, 'npm start to come up', () => {
    if (exited()) throw new Error('npm start exited early');
    return output.includes('Ctrl-C stops everything cleanly.');
  });
  run.pids = bannerPids(output);
  run.dynamoPort = Number(/DynamoDB\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
  return run;
}

/** npm exits, node exits, and DynamoDB Local's port is closed, each within a bounded wait. */
async function expectAllStopped(run: NpmStart): Promise<void> {
  if (!run.pids) throw new Error('npm start never printed its pids');
  const { node, dynamoDbLocal } = run.pids;
  await within(run, 30_000, 'npm to exit', run.exited);
  await within(run, 30_000, `node (pid ${node}) to exit`, () => !isRunning(node));
  await within(run, 30_000, "DynamoDB Local's port to close", async () => !(await acceptsConnections(run.dynamoPort)));
  await within(run, 10_000, `DynamoDB Local (pid ${dynamoDbLocal}) to exit`, () => !isRunning(dynamoDbLocal));
}

/** Polls `check` for at most `timeoutMs`; a failure shows what npm start printed. */
async function within(run: NpmStart, timeoutMs: number, what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  try {
    await waitUntil(check, { timeoutMs, what, intervalMs: 100 });
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; npm start printed:\n${run.output()}`, { cause: error });
  }
}

function pidOf(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('npm did not start');
  return child.pid;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

describe('npm start, stopped by a signal', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(
      `${signal} sent to the npm process stops npm, node and DynamoDB Local`,
      async () => {
        const run = await npmStart();
        process.kill(pidOf(run.npm), signal);
        await expectAllStopped(run);
        expect(run.npm.exitCode).toBe(0);
        expect(run.output()).toContain(`${signal}: finishing requests in flight`);
        expect(run.output()).toContain('Stopped.');
      },
      180_000,
    );
  }

  it(
    'Ctrl-C in a terminal (SIGINT to the whole process group, npm forwarding it too) stops everything once, cleanly',
    async () => {
      const run = await npmStart();
      process.kill(-pidOf(run.npm), 'SIGINT');
      await expectAllStopped(run);
      expect(run.npm.exitCode).toBe(0);
      expect(run.output()).toContain('Stopped.');
      expect(run.output()).not.toContain('Forced exit.');
      // DynamoDB Local, in a process group of its own, was still there for the last publishing.
      expect(run.output()).not.toMatch(/ERROR|ECONNREFUSED/);
    },
    180_000,
  );
});
