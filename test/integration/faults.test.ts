import { InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { Faults, InjectedCrash, InjectedDeliveryFailure, faultsFromEnv } from '#infra/local/faults.ts';
import { useTestTable } from '../support/table.ts';

/** The fault injection of the local runtime (infra/local/faults.ts), as the fault campaign uses it. */
describe('fault injection', () => {
  it('throttles before the call is sent: the SDK exception, nothing written', async () => {
    const { db, tableName } = await useTestTable();
    const faults = new Faults({ dynamoThrottle: 1 });
    const remove = faults.instrument(db);
    const item = { PK: 'FAULT#1', SK: 'A' };
    await expect(db.send(new PutCommand({ TableName: tableName, Item: item }))).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    remove();
    expect((await db.send(new GetCommand({ TableName: tableName, Key: item }))).Item).toBeUndefined();
    expect(faults.counts.dynamoThrottle).toBe(1);
  });

  it('fails with InternalServerError after the call was applied: the write happened, the caller saw a failure', async () => {
    const { db, tableName } = await useTestTable();
    const faults = new Faults({ dynamoServerError: 1 });
    const remove = faults.instrument(db);
    const item = { PK: 'FAULT#2', SK: 'A' };
    await expect(db.send(new PutCommand({ TableName: tableName, Item: item }))).rejects.toBeInstanceOf(InternalServerError);
    remove();
    expect((await db.send(new GetCommand({ TableName: tableName, Key: item }))).Item).toEqual(item);
  });

  it('injects nothing when switched off, and adds no middleware without DynamoDB faults', async () => {
    const { db, tableName } = await useTestTable();
    const faults = new Faults({ dynamoThrottle: 1, crash: { share: 1 }, deliveryFailure: 1 });
    const remove = faults.instrument(db);
    faults.enabled = false;
    await db.send(new PutCommand({ TableName: tableName, Item: { PK: 'FAULT#3', SK: 'A' } }));
    expect(() => faults.afterHandler('getOrder')).not.toThrow();
    expect(() => faults.beforeDelivery()).not.toThrow();
    remove();
    const none = new Faults({ crash: { share: 1 } });
    const before = db.middlewareStack.identify().length;
    none.instrument(db)();
    expect(db.middlewareStack.identify().length).toBe(before);
  });

  it('crashes only the named functions, and fails deliveries', () => {
    const faults = new Faults({ crash: { share: 1, functions: ['reserveOrder'] }, deliveryFailure: 1 });
    expect(() => faults.afterHandler('getOrder')).not.toThrow();
    expect(() => faults.afterHandler('reserveOrder')).toThrow(InjectedCrash);
    expect(() => faults.beforeDelivery()).toThrow(InjectedDeliveryFailure);
    expect(faults.counts).toMatchObject({ crash: 1, deliveryFailure: 1 });
  });

  it('hits about the configured share, reproducibly for a seed', () => {
    const hits = (seed: number) => {
      const faults = new Faults({ deliveryFailure: 0.15, seed });
      let n = 0;
      for (let i = 0; i < 10_000; i++) {
        try {
          faults.beforeDelivery();
        } catch {
          n++;
        }
      }
      return n;
    };
    expect(hits(7)).toBe(hits(7));
    expect(hits(7)).toBeGreaterThan(1_300);
    expect(hits(7)).toBeLessThan(1_700);
  });

  it('refuses shares outside 0..1 and reads OMS_FAULTS', () => {
    expect(() => new Faults({ dynamoThrottle: 1.5 })).toThrow(/dynamoThrottle/);
    expect(faultsFromEnv({})).toBeUndefined();
    expect(faultsFromEnv({ OMS_FAULTS: '{"deliveryFailure":0.1}' })).toEqual({ deliveryFailure: 0.1 });
    expect(() => faultsFromEnv({ OMS_FAULTS: 'nope' })).toThrow(/OMS_FAULTS/);
  });
});
