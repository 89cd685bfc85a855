import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { PaymentRequestError, SandboxPaymentProvider } from '#shared/adapters/sandbox-payments.ts';
import { fixedClock } from '#shared/domain/clock.ts';
import { newId } from '#shared/domain/ids.ts';
import { invoiceBody } from '#shared/domain/invoice.ts';
import { NotificationSendInProgressError, type Notification } from '#shared/domain/notification.ts';
import type { Order } from '#shared/domain/order.ts';
import { DynamoInvoiceRepository } from '#shared/store/invoice-repository.ts';
import { keys } from '#shared/store/keys.ts';
import { DynamoNotificationRepository } from '#shared/store/notification-repository.ts';
import { DynamoOrderRepository } from '#shared/store/order-repository.ts';
import { DynamoFulfillmentRepository } from '#shared/store/fulfillment-repository.ts';
import type { MailMessage } from '#shared/ports.ts';
import { notifyCustomer } from '#shared/use-cases/notifications.ts';
import { cancelOverdueBackorders, reserveOrder } from '#shared/use-cases/reservations.ts';
import { RuleSetInput, type RuleSet } from '#shared/domain/routing.ts';
import { DEFAULT_POLICY } from '#shared/domain/inventory.ts';
import { capturePayment } from '#shared/use-cases/payments.ts';
import { issueInvoice } from '#shared/use-cases/invoices.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { inventoryWorld } from '../support/inventory.ts';
import { allItems, useTestTable } from '../support/table.ts';
import { must } from '../support/fixtures.ts';

/** The money, paperwork and messages of fulfillment against DynamoDB Local: the parts that must hold under concurrency. */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof inventoryWorld>;
let parcels: ReturnType<typeof fulfillmentWorld>;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = inventoryWorld(db, tableName);
  parcels = fulfillmentWorld(db, tableName);
});

async function storedOrder(lines = [{ sku: 'INV-1', quantity: 2 }]): Promise<Order> {
  return world.order(lines);
}

describe('invoice numbers', () => {
  it('are gap-free and unique per series when 40 invoices are issued at once, and each subject gets exactly one', async () => {
    const invoices = new DynamoInvoiceRepository(db, tableName);
    const orders = await Promise.all(Array.from({ length: 20 }, () => storedOrder()));
    const issue = (order: Order, subject: string) =>
      invoices.issue({ ...invoiceBody(order, new Map([['INV-1', 2]]), new Map(), true), series: 'CONC', orderId: order.orderId, issuedAt: new Date().toISOString() }, subject, {
        timeline: () => [],
        events: () => [],
      });
    // Every order's invoice is asked for twice at the same moment (a retried workflow step).
    const results = await Promise.all(orders.flatMap((order) => [issue(order, 'order'), issue(order, 'order')]));
    expect(results.filter((r) => r.outcome === 'issued')).toHaveLength(20);
    const numbers = results.filter((r) => r.outcome === 'issued').map((r) => r.invoice.number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const order of orders) {
      const pair = results.filter((r) => r.invoice.orderId === order.orderId);
      expect(new Set(pair.map((r) => r.invoice.invoiceId)).size).toBe(1);
      expect(await invoices.forOrder(order.orderId)).toHaveLength(1);
    }
    const stored = (await allItems(db, tableName)).filter((item) => item['entity'] === 'Invoice' && item['series'] === 'CONC');
    expect(stored).toHaveLength(20);
    // Another series counts on its own.
    const other = await invoices.issue({ ...invoiceBody(must(orders[0]), new Map([['INV-1', 2]]), new Map(), true), series: 'OTHER', orderId: must(orders[0]).orderId, issuedAt: new Date().toISOString() }, 'x', {
      timeline: () => [],
      events: () => [],
    });
    expect(other.invoice.invoiceId).toBe('OTHER-000001');
  });
});

