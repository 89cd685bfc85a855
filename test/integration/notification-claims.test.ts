import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalAsyncInvoker, type FailedInvocation } from '#infra/local/async-invoker.ts';
import { RecordLog } from '#infra/local/record-log.ts';
import { functions } from '#infra/topology/functions.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { newId } from '#shared/domain/ids.ts';
import { NotificationSendInProgressError, staleClaimAfterMs, type Notification } from '#shared/domain/notification.ts';
import type { MailMessage } from '#shared/ports.ts';
import { keys } from '#shared/store/keys.ts';
import { DEFAULT_BODY_RETENTION_DAYS, DynamoNotificationRepository } from '#shared/store/notification-repository.ts';
import { DEFAULT_SENDER_TIMEOUT_SECONDS, notifyCustomer, type NotificationDeps } from '#shared/use-cases/notifications.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { useTestTable } from '../support/table.ts';

/**
 * Customer messages against DynamoDB Local: a claim left `sending` by a
 * sender that crashed is retried (thrown, never skipped) while its sender may
 * still be at work and sent once after; recipient, subject and body live on
 * an item that expires, the claim stays.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof fulfillmentWorld>;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName);
});

/** A clock the test moves. */
function movableClock(start: number): Clock & { at: number } {
  const clock = { at: start, now: () => new Date(clock.at) };
  return clock;
}

function notifier(clock: Clock, send: (message: MailMessage) => Promise<{ messageId: string }>, options: { bodyRetentionDays?: number; sms?: MailMessage[] } = {}): NotificationDeps {
  return {
    orders: world.orders,
    fulfillments: world.fulfillments,
    notifications: new DynamoNotificationRepository(db, tableName, options),
    mailer: { send },
    sms: { send: async (message) => (options.sms?.push({ to: [message.to], subject: '', text: message.text }), { messageId: `sms-${newId()}` }) },
    clock,
    claimStaleAfterMs: staleClaimAfterMs(DEFAULT_SENDER_TIMEOUT_SECONDS),
  };
}

/** Leaves a claim as a sender that died inside the send leaves it: `sending`, never finished. */
async function crashInsideSend(clock: Clock, command: Parameters<typeof notifyCustomer>[1]): Promise<void> {
  let reachedSend!: () => void;
  const reached = new Promise<void>((resolve) => (reachedSend = resolve));
  void notifyCustomer(notifier(clock, () => (reachedSend(), new Promise<never>(() => undefined))), command);
  await reached;
}

const claims = async (orderId: string) => (await new DynamoNotificationRepository(db, tableName).forOrder(orderId)).filter((n) => n.channel === 'email');
const WINDOW_MS = staleClaimAfterMs(DEFAULT_SENDER_TIMEOUT_SECONDS);

