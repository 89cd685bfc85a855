import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '#infra/paths.ts';
import type { ReturnCostModel } from '../../bench/returns.ts';

/**
 * Keeps `npm run bench` from rotting: its quick mode runs and produces every
 * figure, and nothing was oversold. Timings are not asserted (they belong to
 * the benchmark, not to a test).
 */
const dir = mkdtempSync(join(tmpdir(), 'oms-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench -- --quick', () => {
  it('produces every figure, with nothing oversold', async () => {
    const out = join(dir, 'latest.json');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [join(repoRoot, 'bench/run.ts'), '--quick', '--out', out], { cwd: repoRoot, timeout: 480_000, env: { ...process.env, POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' } }, (error, text) =>
        error ? reject(error) : resolve(text),
      ),
    );
    expect(stdout).toContain('Ratio (real / floor)');
    const report = JSON.parse(readFileSync(out, 'utf8')) as { mode: string; results: { reservations: Record<string, unknown> & { hotSku: { oversold: number; answered: Record<string, number> }[] } } };
    expect(report.mode).toBe('quick');
    const r = report.results.reservations;
    for (const figure of ['reservationsPerSecond', 'floorTransactionsPerSecond', 'ratio', 'writeUnitsPerReservation']) expect(r[figure], figure).toBeGreaterThan(0);
    expect(r.hotSku.map((h) => h.oversold)).toEqual([0, 0]);
    for (const h of r.hotSku) expect(h.answered['reserved']).toBeGreaterThan(0);

    const { pipeline, contention, coldStart } = report.results as unknown as {
      pipeline: { throughput: Record<string, number>; latency: Record<string, { p50: number }>; cost: { perOrder: Record<string, number>; dollarsPerMillionOrders: Record<string, number>; totalWithoutMessages: number } };
      contention: { variants: { name: string; oversold: number; lost: number; reserved: number; answers: Record<string, number> }[] };
      coldStart: { functions: number; perFunction: { kb: number }[]; initMs: { baseline: number; median: number } };
    };
    for (const figure of ['ordersPerSecond', 'floorTransactionsPerSecond', 'ratio']) expect(pipeline.throughput[figure], figure).toBeGreaterThan(0);
    for (const figure of ['ackMs', 'reservedMs', 'floorMs']) expect(pipeline.latency[figure]?.p50, figure).toBeGreaterThan(0);
    // Every billable service is counted from the run, not assumed.
    for (const figure of ['dynamoWriteUnits', 'dynamoReadUnits', 'lambdaInvocations', 'expressExecutions', 'eventBridgeEvents', 'sqsRequests', 'apiRequests', 'emails']) {
      expect(pipeline.cost.perOrder[figure], figure).toBeGreaterThan(0);
    }
    expect(pipeline.cost.totalWithoutMessages).toBeGreaterThan(0);
    // The return workflow is counted on a share of those orders (request → approve → label → scans → receipt → restock → refund → close).
    const returns = (pipeline.cost as unknown as { returns: ReturnCostModel }).returns;
    expect(returns.returns).toBeGreaterThan(0);
    expect(returns.returnRate).toBe(0.1);
    for (const figure of ['dynamoWriteUnits', 'dynamoReadUnits', 'lambdaInvocations', 'expressExecutions', 'eventBridgeEvents', 'apiRequests', 'emails'] as const) {
      expect(returns.perReturn[figure], `returns ${figure}`).toBeGreaterThan(0);
    }
    expect(returns.perReturn.expressByWorkflow).toEqual({ returnApproved: 1, returnReceived: 1 });
    expect(returns.perReturn.eventsByType).toMatchObject({ ReturnRequested: 1, ReturnApproved: 1, ReturnReceived: 1, ReturnClosed: 1, RefundIssued: 1, CreditNoteIssued: 1 });
    expect(returns.totalPerMillionOrdersWithoutMessages).toBeGreaterThan(0);
    // Broken down by what is written: the return item (rewritten by every step) and the rest; its label document is in the document store, not the table.
    const byItem = returns.perReturn.writeUnitsByItem;
    expect(byItem['Return']).toBeGreaterThan(0);
    expect(byItem['ReturnLabel']).toBeUndefined();
    expect(byItem['TimelineEntry']).toBeGreaterThan(0);
    expect(Math.abs(Object.values(byItem).reduce((a, b) => a + b, 0) - returns.perReturn.dynamoWriteUnits)).toBeLessThanOrEqual(1);
    expect(returns.withinBudget).toBe(returns.totalPerMillionOrdersWithoutMessages <= returns.budgetPerMillionOrders);
    // The budget (at most $3 per million orders at a 10 % return rate) for the workflow's own charges: the Express
    // executions. The whole figure (writes, events, Lambda, API) is reported next to it; see docs/performance.md.
    expect(returns.budgetPerMillionOrders).toBe(3);
    expect(returns.dollarsPerMillionOrders['stepFunctionsExpress']).toBeGreaterThan(0);
    expect(returns.dollarsPerMillionOrders['stepFunctionsExpress']).toBeLessThanOrEqual(returns.budgetPerMillionOrders);
    // Oversell: none, no buyer lost, every loser a clean answer (no errors).
    expect(contention.variants.map((v) => [v.name, v.oversold, v.lost, v.reserved])).toEqual([
      ['one-line', 0, 0, 10],
      ['two-line', 0, 0, 10],
      ['hot SKU, 8 shards', 0, 0, 10],
    ]);
    for (const v of contention.variants) expect(Object.keys(v.answers).filter((k) => k.startsWith('error'))).toEqual([]);
    const reads = (report.results as unknown as { reads: { orders: number; scans: number; callsPerListPage: Record<string, number>; callsPerGet: Record<string, number> } }).reads;
    expect(reads.orders).toBeGreaterThan(0);
    expect(reads.scans).toBe(0);
    expect(Object.keys(reads.callsPerListPage)).toEqual(['Query']);
    expect(Object.keys(reads.callsPerGet)).toEqual(['Query']);
    expect(coldStart.perFunction).toHaveLength(coldStart.functions);
    for (const f of coldStart.perFunction) expect(f.kb).toBeGreaterThan(0);
    expect(coldStart.initMs.baseline).toBeGreaterThan(0);
  }, 540_000);
});