describe('customer notifications', () => {
  it('send one message per template, what it is about and channel, however many deliveries race, and retry a failed send', async () => {
    const order = await world.order([{ sku: 'N-1', quantity: 1 }], { customer: { name: 'Ada', email: 'ada@example.com', phone: '+16175550100', smsConsent: true } });
    const mail: MailMessage[] = [];
    const texts: string[] = [];
    let failNext = false;
    const deps = {
      orders: new DynamoOrderRepository(db, tableName),
      fulfillments: new DynamoFulfillmentRepository(db, tableName),
      notifications: new DynamoNotificationRepository(db, tableName),
      mailer: {
        send: async (message: MailMessage) => {
          if (failNext) {
            failNext = false;
            throw new Error('SES throttled');
          }
          mail.push(message);
          return { messageId: `m-${mail.length}` };
        },
      },
      sms: { send: async (message: { text: string }) => (texts.push(message.text), { messageId: `s-${texts.length}` }) },
      clock: fixedClock(new Date()),
    };
    const send = () => notifyCustomer(deps, { orderId: order.orderId, template: 'order_confirmed', about: order.orderId, actor: 'test' });
    // Deliveries that find a message claimed by a racing sender throw (retried by the platform), never send it: one e-mail, one SMS.
    const results = await Promise.allSettled(Array.from({ length: 12 }, send));
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(NotificationSendInProgressError);
    expect(mail).toHaveLength(1);
    expect(texts).toHaveLength(1);
    // Their retries, once the sender finished, send nothing.
    expect(await send()).toEqual({ sent: 0, skipped: 2 });

    failNext = true;
    await expect(notifyCustomer(deps, { orderId: order.orderId, template: 'cancelled', about: order.orderId, actor: 'test' })).rejects.toThrow('SES throttled');
    const failed = (await deps.notifications.forOrder(order.orderId)).find((n: Notification) => n.template === 'cancelled' && n.channel === 'email');
    expect(failed).toMatchObject({ status: 'failed', error: 'SES throttled' });
    await notifyCustomer(deps, { orderId: order.orderId, template: 'cancelled', about: order.orderId, actor: 'test' });
    expect(mail.map((m) => m.subject)).toEqual([expect.stringContaining('confirmed'), expect.stringContaining('cancelled')]);
    expect((await deps.notifications.forOrder(order.orderId)).map((n) => `${n.template}/${n.channel}/${n.status}`).sort()).toEqual([
      'cancelled/email/sent',
      'cancelled/sms/sent',
      'order_confirmed/email/sent',
      'order_confirmed/sms/sent',
    ]);
  });

  it('hold the e-mail\'s subject line in `subject` and what caused the message in `about`', async () => {
    const order = await world.order([{ sku: 'N-2', quantity: 1 }], { customer: { name: 'Ada', email: 'ada@example.com', phone: '+16175550100', smsConsent: true } });
    const { mail, deps } = recordingNotifier();
    await notifyCustomer(deps, { orderId: order.orderId, template: 'order_confirmed', about: order.orderId, actor: 'test' });
    const ref = order.channel.externalNumber ?? order.orderId;
    const sent = await deps.notifications.forOrder(order.orderId);
    expect(sent.find((n) => n.channel === 'email')).toMatchObject({ about: order.orderId, subject: `Order ${ref} confirmed`, to: 'ada@example.com' });
    expect(mail.map((m) => m.subject)).toEqual([`Order ${ref} confirmed`]);
    const sms = must(sent.find((n) => n.channel === 'sms'));
    expect(sms.about).toBe(order.orderId);
    expect(sms).not.toHaveProperty('subject');
    expect(sms).not.toHaveProperty('title');
  });

  it('read messages stored before `about` existed, and never send them again', async () => {
    const order = await world.order([{ sku: 'N-3', quantity: 1 }], { customer: { name: 'Ada', email: 'ada@example.com' } });
    const ref = order.channel.externalNumber ?? order.orderId;
    // As the notification repository wrote it: `subject` held what it is about, `title` the subject line.
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...keys.notification(order.orderId, 'order_confirmed', order.orderId, 'email'),
          entity: 'Notification',
          notificationId: newId(),
          orderId: order.orderId,
          template: 'order_confirmed',
          channel: 'email',
          subject: order.orderId,
          to: 'ada@example.com',
          title: `Order ${ref} confirmed`,
          body: 'Hello Ada,',
          status: 'sent',
          messageId: 'ses-old',
          attempts: 1,
          createdAt: '2026-11-01T10:00:00.000Z',
          sentAt: '2026-11-01T10:00:01.000Z',
        },
      }),
    );
    const { mail, deps } = recordingNotifier();
    expect(await deps.notifications.forOrder(order.orderId)).toEqual([
      expect.objectContaining({ about: order.orderId, subject: `Order ${ref} confirmed`, messageId: 'ses-old', status: 'sent' }),
    ]);
    expect(await notifyCustomer(deps, { orderId: order.orderId, template: 'order_confirmed', about: order.orderId, actor: 'test' })).toEqual({ sent: 0, skipped: 1 });
    expect(mail).toEqual([]);
  });
});

