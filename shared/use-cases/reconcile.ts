import * as z from 'zod';
import { readConfig } from '#shared/config.ts';
import type { Clock } from '#shared/domain/clock.ts';
import type { OrderStatus, OrderSummary, TimelineEntry } from '#shared/domain/order.ts';
import type { RuleSet } from '#shared/domain/routing.ts';
import type { CaptureDeadLetters, InvoiceRepository, OrderRepository, ReconcileRepository, RecordedShipment } from '#shared/ports.ts';
import type { Actor } from './actor.ts';

/**
 * The idempotent steps the reconciler re-runs: the same use cases the event
 * rules and workflows run (reserveOrder; the fulfillOrder workflow's payment
 * and fulfillment steps; the completeShipment workflow's capture and invoice
 * steps; the capture queue's consumer). Each is keyed so that running it
 * again does nothing twice.
 */
export interface ReconcileSteps {
  /** Captures a stored channel delivery (by its inbox key) as the capture queue's consumer does. */
  capture(key: { PK: string; SK: string }): Promise<{ outcome: string; orderId?: string | undefined; deliveryId?: string | undefined }>;
  reserve(command: { orderId: string } & Actor): Promise<{ outcome: string; reason?: string }>;
  confirmPayment(command: { orderId: string } & Actor): Promise<{ outcome: 'confirmed' | 'declined' | 'skipped'; declineCode?: string; reason?: string }>;
  cancelUnpaidOrder(command: { orderId: string; declineCode?: string | undefined } & Actor): Promise<unknown>;
  createFulfillments(command: { orderId: string } & Actor): Promise<{ outcome: 'created' | 'skipped'; fulfillments: string[]; reason?: string }>;
  capturePayment(command: { orderId: string; shipmentId: string; lines: { sku: string; quantity: number }[] } & Actor): Promise<{ outcome: 'captured' | 'skipped'; amount?: number; reason?: string }>;
  issueInvoice(
    command: { orderId: string; shipmentId: string; lines: { sku: string; quantity: number }[]; orderStatus: string } & Actor,
  ): Promise<{ outcome: 'issued' | 'exists' | 'skipped'; invoiceId?: string; reason?: string }>;
}

export interface ReconcileSettings {
  /** An order still `received` this long after its last change was never reserved. */
  receivedMinutes: number;
  /** An order still `reserved` (not held) this long after its last change was never handed to a location. */
  reservedMinutes: number;
  /** A shipment this old without its invoice was never invoiced. */
  uninvoicedMinutes: number;
  /** Orders placed this many days back are looked at (the status list index, by month of placement). */
  orderLookbackDays: number;
  /** Shipments shipped this many hours back are looked at (the shipped-by-hour index). */
  shipmentLookbackHours: number;
  /** At most this many orders per status per run (the next run takes the rest). */
  maxOrdersPerStatus: number;
  /** At most this many dead-lettered deliveries captured again per run. */
  maxDeadLetters: number;
}

export const defaultReconcileSettings: ReconcileSettings = {
  receivedMinutes: 15,
  reservedMinutes: 15,
  uninvoicedMinutes: 30,
  orderLookbackDays: 35,
  shipmentLookbackHours: 24,
  maxOrdersPerStatus: 500,
  maxDeadLetters: 200,
};

export interface ReconcileDeps {
  orders: Pick<OrderRepository, 'get' | 'list'>;
  reconcile: ReconcileRepository;
  invoices: Pick<InvoiceRepository, 'issuedFor'>;
  ruleSetFor(channelId: string): Promise<RuleSet>;
  steps: ReconcileSteps;
  /** The capture queue's dead-letter queue; without it (no queue configured) that part is skipped. */
  deadLetters?: CaptureDeadLetters | undefined;
  clock: Clock;
  settings?: Partial<ReconcileSettings> | undefined;
}

export interface Recovery {
  /** The order (absent for a dead-lettered delivery that never became one). */
  orderId: string;
  stuck: 'uncaptured' | 'received' | 'reserved' | 'uninvoiced';
  /** What re-running the step did. */
  outcome: string;
  shipmentId?: string;
  /** For `uncaptured`: the channel's delivery id. */
  deliveryId?: string;
}