describe('a notification whose sender crashed after claiming it', () => {
  it('takes its window from the sending functions\' timeout: a little over it, never under', () => {
    for (const name of ['notifyCustomer', 'notifyReturn'] as const) {
      // Locally (no FUNCTION_TIMEOUT_SECONDS) the default stands for these functions' timeout: the two must agree.
      expect(functions[name].timeoutSeconds).toBe(DEFAULT_SENDER_TIMEOUT_SECONDS);
    }
    expect(staleClaimAfterMs(30)).toBe(40_000);
    expect(staleClaimAfterMs(900)).toBeGreaterThan(900_000);
  });

  it('throws a retryable error (sending nothing) while the claim is younger than the window, sends once after it, and never again', async () => {
    const order = await world.order([{ sku: `N-${newId()}`, quantity: 1 }], { customer: { name: 'Ada', email: 'ada@example.com' } });
    const command = { orderId: order.orderId, template: 'order_confirmed' as const, about: order.orderId, actor: 'test' };
    const clock = movableClock(Date.now());
    await crashInsideSend(clock, command);
    expect(await claims(order.orderId)).toEqual([expect.objectContaining({ status: 'sending' })]);

    const mail: MailMessage[] = [];
    const record = async (message: MailMessage) => (mail.push(message), { messageId: `m-${mail.length}` });
    // Lambda's retries come within seconds, a redrive a little later: each one inside the window throws, so it is retried again.
    for (const after of [1_000, 5_000, WINDOW_MS - 1_000]) {
      const error = await notifyCustomer(notifier(movableClock(clock.at + after), record), command).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(NotificationSendInProgressError);
      expect(error).toMatchObject({ name: 'NotificationSendInProgress', retryable: true });
    }
    expect(mail).toEqual([]);
    expect(await claims(order.orderId)).toEqual([expect.objectContaining({ status: 'sending' })]);

    // Past the window the sender is certainly dead: the message is sent, once.
    clock.at += WINDOW_MS + 1_000;
    expect(await notifyCustomer(notifier(clock, record), command)).toEqual({ sent: 1, skipped: 0 });
    expect(mail).toHaveLength(1);
    expect(await claims(order.orderId)).toEqual([expect.objectContaining({ status: 'sent', messageId: 'm-1' })]);
    // A sent message is never sent again, however late the retry.
    for (const later of [1_000, WINDOW_MS * 10, 30 * 86_400_000]) {
      expect(await notifyCustomer(notifier(movableClock(clock.at + later), record), command)).toEqual({ sent: 0, skipped: 1 });
    }
    expect(mail).toHaveLength(1);
  });

  it('still sends the other channel\'s message of the same attempt before throwing for the claimed one', async () => {
    const order = await world.order([{ sku: `N-${newId()}`, quantity: 1 }], { customer: { name: 'Bo', email: 'bo@example.com', phone: '+15555550123', smsConsent: true } });
    const command = { orderId: order.orderId, template: 'cancelled' as const, about: order.orderId, actor: 'test' };
    const clock = movableClock(Date.now());
    // The crashed sender had claimed the e-mail (its SMS comes after the e-mail, so it was never claimed).
    await crashInsideSend(clock, command);
    const sms: MailMessage[] = [];
    const mail: MailMessage[] = [];
    const attempt = notifyCustomer(notifier(movableClock(clock.at + 2_000), async (m) => (mail.push(m), { messageId: 'm-x' }), { sms }), command);
    await expect(attempt).rejects.toBeInstanceOf(NotificationSendInProgressError);
    expect(mail).toEqual([]);
    expect(sms).toHaveLength(1);
    // The retry after the window sends the e-mail and skips the SMS already sent.
    expect(await notifyCustomer(notifier(movableClock(clock.at + WINDOW_MS + 1_000), async (m) => (mail.push(m), { messageId: 'm-y' }), { sms }), command)).toEqual({ sent: 1, skipped: 1 });
    expect(mail).toHaveLength(1);
    expect(sms).toHaveLength(1);
  });

  it('leaves a message whose send succeeded but whose record failed (throttled) `sending`, not `failed`: no retry sends it again within the window', async () => {
    const order = await world.order([{ sku: `N-${newId()}`, quantity: 1 }], { customer: { name: 'Gus', email: 'gus@example.com' } });
    const command = { orderId: order.orderId, template: 'order_confirmed' as const, about: order.orderId, actor: 'test' };
    const mail: MailMessage[] = [];
    const clock = movableClock(Date.now());
    const deps = notifier(clock, async (m) => (mail.push(m), { messageId: `m-${mail.length}` }));
    const repository = deps.notifications;
    const throttled: NotificationDeps = {
      ...deps,
      notifications: {
        claim: (n, stale, now) => repository.claim(n, stale, now),
        forOrder: (orderId) => repository.forOrder(orderId),
        finish: async (n, events) => {
          if (n.status === 'sent') throw new Error('ProvisionedThroughputExceededException');
          return repository.finish(n, events);
        },
      },
    };
    await expect(notifyCustomer(throttled, command)).rejects.toThrow('ProvisionedThroughputExceededException');
    expect(mail).toHaveLength(1);
    expect(await claims(order.orderId)).toEqual([expect.objectContaining({ status: 'sending' })]);
    await expect(notifyCustomer(notifier(movableClock(clock.at + 2_000), async (m) => (mail.push(m), { messageId: 'again' })), command)).rejects.toBeInstanceOf(NotificationSendInProgressError);
    expect(mail).toHaveLength(1);
  });

  it('tries the record of a sent message again when its write fails, with the same event: recorded sent, one message, one NotificationSent', async () => {
    const order = await world.order([{ sku: `N-${newId()}`, quantity: 1 }], { customer: { name: 'Ida', email: 'ida@example.com' } });
    const command = { orderId: order.orderId, template: 'order_confirmed' as const, about: order.orderId, actor: 'test' };
    const mail: MailMessage[] = [];
    const deps = notifier(movableClock(Date.now()), async (m) => (mail.push(m), { messageId: `m-${mail.length}` }));
    const repository = deps.notifications;
    const eventIds: string[] = [];
    let failures = 2;
    const flaky: NotificationDeps = {
      ...deps,
      notifications: {
        claim: (n, stale, now) => repository.claim(n, stale, now),
        forOrder: (orderId) => repository.forOrder(orderId),
        finish: async (n, events) => {
          if (n.status === 'sent') {
            eventIds.push(...events.map((e) => e.eventId));
            if (failures-- > 0) throw new Error('ProvisionedThroughputExceededException');
          }
          return repository.finish(n, events);
        },
      },
    };
    expect(await notifyCustomer(flaky, command)).toMatchObject({ sent: 1 });
    expect(mail).toHaveLength(1);
    expect(await claims(order.orderId)).toEqual([expect.objectContaining({ status: 'sent' })]);
    expect(eventIds).toHaveLength(3);
    expect(new Set(eventIds).size).toBe(1);
  });

  it('is retried by Lambda\'s asynchronous invocation, lands in the on-failure destination, and a redrive after the window sends it once', async () => {
    const order = await world.order([{ sku: `N-${newId()}`, quantity: 1 }], { customer: { name: 'Cy', email: 'cy@example.com' } });
    const command = { orderId: order.orderId, template: 'delivered' as const, about: `shp-${newId()}`, actor: 'test' };
    const clock = movableClock(Date.now());
    await crashInsideSend(clock, command);
    const mail: MailMessage[] = [];
    const destination = new RecordLog<FailedInvocation>();
    const invoker = new LocalAsyncInvoker({
      destination,
      retryDelaysMs: [1, 1],
      // The rule's event reaches notifyCustomer; the clock stands still (Lambda's retries come within a minute).
      invoke: async (_fn, payload) => notifyCustomer(notifier(clock, async (m) => (mail.push(m), { messageId: `m-${mail.length}` })), payload as typeof command),
    });
    expect(await invoker.invoke('notifyCustomer', command, 'rule:ShipmentDeliveredNotifies')).toBe(false);
    expect(destination.list()).toEqual([
      expect.objectContaining({
        requestPayload: command,
        requestContext: expect.objectContaining({ condition: 'RetriesExhausted', approximateInvokeCount: 3 }),
        responsePayload: expect.objectContaining({ errorType: 'NotificationSendInProgress' }),
      }),
    ]);
    expect(mail).toEqual([]);

    // The operator redrives the destination's records (npm start -- --redrive, or the FailedInvocations queue on AWS) later than the window.
    clock.at += WINDOW_MS + 1_000;
    for (const failed of destination.list()) expect(await invoker.invoke('notifyCustomer', failed.requestPayload, `redrive:${failed.invokedBy}`)).toBe(true);
    expect(mail).toHaveLength(1);
    // A second redrive of the same record sends nothing more.
    for (const failed of destination.list()) expect(await invoker.invoke('notifyCustomer', failed.requestPayload, `redrive:${failed.invokedBy}`)).toBe(true);
    expect(mail).toHaveLength(1);
  });
});

