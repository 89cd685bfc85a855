import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { announceRunningOms, findRunningOms, resolveOmsTarget, type RunningOmsNotice } from '#infra/local/discovery.ts';
import { Progress } from '../../scripts/progress.ts';

const dir = mkdtempSync(join(tmpdir(), 'oms-discovery-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const running: RunningOmsNotice = { url: 'http://127.0.0.1:4123', pid: process.pid, apiToken: 'announced-token', startedAt: '2026-11-30T10:00:00Z' };
const noFile = () => undefined;

describe('finding the local OMS', () => {
  it('announces npm start in its data folder, readable by the user only, and removes the notice at stop', () => {
    const remove = announceRunningOms(running, dir);
    expect(findRunningOms(dir)).toMatchObject({ url: 'http://127.0.0.1:4123', apiToken: 'announced-token' });
    expect(statSync(join(dir, 'running.json')).mode & 0o077).toBe(0);
    remove();
    expect(findRunningOms(dir)).toBeUndefined();
  });

  it('ignores a notice left by a run that was killed hard', () => {
    announceRunningOms({ ...running, pid: 999_999_999 }, dir);
    expect(findRunningOms(dir)).toBeUndefined();
    expect(findRunningOms(dir, () => true)).toMatchObject({ pid: 999_999_999 });
  });

  it('takes the README variables OMS and OMS_TOKEN, after OMS_URL / OMS_API_TOKEN and the flags', () => {
    const env = { OMS: 'http://localhost:4000/', OMS_TOKEN: 'readme-token' };
    expect(resolveOmsTarget({ flags: {}, env, running: undefined, tokenFile: noFile })).toEqual({ url: 'http://localhost:4000', token: 'readme-token', source: 'OMS' });
    expect(resolveOmsTarget({ flags: {}, env: { ...env, OMS_URL: 'http://127.0.0.1:5000', OMS_API_TOKEN: 'api-token' }, running: undefined, tokenFile: noFile })).toMatchObject({
      url: 'http://127.0.0.1:5000',
      token: 'api-token',
    });
    expect(resolveOmsTarget({ flags: { url: 'http://127.0.0.1:6000', token: 'flag-token' }, env, running, tokenFile: noFile })).toMatchObject({
      url: 'http://127.0.0.1:6000',
      token: 'flag-token',
      source: '--url',
    });
  });

  it('finds the running OMS and its token by itself, on whatever port it runs', () => {
    expect(resolveOmsTarget({ flags: {}, env: {}, running, tokenFile: () => 'file-token' })).toEqual({
      url: 'http://127.0.0.1:4123',
      token: 'announced-token',
      source: `the OMS npm start runs (pid ${process.pid})`,
    });
    // The same OMS named by a variable still gets its token; another one does not.
    expect(resolveOmsTarget({ flags: {}, env: { OMS: 'http://localhost:4123' }, running, tokenFile: noFile }).token).toBe('announced-token');
    expect(resolveOmsTarget({ flags: {}, env: { OMS: 'http://localhost:9999' }, running, tokenFile: () => 'file-token' }).token).toBe('file-token');
  });

  it('falls back to port 3000 and the token npm start keeps in .oms/api-token', () => {
    expect(resolveOmsTarget({ flags: {}, env: { OMS: '  ' }, running: undefined, tokenFile: () => 'file-token' })).toEqual({
      url: 'http://127.0.0.1:3000',
      token: 'file-token',
      source: 'the default address',
    });
  });
});

describe('progress of a long command', () => {
  const stream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { isTTY, write: (text: string) => writes.push(text), writes };
  };

  it('draws a bar in place on a terminal and erases it at the end, so only the summary remains', () => {
    const tty = stream(true);
    const progress = new Progress(tty, 200);
    progress.update(100);
    progress.update(200);
    progress.finish();
    expect(tty.writes[0]).toMatch(/^\r\[#{15}-{15}\] 100\/200 rows {2}50%/);
    expect(tty.writes.at(-1)).toBe('\r\x1b[K');
  });

  it('prints nothing in a log for work that ends quickly', () => {
    const log = stream(false);
    const progress = new Progress(log, 200);
    progress.update(0);
    progress.update(200);
    progress.finish();
    expect(log.writes).toEqual([]);
  });

  it('prints a line per tenth in a log for long work, and leaves the last tenth to the summary', () => {
    const log = stream(false);
    let now = 0;
    const progress = new Progress(log, 1000, { now: () => now });
    for (let done = 0; done <= 1000; done += 50) {
      now += 1000;
      progress.update(done);
    }
    progress.finish();
    expect(log.writes).toHaveLength(9);
    expect(log.writes[0]).toMatch(/^100\/1,000 rows {2}10%/);
    expect(log.writes.some((line) => line.includes('100%'))).toBe(false);
  });
});