describe('money in the timeline', () => {
  it('is written as money in the order\'s currency (€12.50), not as minor units, when a payment is authorized and captured and an invoice issued', async () => {
    const { order, parcel } = await parcels.shippedParcel({
      channel: { channelId: 'web', channelType: 'web', externalOrderId: newId() },
      currency: 'EUR',
      payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
    });
    const euros = (minor: number) => `€${(minor / 100).toFixed(2)}`;
    const captured = await capturePayment(parcels.deps, { orderId: order.orderId, shipmentId: parcel.fulfillmentId, lines: parcel.lines, actor: 'test' });
    const issued = await issueInvoice(parcels.deps, { orderId: order.orderId, shipmentId: parcel.fulfillmentId, lines: parcel.lines, orderStatus: 'shipped', actor: 'test' });
    const invoice = must(await parcels.invoices.get(must(issued.invoiceId)));
    const said = Object.fromEntries((await parcels.orders.timeline(order.orderId, { limit: 100 })).items.map((e) => [e.type, e.message]));
    expect(order.totals.total).toBeLessThan(100_000);
    expect(said['payment_confirmed']).toBe(`Payment of ${euros(order.totals.total)} authorized by sandbox (${String((await parcels.fulfillments.payment(order.orderId))?.authorizationId)}); captured as it ships.`);
    expect(said['payment_captured']).toBe(
      `Captured ${euros(must(captured.amount))} for shipment ${parcel.fulfillmentId}; ${euros(must(captured.amount))} of ${euros(order.totals.total)} captured.`,
    );
    expect(said['invoice_issued']).toBe(`Invoice ${invoice.invoiceId} issued for shipment ${parcel.fulfillmentId}: ${euros(invoice.totals.total)}.`);
    expect(Object.values(said).join('\n')).not.toContain('minor units');
  });
});

describe('the sandbox payment provider', () => {
  it('declines by test method, replays an idempotency key, captures partially up to the authorization even when captures race, and refunds within a capture', async () => {
    const provider = new SandboxPaymentProvider(db, tableName);
    const declined = await provider.authorize({ amount: 1000, currency: 'USD', paymentMethod: 'pm_card_declined', reference: 'o1', idempotencyKey: newId() });
    expect(declined).toMatchObject({ status: 'declined', declineCode: 'card_declined' });
    expect(await provider.authorize({ amount: 1000, currency: 'USD', paymentMethod: 'pm_card_expired', reference: 'o1', idempotencyKey: newId() })).toMatchObject({ declineCode: 'expired_card' });

    const key = newId();
    const auth = await provider.authorize({ amount: 1000, currency: 'USD', paymentMethod: 'pm_card_visa', reference: 'o2', idempotencyKey: key });
    const again = await provider.authorize({ amount: 1000, currency: 'USD', paymentMethod: 'pm_card_visa', reference: 'o2', idempotencyKey: key });
    expect(auth.status).toBe('authorized');
    expect(again).toEqual(auth);
    if (auth.status !== 'authorized') throw new Error('not authorized');

    // Ten captures of 150 race for an authorization of 1000: six fit, none beyond.
    const attempts = await Promise.allSettled(Array.from({ length: 10 }, () => provider.capture({ authorizationId: auth.authorizationId, amount: 150, idempotencyKey: newId() })));
    const ok = attempts.filter((a) => a.status === 'fulfilled');
    expect(ok).toHaveLength(6);
    for (const failure of attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected')) {
      expect(failure.reason).toBeInstanceOf(PaymentRequestError);
      expect((failure.reason as PaymentRequestError).code).toBe('amount_too_large');
    }
    const captureKey = newId();
    const last = await provider.capture({ authorizationId: auth.authorizationId, amount: 100, idempotencyKey: captureKey });
    expect(await provider.capture({ authorizationId: auth.authorizationId, amount: 100, idempotencyKey: captureKey })).toEqual(last);
    await expect(provider.capture({ authorizationId: auth.authorizationId, amount: 1, idempotencyKey: newId() })).rejects.toMatchObject({
      code: 'amount_too_large',
      message: 'Capturing $0.01 would exceed the authorized $10.00 (captured so far $10.00)',
    });
    await expect(provider.void({ authorizationId: auth.authorizationId, idempotencyKey: newId() })).rejects.toMatchObject({ code: 'already_captured' });

    await provider.refund({ captureId: last.captureId, amount: 60, idempotencyKey: newId() });
    await expect(provider.refund({ captureId: last.captureId, amount: 41, idempotencyKey: newId() })).rejects.toMatchObject({
      code: 'amount_too_large',
      message: 'Refunding $0.41 would exceed the captured $1.00 (refunded so far $0.60)',
    });
    await provider.refund({ captureId: last.captureId, amount: 40, idempotencyKey: newId() });

    const fresh = await provider.authorize({ amount: 500, currency: 'USD', paymentMethod: 'pm_card_mastercard', reference: 'o3', idempotencyKey: newId() });
    if (fresh.status !== 'authorized') throw new Error('not authorized');
    await provider.void({ authorizationId: fresh.authorizationId, idempotencyKey: newId() });
    await expect(provider.capture({ authorizationId: fresh.authorizationId, amount: 1, idempotencyKey: newId() })).rejects.toMatchObject({ code: 'authorization_voided' });
  });
});

