import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { KMSClient } from '@aws-sdk/client-kms';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelChanged } from '#events/channel-changed.ts';
import { ChannelInput, applyChannelInput, type ChannelSecrets } from '#shared/domain/channel.ts';
import { channelDataKeysFrom } from '#shared/adapters/dependencies.ts';
import { KmsDataKeys } from '#shared/adapters/kms-data-keys.ts';
import { LOCAL_AWS } from '#infra/local/dynamodb-local.ts';
import { DynamoChannelRepository } from '#shared/store/channel-repository.ts';
import { DEVELOPMENT_KEY_ID, LocalDataKeys, developmentDataKeys, noChannelSecretKeys, openSecrets, sealSecrets } from '#shared/store/sealed-secrets.ts';
import { keys } from '#shared/store/keys.ts';
import { startFakeKms, type FakeKms } from '../support/fake-kms.ts';
import { must, shopifyChannelBody } from '../support/fixtures.ts';
import { allItems, useTestTable } from '../support/table.ts';

/**
 * Channel secrets are sealed (envelope encryption, docs/security.md): the
 * table item and its stream records hold ciphertext only, reads give the
 * secrets back, items written before encryption still read and are sealed by
 * the next save, and a sealed value opens only for its own channel and key.
 */

const SECRET = 'shpss_super_secret_value_0123456789abcdef';
const ADMIN_TOKEN = 'shpat_admin_token_value_0123456789';
const now = new Date('2026-12-01T10:00:00.000Z');
const ctx = { occurredAt: now, actor: 'test' };

let db: DynamoDBDocumentClient;
let tableName: string;
let endpoint: string;
let kms: FakeKms;

beforeAll(async () => {
  ({ db, tableName, endpoint } = await useTestTable({ stream: true }));
  kms = await startFakeKms();
});
afterAll(() => kms.close());

const kmsKeys = () => new KmsDataKeys(kms.keyArn, new KMSClient({ ...LOCAL_AWS, endpoint: kms.endpoint }));

async function createChannel(repository: DynamoChannelRepository, channelId: string, secrets: Record<string, string> = { webhookSecret: SECRET, adminAccessToken: ADMIN_TOKEN }) {
  const { channel, secrets: merged } = applyChannelInput(undefined, channelId, ChannelInput.parse(shopifyChannelBody({ secrets })), now);
  await repository.save(channel, merged, { expectedVersion: null, events: [ChannelChanged.create({ change: 'created', channel }, ctx)] });
  return channel;
}

const secretsItem = async (channelId: string) => must((await allItems(db, tableName)).find((item) => item['PK'] === `CHANNEL#${channelId}` && item['SK'] === 'SECRETS'), 'the secrets item');

async function streamImages(): Promise<string> {
  const { Table } = await new DynamoDBClient({ ...LOCAL_AWS, endpoint }).send(new DescribeTableCommand({ TableName: tableName }));
  const streams = new DynamoDBStreamsClient({ ...LOCAL_AWS, endpoint });
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: must(Table?.LatestStreamArn, 'the stream') }));
  const records: unknown[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: Table?.LatestStreamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    for (let page = 0; ShardIterator && page < 20; page++) {
      const out = await streams.send(new GetRecordsCommand({ ShardIterator }));
      records.push(...(out.Records ?? []));
      if ((out.Records ?? []).length === 0) break;
      ShardIterator = out.NextShardIterator;
    }
  }
  return JSON.stringify(records);
}