export interface ReconcileReport {
  examined: { deadLetters: number; received: number; reserved: number; shipments: number };
  recovered: Recovery[];
  /** Still stuck after the step ran (it had nothing it could do: e.g. payment voided); looked at again next run. */
  unchanged: Recovery[];
  /** Steps that threw (the next run tries again); the error message of each. */
  failed: (Recovery & { error: string })[];
}

const ACTOR = 'reconciler';

/**
 * Scheduled every 5 minutes: first captures again the channel deliveries the
 * OMS acknowledged but whose capture failed every receive (the capture
 * queue's dead-letter queue), then finds orders stuck in a state longer than
 * they should be — received but never reserved, reserved but never handed to a
 * location, shipped but never invoiced — and drives each on by re-running the
 * idempotent step that should have moved it, writing a `recovered` entry on
 * the order's timeline for what it found and what it did. Reads are bounded:
 * the status list index by month of placement (orders in `received` or
 * `reserved` are few: they normally leave within seconds) and the shipments
 * by the hour they shipped. Never a scan. Running it again changes nothing
 * more: a recovered order is no longer stuck.
 */
export async function reconcileOrders(deps: ReconcileDeps): Promise<ReconcileReport> {
  const settings = { ...defaultReconcileSettings, ...deps.settings };
  const now = deps.clock.now();
  const report: ReconcileReport = { examined: { deadLetters: 0, received: 0, reserved: 0, shipments: 0 }, recovered: [], unchanged: [], failed: [] };
  const lookbackFrom = new Date(now.getTime() - settings.orderLookbackDays * 86_400_000).toISOString();

  const run = async (found: Omit<Recovery, 'outcome'>, step: () => Promise<{ outcome: string; done: boolean; message: string }>) => {
    try {
      const result = await step();
      const recovery: Recovery = { ...found, outcome: result.outcome };
      if (!result.done) {
        report.unchanged.push(recovery);
        return;
      }
      report.recovered.push(recovery);
      const entry: TimelineEntry = {
        at: deps.clock.now().toISOString(),
        type: 'recovered',
        actor: ACTOR,
        message: result.message,
        data: { stuck: found.stuck, outcome: result.outcome, ...(found.shipmentId ? { shipmentId: found.shipmentId } : {}) },
      };
      await deps.reconcile.recordRecovery(found.orderId, entry);
    } catch (error) {
      report.failed.push({ ...found, outcome: 'failed', error: error instanceof Error ? error.message : String(error) });
    }
  };

  // Acknowledged but never captured: the capture queue gave up on the delivery (its dead-letter queue).
  if (deps.deadLetters) await recapture(deps, deps.deadLetters, settings.maxDeadLetters, report);

  // Received but never reserved (the OrderReceived delivery or reserveOrder failed for good).
  for (const order of await stuckOrders(deps, 'received', lookbackFrom, minutesBefore(now, settings.receivedMinutes), settings.maxOrdersPerStatus)) {
    report.examined.received++;
    await run({ orderId: order.orderId, stuck: 'received' }, async () => {
      const result = await deps.steps.reserve({ orderId: order.orderId, actor: ACTOR });
      const done = result.outcome === 'reserved' || result.outcome === 'backordered' || result.outcome === 'held';
      return { outcome: result.outcome, done, message: `Found received and not reserved since ${order.updatedAt}: reservation run again (${result.outcome}).` };
    });
  }

  // Reserved but never handed to a location (the fulfillOrder execution failed or never started). Held orders wait for their release.
  for (const order of await stuckOrders(deps, 'reserved', lookbackFrom, minutesBefore(now, settings.reservedMinutes), settings.maxOrdersPerStatus)) {
    if (order.fulfillmentHold) continue;
    report.examined.reserved++;
    await run({ orderId: order.orderId, stuck: 'reserved' }, async () => {
      const payment = await deps.steps.confirmPayment({ orderId: order.orderId, actor: ACTOR });
      if (payment.outcome === 'declined') {
        await deps.steps.cancelUnpaidOrder({ orderId: order.orderId, declineCode: payment.declineCode, actor: ACTOR });
        return { outcome: 'cancelled_unpaid', done: true, message: `Found reserved and not handed to a location since ${order.updatedAt}: payment declined, order cancelled.` };
      }
      if (payment.outcome !== 'confirmed') return { outcome: `payment_${payment.outcome}`, done: false, message: '' };
      const created = await deps.steps.createFulfillments({ orderId: order.orderId, actor: ACTOR });
      return {
        outcome: created.outcome === 'created' ? 'fulfillments_created' : `fulfillments_${created.outcome}`,
        done: created.outcome === 'created',
        message: `Found reserved and not handed to a location since ${order.updatedAt}: payment confirmed, fulfillments ${created.fulfillments.join(', ')} created.`,
      };
    });
  }

  // Shipped but never invoiced (the completeShipment execution failed at capture or invoice).
  const shipments = await deps.reconcile.shippedBetween(
    new Date(now.getTime() - settings.shipmentLookbackHours * 3_600_000).toISOString(),
    minutesBefore(now, settings.uninvoicedMinutes),
  );
  for (const shipment of shipments) {
    report.examined.shipments++;
    const due = await invoiceDue(deps, shipment);
    if (!due) continue;
    await run({ orderId: shipment.orderId, stuck: 'uninvoiced', shipmentId: shipment.shipmentId }, async () => {
      const command = { orderId: shipment.orderId, shipmentId: shipment.shipmentId, lines: shipment.lines, actor: ACTOR };
      const capture = await deps.steps.capturePayment(command);
      const invoice = await deps.steps.issueInvoice({ ...command, orderStatus: due.orderStatus });
      return {
        outcome: `capture_${capture.outcome}:invoice_${invoice.outcome}`,
        done: invoice.outcome === 'issued' || capture.outcome === 'captured',
        message: `Found shipment ${shipment.shipmentId} shipped at ${shipment.shippedAt} without its invoice: capture ${capture.outcome}${capture.amount !== undefined ? ` (${capture.amount})` : ''}, invoice ${invoice.outcome}${invoice.invoiceId ? ` ${invoice.invoiceId}` : ''}.`,
      };
    });
  }
  return report;
}

