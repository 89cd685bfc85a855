import { describe, expect, it } from 'vitest';
import { LocationChanged } from '#events/location-changed.ts';
import { LocalAsyncInvoker, type FailedInvocation } from '#infra/local/async-invoker.ts';
import { LocalEventBus, type BusEvent } from '#infra/local/event-bus.ts';
import { RecordLog, type ArchivedEvent, type DeadLetter } from '#infra/local/record-log.ts';
import { LocalScheduler } from '#infra/local/scheduler.ts';
import type { FunctionName } from '#infra/topology/functions.ts';
import type { RuleSpec } from '#infra/topology/rules.ts';

/** Lambda's asynchronous invocation, as the local runtime reproduces it: the first try, 2 retries, then the on-failure destination. */
function invoker(fails: (attempt: number) => boolean) {
  const calls: { fn: FunctionName; payload: unknown }[] = [];
  const destination = new RecordLog<FailedInvocation>();
  const async = new LocalAsyncInvoker({
    destination,
    retryDelaysMs: [1, 1],
    invoke: async (fn, payload) => {
      calls.push({ fn, payload });
      if (fails(calls.length)) throw new TypeError(`handler crashed on try ${calls.length}`);
      return { ok: true };
    },
  });
  return { async, calls, destination };
}

describe('local asynchronous invocation', () => {
  it('tries a failing function 3 times (2 retries), then sends Lambda\'s record with the original event to the destination', async () => {
    const { async, calls, destination } = invoker(() => true);
    const payload = { detail: { orderId: 'O1' } };
    expect(await async.invoke('reserveOrder', payload, 'rule:OrderReceivedReservesStock')).toBe(false);
    expect(calls).toHaveLength(3);
    expect(destination.list()).toEqual([
      {
        version: '1.0',
        timestamp: expect.any(String),
        requestContext: { requestId: expect.any(String), functionArn: expect.stringMatching(/:function:reserveOrder:\$LATEST$/), condition: 'RetriesExhausted', approximateInvokeCount: 3 },
        requestPayload: payload,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: { errorType: 'TypeError', errorMessage: 'handler crashed on try 3' },
        invokedBy: 'rule:OrderReceivedReservesStock',
      },
    ]);
  });

  it('succeeds on a retry without sending anything to the destination', async () => {
    const { async, calls, destination } = invoker((attempt) => attempt < 3);
    expect(await async.invoke('notifyCustomer', {})).toBe(true);
    expect(calls).toHaveLength(3);
    expect(destination.list()).toEqual([]);
  });

  it('is what a bus rule with a function target reaches: the rule\'s 185 delivery retries never re-run a handler that threw', async () => {
    const { async, calls, destination } = invoker(() => true);
    const deadLetters = new RecordLog<DeadLetter>();
    const rule: RuleSpec = { id: 'Flaky', description: 'flaky', pattern: LocationChanged.pattern(), target: { function: 'reserveOrder' }, retryAttempts: 185, maxEventAgeSeconds: 86_400 };
    const bus = new LocalEventBus({
      rules: [rule],
      deadLetters,
      archive: new RecordLog<ArchivedEvent>(),
      retryBaseDelayMs: 1,
      deliver: async (target, event: BusEvent, ruleId) => {
        if ('function' in target) await async.invoke(target.function, event, `rule:${ruleId}`);
      },
    });
    bus.putEvents([{ source: 'oms.locations', detailType: 'LocationChanged', detail: { hello: 'world' } }]);
    await bus.idle();
    expect(calls).toHaveLength(3);
    expect(deadLetters.list()).toEqual([]);
    expect(destination.list()).toEqual([
      expect.objectContaining({ invokedBy: 'rule:Flaky', requestPayload: expect.objectContaining({ 'detail-type': 'LocationChanged', detail: { hello: 'world' } }) }),
    ]);
  });

  it('is what a schedule reaches: a failing job goes to the destination once, not to the schedule dead letters', async () => {
    const { async, calls, destination } = invoker(() => true);
    const deadLetters = new RecordLog<DeadLetter>();
    const scheduler = new LocalScheduler({
      schedules: [{ id: 'Job', description: 'job', expression: 'rate(5 minutes)', timezone: 'UTC', target: { function: 'reconcileOrders' }, input: { job: 'reconcile-orders' }, retryAttempts: 2, maxEventAgeSeconds: 300 }],
      deadLetters,
      invoke: (fn, input, scheduleId) => async.invoke(fn, input, `schedule:${scheduleId}`),
    });
    expect(await scheduler.runNow('Job')).toBe(false);
    expect(scheduler.fired).toEqual([expect.objectContaining({ id: 'Job', ok: false })]);
    expect(calls).toHaveLength(3);
    expect(deadLetters.list()).toEqual([]);
    expect(destination.list()).toEqual([expect.objectContaining({ invokedBy: 'schedule:Job', requestPayload: { job: 'reconcile-orders' } })]);
  });

  it('keeps the destination on disk, like the queue on AWS', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(mkdtempSync(join(tmpdir(), 'oms-failed-')), 'failed-invocations.jsonl');
    const destination = new RecordLog<FailedInvocation>(file);
    const async = new LocalAsyncInvoker({ destination, retryDelaysMs: [1, 1], invoke: async () => Promise.reject(new Error('down')) });
    await async.invoke('pollChannel', { channelId: 'amazon-eu' });
    expect(new RecordLog<FailedInvocation>(file).list()).toEqual([expect.objectContaining({ requestPayload: { channelId: 'amazon-eu' } })]);
  });
});