describe('message bodies expire, the claim stays', () => {
  it('keeps recipient, subject and body on an item with a TTL, and nothing personal on the claim', async () => {
    const order = await world.order([{ sku: `N-${newId()}`, quantity: 1 }], { customer: { name: 'Dee', email: 'dee@example.com' } });
    const sentAt = Date.now();
    const deps = notifier(movableClock(sentAt), async () => ({ messageId: 'm-ttl' }), { bodyRetentionDays: 30 });
    expect(await notifyCustomer(deps, { orderId: order.orderId, template: 'order_confirmed', about: order.orderId, actor: 'test' })).toEqual({ sent: 1, skipped: 0 });
    const claim = (await db.send(new GetCommand({ TableName: tableName, Key: keys.notification(order.orderId, 'order_confirmed', order.orderId, 'email') }))).Item ?? {};
    const body = (await db.send(new GetCommand({ TableName: tableName, Key: keys.notificationBody(order.orderId, 'order_confirmed', order.orderId, 'email') }))).Item ?? {};
    expect(claim).toMatchObject({ entity: 'Notification', status: 'sent', messageId: 'm-ttl', template: 'order_confirmed', sentAt: new Date(sentAt).toISOString() });
    for (const personal of ['to', 'subject', 'body', 'expiresAt']) expect(claim).not.toHaveProperty(personal);
    expect(JSON.stringify(claim)).not.toContain('dee@example.com');
    expect(body).toMatchObject({ entity: 'NotificationBody', to: 'dee@example.com', subject: expect.any(String), body: expect.stringContaining('Dee'), expiresAt: Math.floor(sentAt / 1000) + 30 * 86_400 });

    // Read back as one message, as before.
    expect(await claims(order.orderId)).toEqual([expect.objectContaining({ status: 'sent', to: 'dee@example.com', body: expect.stringContaining('Dee'), subject: expect.any(String) })]);
    expect((await claims(order.orderId))[0]).not.toHaveProperty('bodyExpired');
  });

  it('reads a message past its retention as sent, with bodyExpired and no recipient, subject or body — and it is still never sent again', async () => {
    const order = await world.order([{ sku: `N-${newId()}`, quantity: 1 }], { customer: { name: 'Eve', email: 'eve@example.com' } });
    const mail: MailMessage[] = [];
    const command = { orderId: order.orderId, template: 'order_confirmed' as const, about: order.orderId, actor: 'test' };
    // Sent two days ago with a one-day retention: the body item's TTL has passed (DynamoDB deletes it within days; it is read as gone at once).
    const twoDaysAgo = Date.now() - 2 * 86_400_000;
    await notifyCustomer(notifier(movableClock(twoDaysAgo), async (m) => (mail.push(m), { messageId: 'm-old' }), { bodyRetentionDays: 1 }), command);
    const [read] = await claims(order.orderId);
    expect(read).toMatchObject({ notificationId: expect.any(String), template: 'order_confirmed', status: 'sent', messageId: 'm-old', sentAt: new Date(twoDaysAgo).toISOString(), bodyExpired: true });
    for (const gone of ['to', 'subject', 'body'] as const) expect(read).not.toHaveProperty(gone);
    expect(await notifyCustomer(notifier(movableClock(Date.now()), async (m) => (mail.push(m), { messageId: 'm-new' })), command)).toEqual({ sent: 0, skipped: 1 });
    expect(mail).toHaveLength(1);
  });

  it('defaults to 90 days', () => {
    expect(DEFAULT_BODY_RETENTION_DAYS).toBe(90);
  });

  it('still reads claims written before bodies had their own item (body on the claim)', async () => {
    const order = await world.order([{ sku: `N-${newId()}`, quantity: 1 }], { customer: { name: 'Flo', email: 'flo@example.com' } });
    const old: Notification = {
      notificationId: newId(),
      orderId: order.orderId,
      template: 'shipped',
      channel: 'email',
      about: 'shp-old',
      to: 'flo@example.com',
      subject: 'Shipped',
      body: 'Hello Flo',
      status: 'sent',
      attempts: 1,
      createdAt: new Date().toISOString(),
    };
    await db.send(new PutCommand({ TableName: tableName, Item: { ...keys.notification(order.orderId, 'shipped', 'shp-old', 'email'), entity: 'Notification', ...old } }));
    expect(await claims(order.orderId)).toEqual([old]);
  });
});