describe('routing rules in the reservation', () => {
  it('holds an order for review when its rule says so, and cancels a backorder still short at its rule\'s deadline', async () => {
    await world.location('rr-east');
    await world.receive('RR-1', 'rr-east', 1);
    const holdRules = ruleSet({ rules: [{ ruleId: 'review', split: { policy: 'never' }, whenShort: { action: 'hold' } }] });
    const held = await world.order([{ sku: 'RR-1', quantity: 2 }]);
    expect(await reserveOrder({ ...world.deps, ruleSetFor: async () => holdRules }, { orderId: held.orderId, actor: 'test' })).toMatchObject({ outcome: 'held' });
    expect(await world.orders.get(held.orderId)).toMatchObject({ status: 'on_hold', hold: { reason: 'routing_review' } });
    expect((await world.inventory.stock('RR-1')).positions[0]).toMatchObject({ reserved: 0, available: 1 });

    await world.inventory.putPolicy('RR-1', { ...DEFAULT_POLICY, backorder: 'allowed' }, 0, 0);
    const deadlineRules = ruleSet({ rules: [{ ruleId: 'wait-a-day', whenShort: { action: 'cancel_after', hours: 24 } }] });
    const short = await world.order([{ sku: 'RR-1', quantity: 2 }]);
    expect(await reserveOrder({ ...world.deps, ruleSetFor: async () => deadlineRules }, { orderId: short.orderId, actor: 'test' })).toMatchObject({ outcome: 'backordered' });
    const reservation = must(await world.inventory.reservation(short.orderId), 'a reservation');
    expect(reservation).toMatchObject({ backordered: [{ sku: 'RR-1', quantity: 1 }], routing: { ruleId: 'wait-a-day', action: 'cancel_after' } });
    // Not yet due: nothing happens; a day later the order is cancelled.
    expect(await cancelOverdueBackorders(world.deps)).toEqual({ cancelled: [] });
    const tomorrow = fixedClock(new Date(Date.parse(must(reservation.cancelIfShortBy)) + 60_000));
    expect(await cancelOverdueBackorders({ ...world.deps, clock: tomorrow })).toEqual({ cancelled: [short.orderId] });
    expect(await world.orders.get(short.orderId)).toMatchObject({ status: 'cancelled' });
  });
});

function ruleSet(input: unknown): RuleSet {
  const at = new Date().toISOString();
  return { ...RuleSetInput.parse(input), ruleSetId: 'test', version: 1, createdAt: at, updatedAt: at };
}

/** Notification dependencies on this file's table whose mailer keeps what it sends. */
function recordingNotifier() {
  const mail: MailMessage[] = [];
  const deps = {
    orders: world.orders,
    fulfillments: new DynamoFulfillmentRepository(db, tableName),
    notifications: new DynamoNotificationRepository(db, tableName),
    mailer: { send: async (message: MailMessage) => (mail.push(message), { messageId: `m-${mail.length}` }) },
    sms: { send: async () => ({ messageId: 's-1' }) },
    clock: fixedClock(new Date()),
  };
  return { mail, deps };
}