/** Deliveries are hidden from other readers of the dead-letter queue while this run captures them. */
const DEAD_LETTER_HIDE_SECONDS = 300;
const DeliveryKey = z.object({ PK: z.string().min(1), SK: z.string().min(1) });

/**
 * Each dead-lettered capture message is captured again (capture is exactly
 * once: a delivery captured before it dead-lettered answers `duplicate`) and
 * removed; the order it created or updated gets a `recovered` entry. A
 * message that still fails stays in the dead-letter queue (alarmed) and comes
 * back to the next run; one whose delivery has left the inbox (a week) is
 * removed and reported, as there is nothing left to capture.
 */
async function recapture(deps: ReconcileDeps, deadLetters: CaptureDeadLetters, max: number, report: ReconcileReport): Promise<void> {
  for (const message of await deadLetters.receive(max, DEAD_LETTER_HIDE_SECONDS)) {
    report.examined.deadLetters++;
    let key: { PK: string; SK: string };
    try {
      key = DeliveryKey.parse(JSON.parse(message.body));
    } catch {
      report.failed.push({ orderId: '', stuck: 'uncaptured', outcome: 'failed', error: `Not a stored delivery's key: ${message.body.slice(0, 200)}` });
      continue;
    }
    try {
      const result = await deps.steps.capture(key);
      const found: Recovery = { orderId: result.orderId ?? '', stuck: 'uncaptured', outcome: result.outcome, ...(result.deliveryId ? { deliveryId: result.deliveryId } : {}) };
      if (result.orderId && result.outcome !== 'duplicate') {
        report.recovered.push(found);
        await deps.reconcile.recordRecovery(result.orderId, {
          at: deps.clock.now().toISOString(),
          type: 'recovered',
          actor: ACTOR,
          message: `Found channel delivery ${result.deliveryId ?? key.PK} acknowledged but never captured (its capture failed every retry): captured again (${result.outcome}).`,
          data: { stuck: 'uncaptured', outcome: result.outcome, ...(result.deliveryId ? { deliveryId: result.deliveryId } : {}) },
        });
      } else {
        // Captured before it dead-lettered (the failure came after the write), or gone from the inbox: nothing to do.
        report.unchanged.push(found);
      }
      await deadLetters.remove(message.receipt);
    } catch (error) {
      report.failed.push({ orderId: '', stuck: 'uncaptured', outcome: 'failed', error: error instanceof Error ? error.message : String(error) });
    }
  }
}

