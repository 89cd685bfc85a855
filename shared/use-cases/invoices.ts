import { InvoiceIssued } from '#events/invoice-issued.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { InvoiceId, invoiceBody, renderInvoiceHtml, renderInvoicesHtml, type Invoice } from '#shared/domain/invoice.ts';
import { formatMoney } from '#shared/domain/money.ts';
import type { RuleSet } from '#shared/domain/routing.ts';
import type { InvoiceRepository, OrderRepository } from '#shared/ports.ts';
import { actorOf, type Actor } from './actor.ts';
import { getOrder } from './orders.ts';

export interface InvoiceDeps {
  orders: Pick<OrderRepository, 'get'>;
  invoices: InvoiceRepository;
  ruleSetFor(channelId: string): Promise<RuleSet>;
  clock: Clock;
  sellerName: string;
}

/**
 * Workflow step on ShipmentShipped. Per shipment (default): an invoice for
 * the shipped units, the first one of the order also carrying shipping. Per
 * order: one invoice once the order has fully shipped. Exactly once per
 * subject, numbered gap-free.
 */
export async function issueInvoice(
  deps: InvoiceDeps,
  command: { orderId: string; shipmentId: string; lines: { sku: string; quantity: number }[]; orderStatus: string } & Actor,
): Promise<{ outcome: 'issued' | 'exists' | 'skipped'; invoiceId?: string; reason?: string }> {
  const order = await deps.orders.get(command.orderId);
  if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
  const { invoicing } = await deps.ruleSetFor(order.channel.channelId);
  const perOrder = invoicing.per === 'order';
  if (perOrder && command.orderStatus !== 'shipped') return { outcome: 'skipped', reason: 'invoiced per order: waiting for the last shipment' };
  const subject = perOrder ? 'order' : command.shipmentId;
  const earlier = await deps.invoices.forOrder(order.orderId);
  const before = new Map<string, number>();
  for (const invoice of earlier) for (const line of invoice.lines) before.set(line.sku, (before.get(line.sku) ?? 0) + line.quantity);
  const units = new Map<string, number>();
  for (const line of perOrder ? order.lines : command.lines) units.set(line.sku, (units.get(line.sku) ?? 0) + line.quantity);
  const now = deps.clock.now();
  const at = now.toISOString();
  const body = invoiceBody(order, units, perOrder ? new Map() : before, earlier.length === 0);
  const { outcome, invoice } = await deps.invoices.issue(
    { ...body, series: invoicing.series, orderId: order.orderId, ...(perOrder ? {} : { shipmentId: command.shipmentId }), issuedAt: at },
    subject,
    {
      timeline: (issued) => [
        {
          at,
          type: 'invoice_issued',
          actor: command.actor,
          message: `Invoice ${issued.invoiceId} issued for ${perOrder ? 'the order' : `shipment ${command.shipmentId}`}: ${formatMoney(issued.totals.total, issued.currency)}.`,
          ...(command.correlationId ? { correlationId: command.correlationId } : {}),
          data: { invoiceId: issued.invoiceId },
        },
      ],
      events: (issued) => [
        InvoiceIssued.create(
          { invoiceId: issued.invoiceId, series: issued.series, number: issued.number, orderId: issued.orderId, ...(issued.shipmentId ? { shipmentId: issued.shipmentId } : {}), total: issued.totals.total, currency: issued.currency },
          { occurredAt: now, ...actorOf(command) },
        ),
      ],
    },
  );
  return { outcome, invoiceId: invoice.invoiceId };
}

export async function getInvoice(deps: Pick<InvoiceDeps, 'invoices'>, invoiceId: string): Promise<Invoice> {
  const invoice = InvoiceId.safeParse(invoiceId).success ? await deps.invoices.get(invoiceId) : undefined;
  if (!invoice) throw new NotFoundError(`Invoice ${invoiceId} does not exist`);
  return invoice;
}

export async function invoiceDocument(deps: Pick<InvoiceDeps, 'invoices' | 'sellerName'>, invoiceId: string): Promise<string> {
  return renderInvoiceHtml(await getInvoice(deps, invoiceId), { name: deps.sellerName });
}

/** `GET /v1/invoices?orderId=`: the order's invoices, by number (404 when there is no such order). */
export async function invoicesOfOrder(deps: Pick<InvoiceDeps, 'invoices' | 'orders'>, orderId: string): Promise<Invoice[]> {
  await getOrder(deps, orderId);
  return deps.invoices.forOrder(orderId);
}

/** The same with `Accept: text/html`: every invoice of the order in one printable document. */
export async function invoicesDocument(deps: Pick<InvoiceDeps, 'invoices' | 'orders' | 'sellerName'>, orderId: string): Promise<string> {
  const order = await getOrder(deps, orderId);
  return renderInvoicesHtml({ orderId, reference: order.channel.externalNumber ?? orderId }, await deps.invoices.forOrder(orderId), { name: deps.sellerName });
}

