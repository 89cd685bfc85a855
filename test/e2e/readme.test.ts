import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { repoRoot } from '#infra/paths.ts';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { ShellSession, bashBlocks, shellSteps, unmet, type StepResult } from '../support/shell-walk.ts';

/**
 * The README's "Try it" section, pasted command by command into one bash
 * session against the local runtime, as a newcomer does on a fresh clone.
 * Only two things differ from the reader's terminal: the OMS listens on a
 * free port (http://localhost:3000 → its URL) and keeps its data in a
 * temporary folder (.oms/ → that folder). Between commands the test lets
 * the OMS finish what the command started, as a reader's pause would.
 * Every `# →` line must hold, and no command may answer an error unless its
 * `# →` lines expect one (an error body, or `HTTP 4xx`).
 */
let oms: RunningOms;
let dataDir: string;
let shell: ShellSession;
const results: StepResult[] = [];

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const blocks = bashBlocks(readme, '## Try it');

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'oms-readme-'));
  oms = await startOms({
    port: 0,
    dataDir,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-readme-${randomUUID()}`,
    logLevel: 'ERROR',
    schedules: false,
    // The README's Shopify shop is an example that cannot be reached: its pushes fail at once and dead-letter
    // in seconds rather than after the full retry budget, so the commands after it need not wait.
    marketplaceRetry: { attempts: 1, baseDelayMs: 100 },
    // The availability queue gathers changes for 2 s before each push; a reader never notices, the test would wait.
    queueBatchingWindowMs: 100,
  });
  // The reader's shell: PATH (with the project's Node first, as npm puts it) and HOME, none of the test runner's variables.
  shell = new ShellSession({
    cwd: repoRoot,
    env: { PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, HOME: process.env['HOME'] ?? dataDir, LANG: 'C.UTF-8' },
  });
}, 120_000);

afterAll(async () => {
  shell?.close();
  await oms?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function asRun(command: string): string {
  return command.replaceAll('http://localhost:3000', oms.url).replaceAll('.oms/', `${dataDir}/`);
}

describe('the README, run as written', () => {
  it('has a "Try it" walk with commands and the answers it promises', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const steps = blocks.flatMap(shellSteps);
    expect(steps.length).toBeGreaterThan(30);
    expect(steps.filter((step) => step.expectations.length > 0).length).toBeGreaterThan(25);
  });

  blocks.forEach((block, index) => {
    it(`block ${index + 1}: every command runs and answers what the README says`, async () => {
      for (const step of shellSteps(block)) {
        const result = await shell.run({ ...step, command: asRun(step.command) });
        results.push(result);
        // A reader's pause: what the command started (events, workflows, mail) is done before the next one.
        await oms.settle(30_000);
        const where = `README "Try it" block ${index + 1}, line ${step.line}:\n${step.command}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
        expect(result.exitCode, where).toBe(0);
        expect(result.stderr, `${where}\nprinted to stderr`).toBe('');
        const expectsError = step.expectations.some((e) => e.includes('"error"') || /^HTTP [45]\d\d$/.test(e));
        if (!expectsError) expect(result.stdout, `${where}\nanswered an error the README does not show`).not.toMatch(/\{"error":\{"code"/);
        for (const expectation of step.expectations) expect(unmet(result.stdout, expectation), where).toBeUndefined();
      }
    }, 300_000);
  });

  it('took every order of the walk to where the README says it is', async () => {
    const get = async (path: string) => (await fetch(`${oms.url}${path}`, { headers: { authorization: `Bearer ${oms.apiToken}` } })).json() as Promise<Record<string, unknown>>;
    const orders = (await get('/v1/orders?from=2026-01-01T00:00:00Z')) as { items: { status: string; channel: { channelId: string } }[] };
    expect(orders.items.map((o) => [o.channel.channelId, o.status]).sort()).toEqual(
      [
        ['pos-soho', 'delivered'],
        ['shopify-us', 'routed'],
        ['web-store', 'delivered'],
      ].sort(),
    );
    // Each command ran once, in order, and none was left out.
    expect(results.map((r) => r.step.line)).toEqual(blocks.flatMap((block) => shellSteps(block).map((step) => step.line)));
  });
});
