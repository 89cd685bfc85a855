import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRunningOms } from '#infra/local/discovery.ts';
import { waitUntil } from '#infra/local/net.ts';
import { reapOrphans } from '#infra/local/orphans.ts';
import { repoRoot } from '#infra/paths.ts';
import { locationBody } from '../support/fixtures.ts';
import { acceptsConnections, bannerPids, isRunning } from '../support/processes.ts';

/** `npm start` as a user runs it: a separate process, its own DynamoDB Local, signals to stop it. */
const dataDir = mkdtempSync(join(tmpdir(), 'oms-process-'));
const children: ChildProcess[] = [];
afterAll(async () => {
  // Stop what a failed test left running the way a user would, so no Java process outlives the run.
  await Promise.all(children.filter((child) => child.exitCode === null && child.signalCode === null).map((child) => stop(child, 'SIGTERM')));
  reapOrphans();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(
  args: string[],
): Promise<{ child: ChildProcess; url: string; token: string; dynamoPort: number; dynamoPid: number; output: () => string }> {
  const child = spawn(process.execPath, ['infra/local/main.ts', '--port', '0', ...args], {
    cwd: repoRoot,
    // In-memory runs announce themselves in OMS_DATA_DIR too: never in the clone's own .oms/.
    env: { ...process.env, OMS_API_TOKEN: '', OMS_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started = Date.now();
  while (!output.includes('Ctrl-C stops everything')) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() - started > 90_000) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = /API\s+(http:\/\/\S+)/.exec(output)?.[1] ?? '';
  const token = /API token\s+(\S+)/.exec(output)?.[1] ?? '';
  const dynamoPort = Number(/DynamoDB\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
  return { child, url, token, dynamoPort, dynamoPid: bannerPids(output).dynamoDbLocal, output: () => output };
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}

async function portIsClosed(port: number): Promise<boolean> {
  return !(await acceptsConnections(port));
}

/**
 * Addresses of this machine other than 127.0.0.1. On Linux all of 127/8 is
 * loopback: a socket bound to every interface accepts on 127.0.0.2, one bound
 * to 127.0.0.1 refuses; the network interfaces' addresses are what another
 * machine would use. (IPv6 link-local addresses need a scope and are left out.)
 */
function otherAddresses(): string[] {
  const interfaces = Object.values(networkInterfaces()).flatMap((addresses) => addresses ?? []);
  return [
    ...(process.platform === 'linux' ? ['127.0.0.2'] : []),
    '::1',
    ...interfaces.filter((address) => !address.internal && !address.address.startsWith('fe80:')).map((address) => address.address),
  ];
}

describe('npm start', () => {
  it('serves /health, prints the URL and token, announces itself to local tools, and stops cleanly on SIGTERM with no Java left', async () => {
    const oms = await start(['--data-dir', dataDir]);
    expect(oms.token.length).toBeGreaterThanOrEqual(32);
    expect(findRunningOms(dataDir)).toMatchObject({ url: oms.url, apiToken: oms.token, pid: oms.child.pid });
    expect(await (await fetch(`${oms.url}/health`)).json()).toEqual({ status: 'ok' });
    const put = await fetch(`${oms.url}/v1/locations/wh-persist`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${oms.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(locationBody()),
    });
    expect(put.status).toBe(201);

    expect(await stop(oms.child, 'SIGTERM')).toBe(0);
    expect(oms.output()).toContain('Stopped.');
    expect(await portIsClosed(oms.dynamoPort)).toBe(true);
    expect(existsSync(join(dataDir, 'running.json'))).toBe(false);
  });

  it('keeps data and the token between runs, and stops on SIGINT too', async () => {
    const first = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    const oms = await start(['--data-dir', dataDir]);
    expect(oms.token).toBe(first);
    const read = await fetch(`${oms.url}/v1/locations/wh-persist`, { headers: { authorization: `Bearer ${oms.token}` } });
    expect(await read.json()).toMatchObject({ locationId: 'wh-persist', readiness: { status: 'ready' } });
    expect(await stop(oms.child, 'SIGINT')).toBe(0);
    expect(await portIsClosed(oms.dynamoPort)).toBe(true);
  });

  it('keeps DynamoDB Local on 127.0.0.1: no other address of this machine reaches it', async () => {
    const oms = await start(['--in-memory']);
    expect(await acceptsConnections(oms.dynamoPort, '127.0.0.1')).toBe(true);
    const elsewhere = otherAddresses();
    const reachable: string[] = [];
    for (const address of elsewhere) if (await acceptsConnections(oms.dynamoPort, address)) reachable.push(address);
    expect({ tried: elsewhere, reachable }).toEqual({ tried: elsewhere, reachable: [] });
    expect(await stop(oms.child, 'SIGTERM')).toBe(0);
  });

  it(
    'DynamoDB Local exits by itself when the runtime is killed hard; the next start stops any orphan that could not, and --reset wipes the data',
    async () => {
      const killed = await start(['--in-memory']);
      expect(await stop(killed.child, 'SIGKILL')).toBe(null);
      // Its stdin pipe closes with the runtime: the JVM notices and exits, no next start needed.
      await waitUntil(() => portIsClosed(killed.dynamoPort), { timeoutMs: 30_000, what: 'the orphaned DynamoDB Local to exit by itself' });
      await waitUntil(() => !isRunning(killed.dynamoPid), { timeoutMs: 10_000, what: 'its process to end' });

      // A JVM that cannot notice (stopped here; hung, in life) stays an orphan...
      const stuck = await start(['--in-memory']);
      process.kill(stuck.dynamoPid, 'SIGSTOP');
      expect(await stop(stuck.child, 'SIGKILL')).toBe(null);
      expect(isRunning(stuck.dynamoPid)).toBe(true);

      // ...until the next start finds it in the registry, its owner gone, and stops it.
      const oms = await start(['--data-dir', dataDir, '--reset']);
      await waitUntil(() => !isRunning(stuck.dynamoPid), { timeoutMs: 10_000, what: 'the next start to stop the orphan' });
      expect(await portIsClosed(stuck.dynamoPort)).toBe(true);
      const read = await fetch(`${oms.url}/v1/locations/wh-persist`, { headers: { authorization: `Bearer ${oms.token}` } });
      expect(read.status).toBe(404);
      expect(await stop(oms.child, 'SIGTERM')).toBe(0);
    },
    240_000,
  );
});