/** Orders in `status` placed since `from` whose last change is older than `changedBefore` (the status list index; bounded pages). */
async function stuckOrders(deps: ReconcileDeps, status: OrderStatus, from: string, changedBefore: string, max: number): Promise<OrderSummary[]> {
  const stuck: OrderSummary[] = [];
  let cursor: string | undefined;
  let read = 0;
  do {
    const page = await deps.orders.list({ status, from, to: changedBefore }, { limit: 100, ...(cursor ? { cursor } : {}) });
    read += page.items.length;
    // The list is by placement; the status may have been entered later: its last change decides.
    for (const order of page.items) if (order.status === status && order.updatedAt < changedBefore) stuck.push(order);
    cursor = page.nextCursor;
  } while (cursor && read < max);
  return stuck;
}

/** Whether the shipment should have an invoice by now, and the order status to issue it with; undefined when it has one (or none is due yet). */
async function invoiceDue(deps: ReconcileDeps, shipment: RecordedShipment): Promise<{ orderStatus: string } | undefined> {
  const order = await deps.orders.get(shipment.orderId);
  if (!order) return undefined;
  const { invoicing } = await deps.ruleSetFor(order.channel.channelId);
  if (invoicing.per === 'order') {
    // Invoiced once the order has fully shipped: not due while parcels are still to go.
    if (order.status !== 'shipped' && order.status !== 'delivered') return undefined;
    return (await deps.invoices.issuedFor(order.orderId, 'order')) ? undefined : { orderStatus: 'shipped' };
  }
  if (await deps.invoices.issuedFor(order.orderId, shipment.shipmentId)) return undefined;
  return { orderStatus: order.status === 'delivered' ? 'shipped' : order.status };
}

function minutesBefore(now: Date, minutes: number): string {
  return new Date(now.getTime() - minutes * 60_000).toISOString();
}

/**
 * The waits from configuration: RECONCILE_STUCK_AFTER_MINUTES (received or
 * reserved) and RECONCILE_UNINVOICED_AFTER_MINUTES (shipped without an
 * invoice), 1 to 1,440; unset keeps the defaults above. Shorter waits recover
 * sooner and race slow steps more often — harmless, every step the
 * reconciler re-runs is idempotent; the fault campaign uses a minute.
 */
export function reconcileSettingsFrom(env: Record<string, string | undefined>): Partial<ReconcileSettings> {
  const config = readConfig(
    {
      RECONCILE_STUCK_AFTER_MINUTES: z.coerce.number().int().min(1).max(24 * 60).optional(),
      RECONCILE_UNINVOICED_AFTER_MINUTES: z.coerce.number().int().min(1).max(24 * 60).optional(),
    },
    env,
  );
  return {
    ...(config.RECONCILE_STUCK_AFTER_MINUTES ? { receivedMinutes: config.RECONCILE_STUCK_AFTER_MINUTES, reservedMinutes: config.RECONCILE_STUCK_AFTER_MINUTES } : {}),
    ...(config.RECONCILE_UNINVOICED_AFTER_MINUTES ? { uninvoicedMinutes: config.RECONCILE_UNINVOICED_AFTER_MINUTES } : {}),
  };
}
