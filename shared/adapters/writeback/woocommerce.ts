import * as z from 'zod';
import { WooChannelSettings, type Channel, type ChannelSecrets } from '#shared/domain/channel.ts';
import { WritebackError, type CancellationAction, type ChannelAction, type ChannelReceipt, type RefundAction, type ShipmentAction } from '#shared/domain/channel-writeback.ts';
import { parseDecimal } from '#shared/domain/money.ts';
import type { ChannelWriter } from '#shared/ports.ts';
import { requestJson, type RateLimiter } from '../http-client.ts';
import { SINGLE_ATTEMPT, WRITEBACK_RETRY, actionMarker, call, decimal, limiterFor, secret } from './common.ts';

/**
 * WooCommerce REST v3 with the store's consumer key and secret (Basic auth
 * over HTTPS). Core WooCommerce has no tracking fields, so a shipment is a
 * customer note (carrier, tracking number, link) and, once everything
 * shipped, the status `completed`; a whole-order cancellation is the status
 * `cancelled` (after refunding what the channel took); refunds and cancelled
 * lines are order refunds. Nothing here is idempotent at WooCommerce, so each
 * write first reads what the order already has (its notes, status, refunds).
 */

const Note = z.object({ id: z.number(), note: z.string() });
const WooOrder = z.object({
  id: z.number(),
  status: z.string(),
  total: z.string(),
  line_items: z.array(z.object({ id: z.number(), taxes: z.array(z.object({ id: z.number() })).default([]) })).default([]),
  refunds: z.array(z.object({ id: z.number(), reason: z.string().nullish(), total: z.string() })).default([]),
});
type WooOrder = z.infer<typeof WooOrder>;
const Created = z.object({ id: z.number() });

export class WooWriter implements ChannelWriter {
  readonly #base: string;
  readonly #auth: string;
  readonly #limiter: RateLimiter;

  constructor(channel: Channel, secrets: ChannelSecrets) {
    const settings = WooChannelSettings.parse(channel.settings);
    this.#base = `${settings.storeUrl.replace(/\/$/, '')}/wp-json/wc/v3`;
    const purpose = 'tell WooCommerce about shipments, cancellations and refunds';
    this.#auth = `Basic ${Buffer.from(`${secret(secrets, 'consumerKey', channel, purpose)}:${secret(secrets, 'consumerSecret', channel, purpose)}`).toString('base64')}`;
    // Core WooCommerce publishes no limit; stay gentle with a shop's PHP workers.
    this.#limiter = limiterFor(`woo|${settings.storeUrl}`, 5, 10);
  }

  send(action: ChannelAction): Promise<ChannelReceipt> {
    switch (action.kind) {
      case 'shipment':
        return this.#ship(action);
      case 'cancellation':
        return action.lines ? this.#refundLines(action) : this.#cancel(action);
      case 'refund':
        return this.#refund(action);
    }
  }

