import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '../paths.ts';
import { isAlive } from './orphans.ts';

/**
 * How local tools (`npm run import:stock`, …) find the OMS that `npm start`
 * runs on this machine, whatever port it chose and whether its data is kept:
 * `npm start` writes `running.json` (URL, pid, token; readable by the user
 * only) in its data folder — `.oms/` unless `--data-dir` says otherwise, and
 * `.oms/` for in-memory runs too — and removes it when it stops. A file left
 * by a run that was killed hard names a pid that no longer runs, and is
 * ignored.
 */

export interface RunningOmsNotice {
  url: string;
  pid: number;
  apiToken: string;
  dataDir?: string | undefined;
  startedAt: string;
}

/** The folder `npm start` keeps its data in by default. */
export const defaultDataDir = (): string => resolve(process.env['OMS_DATA_DIR'] ?? join(repoRoot, '.oms'));

const noticeFile = (dir: string) => join(dir, 'running.json');

/** Writes the notice; the returned function removes it (only if it is still this process's). */
export function announceRunningOms(notice: RunningOmsNotice, dir = notice.dataDir ?? defaultDataDir()): () => void {
  mkdirSync(dir, { recursive: true });
  const file = noticeFile(dir);
  writeFileSync(file, `${JSON.stringify(notice, null, 2)}\n`, { mode: 0o600 });
  return () => {
    if (findRunningOms(dir, () => true)?.pid === notice.pid) rmSync(file, { force: true });
  };
}

/** The OMS announced in `dir`, if its process still runs. */
export function findRunningOms(dir = defaultDataDir(), alive: (pid: number) => boolean = isAlive): RunningOmsNotice | undefined {
  const file = noticeFile(dir);
  if (!existsSync(file)) return undefined;
  try {
    const notice = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunningOmsNotice>;
    if (typeof notice.url !== 'string' || typeof notice.pid !== 'number' || typeof notice.apiToken !== 'string') return undefined;
    return alive(notice.pid) ? (notice as RunningOmsNotice) : undefined;
  } catch {
    return undefined;
  }
}

export interface OmsTarget {
  url: string;
  token: string | undefined;
  /** Where the URL came from, for messages when it cannot be reached. */
  source: string;
}

/**
 * Which OMS a local tool talks to, first match wins: command-line flags;
 * `OMS_URL` / `OMS_API_TOKEN`; `OMS` / `OMS_TOKEN` (the README's variables);
 * the OMS `npm start` announced; else http://127.0.0.1:3000 with the token
 * kept in `.oms/api-token`.
 */
export function resolveOmsTarget(input: {
  flags: { url?: string | undefined; token?: string | undefined };
  env: Record<string, string | undefined>;
  running: RunningOmsNotice | undefined;
  tokenFile: () => string | undefined;
}): OmsTarget {
  const { flags, env, running } = input;
  const nonEmpty = (value: string | undefined) => (value && value.trim() !== '' ? value.trim() : undefined);
  const named = ([
    [nonEmpty(flags.url), '--url'],
    [nonEmpty(env['OMS_URL']), 'OMS_URL'],
    [nonEmpty(env['OMS']), 'OMS'],
  ] as const).find(([value]) => value !== undefined);
  const url = named?.[0] ?? running?.url ?? 'http://127.0.0.1:3000';
  const source = named?.[1] ?? (running ? `the OMS npm start runs (pid ${running.pid})` : 'the default address');
  const token =
    nonEmpty(flags.token) ??
    nonEmpty(env['OMS_API_TOKEN']) ??
    nonEmpty(env['OMS_TOKEN']) ??
    // The announced token belongs to the announced OMS, not to another one named by --url or a variable.
    (running && (!named || sameOrigin(running.url, url)) ? running.apiToken : undefined) ??
    input.tokenFile();
  return { url: url.replace(/\/+$/, ''), token, source };
}

function sameOrigin(a: string, b: string): boolean {
  try {
    const [x, y] = [new URL(a), new URL(b)];
    const local = (host: string) => (['localhost', '127.0.0.1', '[::1]'].includes(host) ? 'loopback' : host);
    return local(x.hostname) === local(y.hostname) && x.port === y.port && x.protocol === y.protocol;
  } catch {
    return false;
  }
}
