import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { queues } from '#infra/topology/queues.ts';
import { rules } from '#infra/topology/rules.ts';
import { FUZZ_WMS_LOCATIONS, consumerArbitrary, eventConsumers, fuzzEvents, seedWorld, type FuzzWorld } from '../../bench/event-fuzz.ts';

/**
 * Every event consumer of the topology (rule targets: functions, workflows,
 * queues; every queue consumer), fuzzed with events drawn from their own
 * contracts (bench/event-fuzz.ts; `npm run chaos -- --fuzz` runs 10,000 cases
 * per consumer): a consumer that fails wrote nothing, and a queue consumer
 * reports a bad message instead of throwing its batch away.
 */
let oms: RunningOms;
let world: FuzzWorld;

beforeAll(async () => {
  oms = await startOms({ port: 0, dynamoEndpoint: inject('dynamoEndpoint'), tableName: `oms-event-fuzz-${randomUUID()}`, apiToken: 'event-fuzz-token-0123456789abcdef', logLevel: 'CRITICAL', schedules: false, wmsLocations: FUZZ_WMS_LOCATIONS });
  world = await seedWorld(oms);
}, 120_000);

afterAll(async () => {
  await oms?.stop();
});

describe('event fuzzer', () => {
  it('covers every rule target and every queue consumer of the topology, each with arbitraries', () => {
    const consumers = eventConsumers();
    const ids = new Set(consumers.map((c) => c.id));
    for (const rule of rules) {
      const target = rule.target;
      expect(ids).toContain('function' in target ? `function:${target.function}` : 'workflow' in target ? `workflow:${target.workflow}` : `queue:${target.queue}`);
    }
    for (const queue of Object.keys(queues)) expect(ids).toContain(`queue:${queue}`);
    for (const consumer of consumers) expect(() => consumerArbitrary(consumer, world), consumer.id).not.toThrow();
  });

  it('a consumer without arbitraries is refused', () => {
    expect(() => consumerArbitrary({ id: 'function:nothing', kind: 'function', target: 'reserveOrder', rules: [] }, world)).toThrow(/no arbitraries/);
  });

  it('the seeded world has real events to replay and ids to swap', () => {
    const types = new Set(world.events.map((e) => e['detail-type']));
    for (const type of ['OrderReceived', 'StockReserved', 'ShipmentShipped', 'ShipmentDelivered', 'OrderCancelled', 'ReturnApproved', 'ReturnReceived', 'RefundIssued']) expect(types).toContain(type);
    expect(world.ids.length).toBeGreaterThan(5);
  });

  it('never a partial write and never a thrown queue batch, over drawn events per consumer', async () => {
    const result = await fuzzEvents(oms, { casesPerConsumer: 50, world, seed: 12 });
    expect(result.consumers).toBe(eventConsumers().length);
    expect(result.cases).toBeGreaterThan(eventConsumers().length * 40);
    expect(result.findings).toEqual([]);
    expect(result.partialWrites).toBe(0);
    expect(result.queueThrows).toBe(0);
  }, 240_000);
});
