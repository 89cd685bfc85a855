import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '#shared/domain/clock.ts';
import { newId } from '#shared/domain/ids.ts';
import type { Order } from '#shared/domain/order.ts';
import type { MailMessage } from '#shared/ports.ts';
import { keys } from '#shared/store/keys.ts';
import { DynamoFulfillmentRepository } from '#shared/store/fulfillment-repository.ts';
import { DynamoMailFeedbackRepository } from '#shared/store/mail-feedback-repository.ts';
import { DynamoNotificationRepository } from '#shared/store/notification-repository.ts';
import { DynamoOrderRepository } from '#shared/store/order-repository.ts';
import { MailFeedbackRejected, recordMailFeedback } from '#shared/use-cases/mail-feedback.ts';
import { notifyCustomer } from '#shared/use-cases/notifications.ts';
import { apiEvent, call, lambdaContext } from '../support/api-events.ts';
import { inventoryWorld } from '../support/inventory.ts';
import { TEST_TOKEN, allItems, useTestTable } from '../support/table.ts';

/** SES bounces and complaints against DynamoDB Local: timeline, suppression, the next message suppressed, SNS redeliveries once. */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof inventoryWorld>;

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:oms-ses-feedback';
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/providers/${name}`, import.meta.url), 'utf8')) as Record<string, string>;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = inventoryWorld(db, tableName);
});

function notifier() {
  const mail: MailMessage[] = [];
  const feedback = new DynamoMailFeedbackRepository(db, tableName);
  const deps = {
    orders: new DynamoOrderRepository(db, tableName),
    fulfillments: new DynamoFulfillmentRepository(db, tableName),
    notifications: new DynamoNotificationRepository(db, tableName),
    mailer: { send: async (message: MailMessage) => (mail.push(message), { messageId: `0100-${randomUUID()}-000000` }) },
    sms: { send: async () => ({ messageId: 'sms-1' }) },
    clock: fixedClock(new Date('2026-11-28T10:00:00.000Z')),
    suppressions: feedback,
    messages: { sender: { sellerName: 'Fixture Goods', supportEmail: 'help@shop.example.com' }, defaultLocale: 'en' },
  };
  return { mail, deps, feedback: { feedback, clock: deps.clock, topicArn: TOPIC } };
}

/** The SNS notification SES publishes (fixture), about `messageId` sent to `email`, as the feedback queue receives it. */
function snsBody(file: 'ses-sns-bounce-notification.json' | 'ses-sns-complaint-notification.json', messageId: string, email: string, change: (m: Record<string, Record<string, unknown>>) => void = () => {}): string {
  const envelope = fixture(file);
  const message = JSON.parse(envelope['Message'] ?? '{}') as Record<string, Record<string, unknown>>;
  message['mail'] = { ...message['mail'], messageId, destination: [email] };
  if (message['bounce']) message['bounce'] = { ...message['bounce'], bouncedRecipients: [{ emailAddress: email, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }] };
  if (message['complaint']) message['complaint'] = { ...message['complaint'], complainedRecipients: [{ emailAddress: email }] };
  change(message);
  return JSON.stringify({ ...envelope, MessageId: randomUUID(), Message: JSON.stringify(message) });
}

async function sentTo(deps: ReturnType<typeof notifier>['deps'], order: Order, template: 'order_confirmed' | 'cancelled') {
  await notifyCustomer(deps, { orderId: order.orderId, template, about: order.orderId, actor: 'test' });
  return (await deps.notifications.forOrder(order.orderId)).find((n) => n.template === template && n.channel === 'email');
}

const timeline = async (orderId: string) => (await new DynamoOrderRepository(db, tableName).timeline(orderId, { limit: 100 })).items;

describe('customer e-mails', () => {
  it('go out as HTML with a plain-text part, in the order\'s language, with the merchant\'s name and support address', async () => {
    const order = await world.order([{ sku: 'MF-1', quantity: 1 }], { customer: { name: 'Lena Muster', email: `lena-${newId()}@example.com`, locale: 'de-DE' } });
    const { mail, deps } = notifier();
    const stored = await sentTo(deps, order, 'order_confirmed');
    expect(mail).toHaveLength(1);
    expect(mail[0]?.subject).toBe(`Bestellung ${order.channel.externalNumber ?? order.orderId} bestätigt`);
    expect(mail[0]?.html).toContain('<html lang="de">');
    expect(mail[0]?.text).toContain('Hallo Lena,');
    expect(mail[0]?.text).toContain('Fixture Goods');
    expect(mail[0]?.text).toContain('help@shop.example.com');
    expect(stored).toMatchObject({ status: 'sent', locale: 'de', body: mail[0]?.text, messageId: expect.any(String) });
    // The SES message id leads back to the order and the message.
    expect(await deps.suppressions.sentMessage(String(stored?.messageId))).toEqual({ orderId: order.orderId, template: 'order_confirmed', notificationId: stored?.notificationId });
  });
});

describe('SES bounces and complaints', () => {
  it('a permanent bounce goes on the order\'s timeline and suppresses the address: the next message is recorded as suppressed, not sent', async () => {
    const email = `Gone-${newId()}@Example.com`;
    const order = await world.order([{ sku: 'MF-2', quantity: 1 }], { customer: { name: 'Ada', email } });
    const { mail, deps, feedback } = notifier();
    const first = await sentTo(deps, order, 'order_confirmed');
    const body = snsBody('ses-sns-bounce-notification.json', String(first?.messageId), email.toLowerCase());

    expect(await recordMailFeedback(feedback, body)).toEqual({ outcome: 'recorded', kind: 'bounce', orderId: order.orderId, suppressed: [email.toLowerCase()] });
    const entries = (await timeline(order.orderId)).filter((e) => e.type === 'email_bounced');
    expect(entries).toEqual([
      expect.objectContaining({
        actor: 'ses',
        message: `The order confirmed e-mail to ${email.toLowerCase()} bounced (Permanent/General): smtp; 550 5.1.1 user unknown. The address gets no more messages.`,
        data: expect.objectContaining({ recipient: email.toLowerCase(), type: 'Permanent', template: 'order_confirmed', suppressed: true }),
      }),
    ]);
    // Any case of the address is suppressed.
    expect(await deps.suppressions.suppression(email.toUpperCase())).toMatchObject({ email: email.toLowerCase(), reason: 'bounce', orderId: order.orderId });

    // SNS redelivers the same notification: recorded once.
    expect(await recordMailFeedback(feedback, body)).toEqual({ outcome: 'duplicate' });
    expect((await timeline(order.orderId)).filter((e) => e.type === 'email_bounced')).toHaveLength(1);

    const next = await sentTo(deps, order, 'cancelled');
    expect(mail).toHaveLength(1);
    expect(next).toMatchObject({ status: 'suppressed', error: expect.stringContaining('suppressed') });
    expect(next).not.toHaveProperty('messageId');
    // A redelivered event does not try again.
    expect(await notifyCustomer(deps, { orderId: order.orderId, template: 'cancelled', about: order.orderId, actor: 'test' })).toEqual({ sent: 0, skipped: 1 });
    expect(mail).toHaveLength(1);
  });

  it('a complaint suppresses the address too', async () => {
    const email = `annoyed-${newId()}@example.com`.toLowerCase();
    const order = await world.order([{ sku: 'MF-3', quantity: 1 }], { customer: { email } });
    const { mail, deps, feedback } = notifier();
    const first = await sentTo(deps, order, 'order_confirmed');
    expect(await recordMailFeedback(feedback, snsBody('ses-sns-complaint-notification.json', String(first?.messageId), email))).toMatchObject({ outcome: 'recorded', kind: 'complaint', suppressed: [email] });
    expect((await timeline(order.orderId)).find((e) => e.type === 'email_complaint')?.message).toBe(`The order confirmed e-mail to ${email} was reported as spam (abuse). The address gets no more messages.`);
    expect(await sentTo(deps, order, 'cancelled')).toMatchObject({ status: 'suppressed' });
    expect(mail).toHaveLength(1);
  });

  it('a transient bounce is only written on the timeline: later messages are still sent', async () => {
    const email = `full-${newId()}@example.com`;
    const order = await world.order([{ sku: 'MF-4', quantity: 1 }], { customer: { email } });
    const { mail, deps, feedback } = notifier();
    const first = await sentTo(deps, order, 'order_confirmed');
    const body = snsBody('ses-sns-bounce-notification.json', String(first?.messageId), email, (m) => {
      m['bounce'] = { ...m['bounce'], bounceType: 'Transient', bounceSubType: 'MailboxFull' };
    });
    expect(await recordMailFeedback(feedback, body)).toMatchObject({ outcome: 'recorded', suppressed: [] });
    expect((await timeline(order.orderId)).find((e) => e.type === 'email_bounced')?.message).toContain('bounced (Transient/MailboxFull)');
    expect(await deps.suppressions.suppression(email)).toBeUndefined();
    expect(await sentTo(deps, order, 'cancelled')).toMatchObject({ status: 'sent' });
    expect(mail).toHaveLength(2);
  });

  it('finds the order from the orderId tag of event publishing when the message id is unknown, and suppresses with no order at all', async () => {
    const order = await world.order([{ sku: 'MF-5', quantity: 1 }], { customer: { email: `x-${newId()}@example.com` } });
    const { feedback } = notifier();
    const tagged = snsBody('ses-sns-bounce-notification.json', `unknown-${newId()}`, `tagged-${newId()}@example.com`, (m) => {
      delete m['notificationType'];
      (m as Record<string, unknown>)['eventType'] = 'Bounce';
      m['mail'] = { ...m['mail'], tags: { orderId: [order.orderId], template: ['shipped'] } };
    });
    expect(await recordMailFeedback(feedback, tagged)).toMatchObject({ outcome: 'recorded', orderId: order.orderId });
    expect((await timeline(order.orderId)).some((e) => e.type === 'email_bounced')).toBe(true);

    const stranger = `stranger-${newId()}@example.com`.toLowerCase();
    const orphan = await recordMailFeedback(feedback, snsBody('ses-sns-bounce-notification.json', `unknown-${newId()}`, stranger));
    expect(orphan).toEqual({ outcome: 'recorded', kind: 'bounce', suppressed: [stranger] });
    expect(await feedback.feedback.suppression(stranger)).toMatchObject({ reason: 'bounce' });
  });

  it('refuses a notification of another topic or a body that is not SES feedback, and writes nothing', async () => {
    const { feedback } = notifier();
    const before = (await allItems(db, tableName)).length;
    const email = `other-${newId()}@example.com`;
    const otherTopic = JSON.stringify({ ...JSON.parse(snsBody('ses-sns-bounce-notification.json', 'm-1', email)), TopicArn: 'arn:aws:sns:us-east-1:999999999999:someone-else' });
    await expect(recordMailFeedback(feedback, otherTopic)).rejects.toThrow(MailFeedbackRejected);
    await expect(recordMailFeedback(feedback, '{"Type":"Notification"}')).rejects.toThrow(MailFeedbackRejected);
    await expect(recordMailFeedback(feedback, JSON.stringify({ ...fixture('ses-sns-bounce-notification.json'), Message: '{"notificationType":"Bounce"}' }))).rejects.toThrow(MailFeedbackRejected);
    expect(await recordMailFeedback(feedback, JSON.stringify({ ...fixture('ses-sns-bounce-notification.json'), Message: JSON.stringify({ notificationType: 'Delivery', mail: { messageId: 'm' } }) }))).toMatchObject({ outcome: 'ignored' });
    expect((await allItems(db, tableName)).length).toBe(before);
  });
});

describe('handlers', () => {
  it('the feedback queue consumer records a bounce, and returns a body it cannot read as a batch failure (retried, then dead-lettered)', async () => {
    process.env['SES_FEEDBACK_TOPIC_ARN'] = TOPIC;
    const { handler } = await import('#functions/notifications/receive-ses-feedback.ts');
    const email = `queue-${newId()}@example.com`;
    const records = [
      { messageId: 'q-1', body: snsBody('ses-sns-bounce-notification.json', `unknown-${newId()}`, email) },
      { messageId: 'q-2', body: 'not json' },
    ];
    const result = await (handler as unknown as (event: unknown, context: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>)({ Records: records }, lambdaContext('receiveSesFeedback'));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'q-2' }]);
    expect(await new DynamoMailFeedbackRepository(db, tableName).suppression(email)).toMatchObject({ reason: 'bounce' });
  });

  it('the preview route answers 200 with the rendered template, 404 for an unknown type, 422 for a malformed locale and 401 without a token', async () => {
    const { handler } = await import('#functions/notifications/preview-template.ts');
    const preview = (type: string, query?: Record<string, string>, headers: Record<string, string> = { authorization: `Bearer ${TEST_TOKEN}` }) =>
      call(handler, apiEvent({ method: 'GET', path: `/v1/notifications/templates/${type}/preview`, routeKey: 'GET /v1/notifications/templates/{type}/preview', pathParameters: { type }, headers, ...(query ? { query } : {}) }));
    const ok = await preview('shipped', { locale: 'fr' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ locale: 'fr', subject: 'Commande #1001 expédiée', html: expect.stringContaining('<html lang="fr">'), text: expect.stringContaining('Suivre votre colis') });
    expect((await preview('shipped', { locale: 'pt-BR' })).body).toMatchObject({ locale: 'en', fallbackFrom: 'pt-BR' });
    const unknown = await preview('birthday');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'not_found' } });
    const bad = await preview('shipped', { locale: '<en>' });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ error: { details: [expect.objectContaining({ path: 'locale' })] } });
    expect((await preview('shipped', undefined, {})).status).toBe(401);
  });
});

describe('keys', () => {
  it('keep suppressions, sent mail and feedback records in their own partitions', () => {
    expect(keys.emailSuppression('A@Example.com')).toEqual(keys.emailSuppression('a@example.com'));
    expect(keys.emailSuppression('a@example.com').PK).toMatch(/^SUPPRESSED#/);
    expect(keys.sentMail('m-1').PK).toMatch(/^SESMAIL#/);
    expect(keys.mailFeedback('m-1').PK).toMatch(/^SESFEEDBACK#/);
  });
});
