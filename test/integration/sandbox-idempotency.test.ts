import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { PaymentRequestError, SandboxPaymentProvider } from '#shared/adapters/sandbox-payments.ts';
import { newId } from '#shared/domain/ids.ts';
import { keys } from '#shared/store/keys.ts';
import { table } from '#shared/store/table.ts';
import { allItems, useTestTable } from '../support/table.ts';

/**
 * The sandbox provider's idempotency is atomic, as at a real provider: the
 * key is claimed before the call acts, so of any number of concurrent calls
 * with one key exactly one has an effect and the others get its answer.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
let provider: SandboxPaymentProvider;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  provider = new SandboxPaymentProvider(db, tableName);
});

async function authorized(amount: number): Promise<string> {
  const auth = await provider.authorize({ amount, currency: 'EUR', paymentMethod: 'pm_card_visa', reference: newId(), idempotencyKey: newId() });
  if (auth.status !== 'authorized') throw new Error('not authorized');
  return auth.authorizationId;
}

async function record(id: string): Promise<Record<string, unknown>> {
  const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: keys.sandboxAuthorization(id), ConsistentRead: true }));
  if (!Item) throw new Error(`no record ${id}`);
  return Item;
}

const captureRecords = async (authorizationId: string) => (await allItems(db, tableName)).filter((i) => i[table.entityAttribute] === 'SandboxCapture' && i['authorizationId'] === authorizationId);

describe('the sandbox provider under concurrent calls with one idempotency key', () => {
  it('10 concurrent refunds of a capture with one key refund it once, and every call gets that one refund', async () => {
    const authorizationId = await authorized(1000);
    const { captureId } = await provider.capture({ authorizationId, amount: 1000, idempotencyKey: newId() });
    const key = `refund:${newId()}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => provider.refund({ captureId, amount: 100, idempotencyKey: key })));
    expect(new Set(answers.map((a) => a.refundId)).size).toBe(1);
    expect((await record(captureId))['refunded']).toBe(100);
    // Later, the same key still answers the same refund and refunds nothing more.
    expect(await provider.refund({ captureId, amount: 100, idempotencyKey: key })).toEqual(answers[0]);
    expect((await record(captureId))['refunded']).toBe(100);
  });

  it('10 concurrent captures of an authorization with one key capture once, and every call gets that one capture', async () => {
    const authorizationId = await authorized(1000);
    const key = `capture:${newId()}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => provider.capture({ authorizationId, amount: 150, idempotencyKey: key })));
    expect(new Set(answers.map((a) => a.captureId)).size).toBe(1);
    expect((await record(authorizationId))['captured']).toBe(150);
    expect(await captureRecords(authorizationId)).toHaveLength(1);
  });

  it('10 concurrent authorizations with one key authorize once', async () => {
    const key = `authorize:${newId()}`;
    const reference = newId();
    const answers = await Promise.all(Array.from({ length: 10 }, () => provider.authorize({ amount: 500, currency: 'EUR', paymentMethod: 'pm_card_visa', reference, idempotencyKey: key })));
    expect(new Set(answers.map((a) => (a.status === 'authorized' ? a.authorizationId : a.status))).size).toBe(1);
    expect((await allItems(db, tableName)).filter((i) => i[table.entityAttribute] === 'SandboxAuthorization' && i['reference'] === reference)).toHaveLength(1);
  });

  it('a refusal is the key’s answer: the same call again is refused the same way, even once the capture could take it', async () => {
    const authorizationId = await authorized(100);
    const { captureId } = await provider.capture({ authorizationId, amount: 100, idempotencyKey: newId() });
    const key = `refund:${newId()}`;
    const refusal = await provider.refund({ captureId, amount: 101, idempotencyKey: key }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(PaymentRequestError);
    expect(refusal).toMatchObject({ code: 'amount_too_large', retryable: false });
    await expect(provider.refund({ captureId, amount: 101, idempotencyKey: key })).rejects.toMatchObject({ code: 'amount_too_large', message: (refusal as Error).message });
    expect((await record(captureId))['refunded']).toBe(0);
  });

  it('a call while another holds the key waits for its answer, and fails retryable (idempotency_key_in_use) when none comes in time; a lapsed claim is taken over', async () => {
    const authorizationId = await authorized(1000);
    const { captureId } = await provider.capture({ authorizationId, amount: 1000, idempotencyKey: newId() });
    const key = `refund:${newId()}`;
    // A caller claimed the key and has not answered (it is still working, or it crashed before its effect).
    const claim = { ...keys.sandboxIdempotency(key), [table.entityAttribute]: 'SandboxIdempotency', state: 'in_progress', token: 'other', leaseUntil: Date.now() + 60_000 };
    await db.send(new PutCommand({ TableName: tableName, Item: claim }));
    const impatient = new SandboxPaymentProvider(db, tableName, { waitMs: 200 });
    const busy = await impatient.refund({ captureId, amount: 100, idempotencyKey: key }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(PaymentRequestError);
    expect(busy).toMatchObject({ code: 'idempotency_key_in_use', retryable: true });
    expect((await record(captureId))['refunded']).toBe(0);

    // Its lease lapsed (it crashed before acting): the next call takes the key over and refunds once.
    await db.send(new PutCommand({ TableName: tableName, Item: { ...claim, leaseUntil: Date.now() - 1 } }));
    const taken = await impatient.refund({ captureId, amount: 100, idempotencyKey: key });
    expect(taken.refundId).toMatch(/^sbx_ref_/);
    expect((await record(captureId))['refunded']).toBe(100);
    expect(await provider.refund({ captureId, amount: 100, idempotencyKey: key })).toEqual(taken);
  });
});
