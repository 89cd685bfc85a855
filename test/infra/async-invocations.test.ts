import { beforeAll, describe, expect, it } from 'vitest';
import { asyncInvocation, asynchronousFunctions } from '#infra/topology/async-invocations.ts';
import { FUNCTION_ENV } from '#infra/topology/workflows.ts';
import { rules } from '#infra/topology/rules.ts';
import { schedules } from '#infra/topology/schedules.ts';
import { synthesize, type Synthesized } from './synth.ts';

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
});

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The logical id of each function in the stateless template, by its topology name. */
function functionIds(resources: Resources): Map<string, string> {
  const ids = new Map<string, string>();
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const env = (resource.Properties['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const name = env[FUNCTION_ENV];
    if (typeof name === 'string') ids.set(name, id);
  }
  return ids;
}

describe('asynchronous invocations on AWS', () => {
  it('counts every rule and schedule function target, the poll function and the partner-event receiver as asynchronous', () => {
    const names = asynchronousFunctions();
    for (const rule of rules) if ('function' in rule.target) expect(names).toContain(rule.target.function);
    for (const schedule of schedules) expect(names).toContain(schedule.target.function);
    expect(names).toEqual(expect.arrayContaining(['pollChannel', 'receiveShopifyEvent', 'reconcileOrders']));
  });

  it('gives every asynchronous function an on-failure destination on the FailedInvocations queue, with MaximumRetryAttempts 2', () => {
    const resources = synth.statelessJson.Resources as Resources;
    const ids = functionIds(resources);
    const configs = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventInvokeConfig');
    const failedQueueId = synth.stateful.getLogicalId(synth.stateful.failedInvocations.node.defaultChild as never);
    for (const name of asynchronousFunctions()) {
      const fnId = ids.get(name);
      expect(fnId, `${name} is deployed by the stateless stack`).toBeDefined();
      const config = configs.find((c) => JSON.stringify(c.Properties['FunctionName']) === JSON.stringify({ Ref: fnId }));
      expect(config, `${name} has an EventInvokeConfig`).toBeDefined();
      expect(config?.Properties).toMatchObject({
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: asyncInvocation.maxEventAgeSeconds,
        Qualifier: '$LATEST',
      });
      const destination = JSON.stringify((config?.Properties['DestinationConfig'] as { OnFailure: { Destination: unknown } }).OnFailure.Destination);
      expect(destination).toContain(failedQueueId);
    }
    expect(configs).toHaveLength(asynchronousFunctions().length);
  });

  it('lets each asynchronous function send to the destination queue, which is encrypted, TLS only and alarmed', () => {
    const policies = Object.values(synth.statelessJson.Resources as Resources).filter((r) => r.Type === 'AWS::IAM::Policy');
    const failedQueueId = synth.stateful.getLogicalId(synth.stateful.failedInvocations.node.defaultChild as never);
    const sends = policies.filter((p) => JSON.stringify(p.Properties['PolicyDocument']).includes(failedQueueId) && JSON.stringify(p.Properties['PolicyDocument']).includes('sqs:SendMessage'));
    expect(sends.length).toBeGreaterThan(0);
    const queue = synth.statefulTemplate.toJSON().Resources[failedQueueId] as { Properties: Record<string, unknown> };
    expect(queue.Properties['SqsManagedSseEnabled']).toBe(true);
    const alarms = Object.values(synth.statelessJson.Resources as Resources).filter(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && JSON.stringify(r.Properties['Dimensions'] ?? '').includes(failedQueueId),
    );
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.Properties).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
  });
});