describe('sealed channel secrets in the table', () => {
  it('stores only ciphertext (item and stream), and reads the secrets back', async () => {
    const channels = new DynamoChannelRepository(db, tableName, kmsKeys());
    await createChannel(channels, 'sealed-a');

    const item = await secretsItem('sealed-a');
    expect(Object.keys(item).sort()).toEqual(['PK', 'SK', 'entity', 'sealed']);
    expect(item['sealed']).toMatchObject({ v: 1, alg: 'AES-256-GCM', keyId: kms.keyArn });
    const raw = JSON.stringify(await allItems(db, tableName));
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain(ADMIN_TOKEN);
    const stream = await streamImages();
    expect(stream).toContain('sealed-a');
    expect(stream).not.toContain(SECRET);
    expect(stream).not.toContain(ADMIN_TOKEN);

    expect(await channels.getSecrets('sealed-a')).toEqual({ webhookSecret: SECRET, adminAccessToken: ADMIN_TOKEN });
    expect((await channels.getWithSecrets('sealed-a'))?.secrets).toEqual({ webhookSecret: SECRET, adminAccessToken: ADMIN_TOKEN });
    // KMS was asked for a fresh AES-256 data key bound to the channel, and to decrypt it with the same context.
    const generate = must(kms.calls.find((call) => call.target === 'TrentService.GenerateDataKey'), 'a GenerateDataKey call');
    expect(generate.body).toEqual({ KeyId: kms.keyArn, KeySpec: 'AES_256', EncryptionContext: { purpose: 'oms-channel-secrets', channelId: 'sealed-a' } });
  });

  it('asks KMS once per data key, not on every read (a webhook burst costs one Decrypt)', async () => {
    const channels = new DynamoChannelRepository(db, tableName, kmsKeys());
    await createChannel(channels, 'sealed-burst');
    const before = kms.calls.filter((call) => call.target === 'TrentService.Decrypt').length;
    for (let i = 0; i < 5; i++) expect((await channels.getSecrets('sealed-burst'))['webhookSecret']).toBe(SECRET);
    expect(kms.calls.filter((call) => call.target === 'TrentService.Decrypt')).toHaveLength(before + 1);
  });

  it('reads an item written before encryption, and seals it on the next save of the channel', async () => {
    const channels = new DynamoChannelRepository(db, tableName, kmsKeys());
    const channel = await createChannel(channels, 'legacy-a');
    // What the repository wrote before secrets were sealed: a plain `secrets` map.
    await db.send(new PutCommand({ TableName: tableName, Item: { ...keys.channelSecrets('legacy-a'), entity: 'ChannelSecrets', secrets: { webhookSecret: SECRET } } }));

    expect(await channels.getSecrets('legacy-a')).toEqual({ webhookSecret: SECRET });
    const found = must(await channels.getWithSecrets('legacy-a'), 'the legacy channel');
    expect(found.secrets).toEqual({ webhookSecret: SECRET });

    // A save that does not change the secrets (a rename) seals them all the same.
    await channels.save({ ...channel, name: 'Renamed', version: 2 }, undefined, { expectedVersion: 1, events: [] });
    const item = await secretsItem('legacy-a');
    expect(item['secrets']).toBeUndefined();
    expect(item['sealed']).toMatchObject({ alg: 'AES-256-GCM' });
    expect(JSON.stringify(item)).not.toContain(SECRET);
    expect(await channels.getWithSecrets('legacy-a')).toMatchObject({ channel: { name: 'Renamed', version: 2 }, secrets: { webhookSecret: SECRET } });
  });

  it('a sealed save that loses the version race writes neither the channel nor the secrets', async () => {
    const channels = new DynamoChannelRepository(db, tableName, kmsKeys());
    const channel = await createChannel(channels, 'sealed-race');
    const before = await secretsItem('sealed-race');
    await expect(channels.save({ ...channel, version: 2 }, { webhookSecret: 'new-secret-value-0123456789abcdef' }, { expectedVersion: 7, events: [] })).rejects.toThrow(/changed by another request/);
    expect(await secretsItem('sealed-race')).toEqual(before);
  });

  it('a sealed value opens only for its own channel, and only with its key', async () => {
    const channels = new DynamoChannelRepository(db, tableName, kmsKeys());
    await createChannel(channels, 'victim');
    await createChannel(channels, 'attacker', { webhookSecret: 'attacker-secret-0123456789abcdef' });
    // Copying the victim's sealed secrets onto another channel's item does not hand them over.
    const victim = await secretsItem('victim');
    await db.send(new PutCommand({ TableName: tableName, Item: { ...keys.channelSecrets('attacker'), entity: 'ChannelSecrets', sealed: victim['sealed'] } }));
    await expect(channels.getSecrets('attacker')).rejects.toThrow();

    // The development key (or any other key) cannot open what KMS sealed, nor the reverse.
    await expect(new DynamoChannelRepository(db, tableName, developmentDataKeys).getSecrets('victim')).rejects.toThrow();
    const local = new LocalDataKeys(randomBytes(32), 'local:test');
    const sealed = await sealSecrets(local, 'c1', { webhookSecret: SECRET });
    expect(JSON.stringify(sealed)).not.toContain(SECRET);
    expect(await openSecrets(local, 'c1', sealed)).toEqual({ webhookSecret: SECRET });
    await expect(openSecrets(local, 'c2', sealed)).rejects.toThrow();
    await expect(openSecrets(new LocalDataKeys(randomBytes(32), 'local:other'), 'c1', sealed)).rejects.toThrow();
    await expect(openSecrets(local, 'c1', { ...sealed, ciphertext: Buffer.from('tampered').toString('base64') })).rejects.toThrow();
  });

  it('tests and callers that name no key use the published development key, and still store no plain secret', async () => {
    const channels = new DynamoChannelRepository(db, tableName);
    await createChannel(channels, 'dev-key');
    const item = await secretsItem('dev-key');
    expect(item['sealed']).toMatchObject({ keyId: DEVELOPMENT_KEY_ID });
    expect(JSON.stringify(item)).not.toContain(SECRET);
    expect(await channels.getSecrets('dev-key')).toMatchObject({ webhookSecret: SECRET });
  });
});

describe('which data keys a function uses (composition root)', () => {
  it('KMS when the stack names the key, a local key or key file locally, the development key otherwise', async () => {
    expect(channelDataKeysFrom({ CHANNEL_SECRETS_KMS_KEY_ID: kms.keyArn })).toBeInstanceOf(KmsDataKeys);
    expect(channelDataKeysFrom({})).toBe(developmentDataKeys);
    const key = randomBytes(32).toString('base64');
    const fromEnv = channelDataKeysFrom({ CHANNEL_SECRETS_LOCAL_KEY: key });
    const file = join(mkdtempSync(join(tmpdir(), 'oms-key-')), 'channel-secrets.key');
    writeFileSync(file, `${key}\n`);
    const fromFile = channelDataKeysFrom({ CHANNEL_SECRETS_KEY_FILE: file });
    // The same key from either place opens what the other sealed.
    const sealed = await sealSecrets(fromEnv, 'c1', { consumerKey: 'ck_value' } satisfies ChannelSecrets);
    expect(await openSecrets(fromFile, 'c1', sealed)).toEqual({ consumerKey: 'ck_value' });
    expect(() => channelDataKeysFrom({ CHANNEL_SECRETS_LOCAL_KEY: randomBytes(16).toString('base64') })).toThrow(/must be 32 bytes/);
  });

  it('on Lambda without the KMS key (no channel:secrets access) any use says so', async () => {
    const keysOnLambda = channelDataKeysFrom({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' });
    expect(keysOnLambda).toBe(noChannelSecretKeys);
    await expect(keysOnLambda.decrypt(Buffer.alloc(60), {})).rejects.toThrow(/no channel:secrets access/);
    await expect(keysOnLambda.generate({})).rejects.toThrow(/no channel:secrets access/);
  });
});
