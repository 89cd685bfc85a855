import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A Java child outlives a Node process that is killed hard (SIGKILL, OOM).
 * Every DynamoDB Local the runtime starts is recorded here with the pid of
 * the process that owns it; any later start stops the ones whose owner is
 * gone. The registry is in the OS temp dir so it covers in-memory runs and
 * test runs too.
 */
const registry = join(tmpdir(), 'oms-dynamodb-local');

export function registerChild(childPid: number): () => void {
  mkdirSync(registry, { recursive: true });
  const file = join(registry, `${childPid}.json`);
  writeFileSync(file, JSON.stringify({ owner: process.pid }));
  return () => rmSync(file, { force: true });
}

/** Stops DynamoDB Local processes whose owner no longer runs. Returns their pids. */
export function reapOrphans(): number[] {
  let entries: string[];
  try {
    entries = readdirSync(registry);
  } catch {
    return [];
  }
  const reaped: number[] = [];
  for (const entry of entries) {
    const file = join(registry, entry);
    const childPid = Number(entry.replace(/\.json$/, ''));
    let owner: number | undefined;
    try {
      owner = (JSON.parse(readFileSync(file, 'utf8')) as { owner?: number }).owner;
    } catch {
      owner = undefined;
    }
    if (owner !== undefined && isAlive(owner)) continue;
    if (isDynamoDbLocal(childPid)) {
      try {
        process.kill(childPid, 'SIGKILL');
        reaped.push(childPid);
      } catch {
        // Already gone.
      }
    }
    rmSync(file, { force: true });
  }
  return reaped;
}

/** The process exists (kill(pid, 0) answers EPERM for one of another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isDynamoDbLocal(pid: number): boolean {
  try {
    return readFileSync(join('/proc', String(pid), 'cmdline'), 'utf8').includes('DynamoDBLocal');
  } catch {
    // No /proc (macOS): trust the registry, which only ever lists DynamoDB Local pids.
    return isAlive(pid);
  }
}
