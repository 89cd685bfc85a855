import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { shopifyChannelBody } from '../support/fixtures.ts';

/**
 * Lambda's asynchronous invocation in the whole local runtime: a rule's
 * function that keeps failing is tried 3 times and its event lands in the
 * on-failure destination (not the rule's dead letters), from where it is
 * redriven; the reconciler's schedule runs on the runtime.
 */
let oms: RunningOms;

beforeAll(async () => {
  oms = await startOms({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-e2e-${randomUUID()}`,
    apiToken: 'e2e-token-0123456789abcdef',
    logLevel: 'CRITICAL',
    schedules: false,
    // schedulePolls (the ChannelChanged rule's function) fails after every run, as a crashing handler would.
    faults: { crash: { share: 1, functions: ['schedulePolls'] } },
  });
});

afterAll(async () => {
  await oms?.stop();
});

describe('failed asynchronous invocations in the local runtime', () => {
  it('tries a failing rule target 3 times, then keeps the event in failedInvocations; a redrive invokes it again once', async () => {
    const response = await fetch(`${oms.url}/v1/channels/shopify-us`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${oms.apiToken}` },
      body: JSON.stringify(shopifyChannelBody()),
    });
    expect(response.status).toBe(201);
    await oms.settle();
    expect(oms.failedInvocations.list()).toEqual([
      expect.objectContaining({
        invokedBy: 'rule:ChannelChangedSchedulesPolls',
        requestContext: expect.objectContaining({ condition: 'RetriesExhausted', approximateInvokeCount: 3, functionArn: expect.stringContaining(':function:schedulePolls') }),
        requestPayload: expect.objectContaining({ 'detail-type': 'ChannelChanged' }),
        responsePayload: expect.objectContaining({ errorType: 'InjectedCrash' }),
      }),
    ]);
    expect(oms.faults?.counts.crash).toBe(3);
    expect(oms.deadLetters.list()).toEqual([]);

    // The cause fixed, the redrive runs the handler again (once) and nothing fails any more.
    if (oms.faults) oms.faults.enabled = false;
    expect(await oms.redriveFailedInvocations()).toBe(1);
    await oms.settle();
    expect(await oms.redriveFailedInvocations()).toBe(0);
    expect(oms.failedInvocations.list()).toHaveLength(1);
    expect(oms.faults?.counts.crash).toBe(3);
  });

  it('runs the reconciler schedule', async () => {
    expect(await oms.scheduler.runNow('Reconciler')).toBe(true);
    expect(oms.failedInvocations.list().filter((f) => f.invokedBy === 'schedule:Reconciler')).toEqual([]);
  });
});