  async #ship(action: ShipmentAction): Promise<ChannelReceipt> {
    const id = this.#orderPath(action);
    const notes = z.array(Note).parse(await this.#request('GET', `${id}/notes`, 'the order notes'));
    let note = notes.find((n) => n.note.includes(action.trackingNumber));
    if (!note) {
      const text = `Shipped with ${action.carrier.name}, tracking ${action.trackingNumber}${action.trackingUrl ? `: ${action.trackingUrl}` : ''}`;
      note = Note.parse(await this.#request('POST', `${id}/notes`, 'the shipment note', { note: text, customer_note: true }));
    }
    if (action.completesOrder) {
      const order = await this.#order(action);
      if (order.status !== 'completed') await this.#request('PUT', id, 'the status completed', { status: 'completed' });
    }
    return { reference: `note:${note.id}` };
  }

  async #cancel(action: CancellationAction): Promise<ChannelReceipt> {
    const order = await this.#order(action);
    if (order.status === 'cancelled') return { note: `WooCommerce order ${order.id} was already cancelled` };
    const currency = action.order.currency;
    let refund: number | undefined;
    if (action.paidAtChannel) {
      // The order keeps the money when only its status changes: give back what is not refunded yet, through the gateway.
      const refunded = order.refunds.reduce((sum, r) => sum + Math.abs(parseDecimal(r.total, currency).amount), 0);
      const left = parseDecimal(order.total, currency).amount - refunded;
      const marker = actionMarker(action.actionId);
      const done = order.refunds.find((r) => r.reason?.includes(marker));
      if (done) refund = done.id;
      else if (left > 0) {
        const created = Created.parse(
          await this.#request('POST', `${this.#orderPath(action)}/refunds`, 'the cancellation refund', {
            amount: decimal(left, currency),
            reason: `Order cancelled (${action.reason})${action.note ? `: ${action.note}` : ''} ${marker}`,
            api_refund: true,
            api_restock: false,
          }, true),
        );
        refund = created.id;
      }
    }
    await this.#request('PUT', this.#orderPath(action), 'the status cancelled', { status: 'cancelled' });
    return refund === undefined ? {} : { reference: `refund:${refund}` };
  }

  /** Cancelled lines: a refund of 0 that takes their units off the order; the money comes as a RefundAction of its own. */
  #refundLines(action: CancellationAction): Promise<ChannelReceipt> {
    return this.#createRefund(action, {
      amount: 0,
      paidAtChannel: false,
      reason: `Lines cancelled (${action.reason})${action.note ? `: ${action.note}` : ''}`,
      lines: (action.lines ?? []).map((l) => ({ ...l, amount: 0, tax: 0 })),
    });
  }

  #refund(action: RefundAction): Promise<ChannelReceipt> {
    return this.#createRefund(action, {
      amount: action.amount,
      paidAtChannel: action.paidAtChannel !== false,
      reason: `Refund ${action.refundId} (${action.reason})${action.note ? `: ${action.note}` : ''}`,
      lines: action.lines,
    });
  }

  async #createRefund(
    action: CancellationAction | RefundAction,
    refund: { amount: number; paidAtChannel: boolean; reason: string; lines: RefundAction['lines'] },
  ): Promise<ChannelReceipt> {
    const order = await this.#order(action);
    const marker = actionMarker(action.actionId);
    const done = order.refunds.find((r) => r.reason?.includes(marker));
    if (done) return { reference: `refund:${done.id}`, note: `WooCommerce already has refund ${done.id} for ${action.actionId}` };
    const currency = action.order.currency;
    // WooCommerce answers a refund beyond the order's total with a 500: refuse it here, for good.
    const left = parseDecimal(order.total, currency).amount - order.refunds.reduce((sum, r) => sum + Math.abs(parseDecimal(r.total, currency).amount), 0);
    if (refund.amount > left) {
      throw new WritebackError(`WooCommerce order ${order.id} has ${decimal(Math.max(0, left), currency)} ${currency} left to refund; the refund is ${decimal(refund.amount, currency)} ${currency}`, false);
    }
    const lineItems = refund.lines.map((line) => {
      const taxId = order.line_items.find((l) => String(l.id) === line.lineId)?.taxes[0]?.id;
      return {
        id: Number(line.lineId),
        quantity: line.quantity,
        refund_total: Number(decimal(line.amount - line.tax, currency)),
        refund_tax: taxId === undefined || line.tax === 0 ? [] : [{ id: taxId, refund_total: Number(decimal(line.tax, currency)) }],
      };
    });
    const created = Created.parse(
      await this.#request(
        'POST',
        `${this.#orderPath(action)}/refunds`,
        'the refund',
        {
          amount: decimal(refund.amount, currency),
          reason: `${refund.reason} ${marker}`,
          api_refund: refund.paidAtChannel,
          api_restock: false,
          line_items: lineItems,
        },
        true,
      ),
    );
    return { reference: `refund:${created.id}` };
  }

  async #order(action: ChannelAction): Promise<WooOrder> {
    return WooOrder.parse(await this.#request('GET', this.#orderPath(action), 'the order'));
  }

  #orderPath(action: ChannelAction): string {
    return `/orders/${encodeURIComponent(action.order.externalOrderId)}`;
  }

  /** `once`: a call that creates money movements (a refund) is not retried in-call; the next try reads the order's refunds first. */
  #request(method: string, path: string, what: string, body?: unknown, once = false): Promise<unknown> {
    return call('WooCommerce', what, () =>
      requestJson(
        `${this.#base}${path}`,
        {
          method,
          headers: { authorization: this.#auth, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        },
        { what: `WooCommerce ${what}`, limiter: this.#limiter, retry: once ? SINGLE_ATTEMPT : WRITEBACK_RETRY },
      ),
    );
  }
}
