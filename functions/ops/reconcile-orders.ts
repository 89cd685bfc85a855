import * as z from 'zod';
import { captureDeadLetters, fulfillmentDeps, inboxRepository, invoiceDeps, invoiceRepository, orderRepository, paymentDeps, reconcileRepository, reservationDeps, ruleSetFor } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { logger } from '#shared/observability/powertools.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { captureDelivery } from '#shared/use-cases/capture-delivery.ts';
import { createFulfillments } from '#shared/use-cases/fulfillment.ts';
import { issueInvoice } from '#shared/use-cases/invoices.ts';
import { cancelUnpaidOrder, capturePayment, confirmPayment } from '#shared/use-cases/payments.ts';
import { reconcileOrders, reconcileSettingsFrom, type ReconcileDeps } from '#shared/use-cases/reconcile.ts';
import { reserveOrder } from '#shared/use-cases/reservations.ts';

const deps: ReconcileDeps = {
  settings: reconcileSettingsFrom(process.env),
  orders: orderRepository(),
  reconcile: reconcileRepository(),
  invoices: invoiceRepository(),
  ruleSetFor: ruleSetFor(),
  deadLetters: captureDeadLetters(),
  clock: systemClock,
  steps: {
    capture: (key) => captureDelivery({ inbox: inboxRepository(), orders: orderRepository(), clock: systemClock }, key),
    reserve: (command) => reserveOrder(reservationDeps(), command),
    confirmPayment: (command) => confirmPayment(paymentDeps(), command),
    cancelUnpaidOrder: (command) => cancelUnpaidOrder(paymentDeps(), command),
    createFulfillments: (command) => createFulfillments(fulfillmentDeps(), command),
    capturePayment: (command) => capturePayment(paymentDeps(), command),
    issueInvoice: (command) => issueInvoice(invoiceDeps(), command),
  },
};

/**
 * Scheduled every 5 minutes (infra/topology/schedules.ts): deliveries whose
 * capture dead-lettered are captured again; orders stuck received, reserved, or shipped without an invoice are driven on by the step
 * that should have moved them (shared/use-cases/reconcile.ts).
 */
export const handler = taskHandler(z.object({ job: z.literal('reconcile-orders') }), async () => {
  const report = await reconcileOrders(deps);
  if (report.recovered.length > 0 || report.failed.length > 0) logger.warn('Reconciler drove stuck orders on', { recovered: report.recovered, failed: report.failed });
  // Stuck, and the step re-run could not move them (each with what it answered): what a person must look at.
  if (report.unchanged.length > 0) logger.warn('Reconciler found orders it could not move', { unchanged: report.unchanged.slice(0, 50), count: report.unchanged.length });
  return report;
});
