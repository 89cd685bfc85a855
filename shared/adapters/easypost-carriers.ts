import * as z from 'zod';
import { addBusinessDays, type Rate } from '#shared/domain/shipping.ts';
import type { CarrierLabel } from '#shared/domain/fulfillment.ts';
import { parseDecimal } from '#shared/domain/money.ts';
import { easypostCarrierId } from '#shared/domain/easypost.ts';
import type { CarrierGateway, CarrierRecordRepository, LabelAddress, LabelRequest, RateRequest } from '#shared/ports.ts';
import { MarketplaceError, requestJson, type RetryPolicy } from './http-client.ts';

/**
 * EasyPost (REST /v2) behind the carrier port: one API key per EasyPost
 * account (HTTP Basic, the key as user name, empty password), JSON both ways.
 *
 * - rates: `POST /v2/shipments` with both addresses and the parcel (inches and
 *   ounces, see `easypostParcel`); every rate becomes an OMS Rate with the
 *   carrier id `easypost-<carrier>` (e.g. `easypost-usps`) and EasyPost's
 *   service name as the service level.
 * - labels: EasyPost has no idempotency header and a shipment is bought once,
 *   so the shipment is created with `reference` = the OMS idempotency key and
 *   filed under that key (CarrierRecordRepository); a retried label step finds
 *   it, re-reads it and returns its label when it was bought already, or buys
 *   the chosen rate of that same shipment (`POST …/{id}/buy {rate:{id}}`).
 *   A buy refused because another attempt bought it meanwhile re-reads too.
 * - return labels: `is_return: true` with the outbound addresses unchanged
 *   (EasyPost swaps them on the label).
 * - voids: `POST /v2/shipments/{id}/refund`.
 * 429 and 5xx are retried with back-off honouring Retry-After (requestJson).
 * The label document is fetched from EasyPost's file URL without credentials
 * (it is a plain file link: the API key never leaves for another host).
 */

export interface EasyPostOptions {
  apiKey: () => Promise<string>;
  /** Default https://api.easypost.com (tests point it at a loopback fake). */
  baseUrl?: string | undefined;
  /** The carrier accounts linked to the EasyPost account, as EasyPost names them (USPS, UPS, FedEx…): routing rules and return policies may name them. */
  carriers: readonly string[];
  records: CarrierRecordRepository;
  labelFormat?: 'ZPL' | 'PDF' | undefined;
  /** The box when the request names none (the OMS knows weights, not box sizes). */
  defaultParcelCm?: { length: number; width: number; height: number } | undefined;
  retry?: RetryPolicy | undefined;
}

export const EASYPOST_BASE_URL = 'https://api.easypost.com';
export const DEFAULT_PARCEL_CM = { length: 30, width: 20, height: 10 };

const GRAMS_PER_OUNCE = 28.349523125;
const CM_PER_INCH = 2.54;

/** Up to the next tenth: a parcel is never declared lighter or smaller than it is (carriers bill adjustments for that). */
function upToTenth(value: number): number {
  return Math.ceil(Math.round(value * 1e6) / 1e5) / 10;
}

/**
 * The OMS's grams and centimetres in EasyPost's ounces and inches, each
 * rounded up to a tenth (EasyPost takes one decimal): 453.6 g → 16.0 oz,
 * 454 g → 16.1 oz, 25.4 cm → 10.0 in, 20 cm → 7.9 in.
 */
export function easypostParcel(weightGrams: number, cm: { length: number; width: number; height: number }) {
  return {
    length: upToTenth(cm.length / CM_PER_INCH),
    width: upToTenth(cm.width / CM_PER_INCH),
    height: upToTenth(cm.height / CM_PER_INCH),
    weight: Math.max(0.1, upToTenth(weightGrams / GRAMS_PER_OUNCE)),
  };
}

const EasyPostRate = z.object({
  id: z.string(),
  carrier: z.string(),
  service: z.string(),
  rate: z.string(),
  currency: z.string(),
  delivery_days: z.number().int().nullish(),
  est_delivery_days: z.number().int().nullish(),
  delivery_date: z.string().nullish(),
});
type EasyPostRate = z.infer<typeof EasyPostRate>;

const EasyPostShipment = z.object({
  id: z.string(),
  reference: z.string().nullish(),
  is_return: z.boolean().nullish(),
  rates: z.array(EasyPostRate).default([]),
  selected_rate: EasyPostRate.nullish(),
  tracking_code: z.string().nullish(),
  tracker: z.object({ id: z.string(), public_url: z.string().nullish() }).nullish(),
  postage_label: z
    .object({
      label_url: z.string().nullish(),
      label_file_type: z.string().nullish(),
      label_pdf_url: z.string().nullish(),
      label_zpl_url: z.string().nullish(),
    })
    .nullish(),
  refund_status: z.string().nullish(),
  messages: z.array(z.object({ carrier: z.string().nullish(), message: z.string().nullish() }).loose()).default([]),
});
type EasyPostShipment = z.infer<typeof EasyPostShipment>;

export class EasyPostCarriers implements CarrierGateway {
  readonly #options: EasyPostOptions;
  readonly #baseUrl: string;
  readonly #format: 'ZPL' | 'PDF';
  /** Shipments this process created or read while rating, so the label step right after need not read them again. */
  readonly #rated = new Map<string, EasyPostShipment>();

  constructor(options: EasyPostOptions) {
    this.#options = options;
    this.#baseUrl = (options.baseUrl ?? EASYPOST_BASE_URL).replace(/\/+$/, '');
    this.#format = options.labelFormat ?? 'ZPL';
  }

  carrierIds(): string[] {
    return this.#options.carriers.map(easypostCarrierId);
  }

  async rates(request: RateRequest): Promise<Rate[]> {
    const shipment = await this.#shipmentFor(request);
    return shipment.rates.map((r) => toRate(r, request));
  }

  async buyLabel(request: LabelRequest): Promise<CarrierLabel> {
    let shipment = await this.#shipmentFor(request);
    if (!isBought(shipment)) {
      const rate = shipment.rates.find((r) => easypostCarrierId(r.carrier) === request.carrierId && r.service === request.serviceLevel);
      if (!rate) {
        const offered = shipment.rates.map((r) => `${easypostCarrierId(r.carrier)} ${r.service}`).join(', ') || 'none';
        throw new MarketplaceError(`EasyPost shipment ${shipment.id} has no rate ${request.carrierId} ${request.serviceLevel} (offered: ${offered})`, 422);
      }
      try {
        shipment = EasyPostShipment.parse(await this.#call('POST', `/v2/shipments/${shipment.id}/buy`, { rate: { id: rate.id } }, 'EasyPost buy'));
      } catch (error) {
        // Another attempt with the same key may have bought it meanwhile: a shipment is bought once, so read what it bought.
        if (!(error instanceof MarketplaceError)) throw error;
        const current = await this.#read(shipment.id);
        if (!isBought(current)) throw error;
        shipment = current;
      }
      this.#rated.delete(shipment.id);
    }
    return this.#label(shipment, request);
  }

  async voidLabel(carrierId: string, trackingNumber: string, shipmentId?: string): Promise<void> {
    if (!shipmentId) throw new Error(`Label ${carrierId} ${trackingNumber} has no EasyPost shipment id to refund`);
    // refund_status submitted/refunded: the postage comes back; rejected/not_applicable (bill-on-scan carriers) leave nothing to do here.
    await this.#call('POST', `/v2/shipments/${shipmentId}/refund`, undefined, 'EasyPost refund');
  }

  /** The shipment filed under the request's key (re-read unless this process rated it and it was not bought), or a new one filed under it. */
  async #shipmentFor(request: RateRequest): Promise<EasyPostShipment> {
    const key = request.idempotencyKey;
    const filed = key ? await this.#options.records.shipmentFor(key) : undefined;
    if (filed) {
      const cached = this.#rated.get(filed);
      return cached && !isBought(cached) ? cached : this.#read(filed);
    }
    if (!request.from || !request.to) throw new Error('EasyPost rates a shipment between two addresses: the request has no from/to address');
    const outbound = request.isReturn ? { from: request.to, to: request.from } : { from: request.from, to: request.to };
    const created = EasyPostShipment.parse(
      await this.#call(
        'POST',
        '/v2/shipments',
        {
          shipment: {
            ...(key ? { reference: key } : request.reference ? { reference: request.reference } : {}),
            ...(request.isReturn ? { is_return: true } : {}),
            to_address: address(outbound.to),
            from_address: address(outbound.from),
            parcel: easypostParcel(request.weightGrams, request.dimensionsCm ?? this.#options.defaultParcelCm ?? DEFAULT_PARCEL_CM),
            options: { label_format: this.#format },
          },
        },
        'EasyPost create shipment',
      ),
    );
    if (!key) return created;
    const winner = await this.#options.records.claimShipment(key, created.id);
    const shipment = winner === created.id ? created : await this.#read(winner);
    this.#rated.set(shipment.id, shipment);
    return shipment;
  }

  async #read(shipmentId: string): Promise<EasyPostShipment> {
    return EasyPostShipment.parse(await this.#call('GET', `/v2/shipments/${shipmentId}`, undefined, 'EasyPost read shipment'));
  }

  async #label(shipment: EasyPostShipment, request: LabelRequest): Promise<CarrierLabel> {
    const rate = shipment.selected_rate;
    if (!rate || !shipment.tracking_code) throw new Error(`EasyPost shipment ${shipment.id} was bought but names no rate or tracking code`);
    let url = this.#format === 'ZPL' ? shipment.postage_label?.label_zpl_url : shipment.postage_label?.label_pdf_url;
    const type = shipment.postage_label?.label_file_type ?? '';
    if (!url && (this.#format === 'ZPL' ? /zpl/i.test(type) : /pdf/i.test(type))) url = shipment.postage_label?.label_url;
    if (!url) {
      // The label came in another format (EasyPost converts from PNG): ask for ours.
      const converted = EasyPostShipment.parse(await this.#call('GET', `/v2/shipments/${shipment.id}/label?file_format=${this.#format}`, undefined, 'EasyPost label format'));
      url = this.#format === 'ZPL' ? converted.postage_label?.label_zpl_url : converted.postage_label?.label_pdf_url;
    }
    if (!url) throw new Error(`EasyPost shipment ${shipment.id} has no ${this.#format} label`);
    const amount = parseDecimal(rate.rate, rate.currency).amount;
    return {
      carrierId: easypostCarrierId(rate.carrier),
      serviceLevel: rate.service,
      rate: amount,
      currency: rate.currency,
      estimatedDelivery: estimatedDelivery(rate, request.shipDate),
      trackingNumber: shipment.tracking_code,
      trackingUrl: shipment.tracker?.public_url ?? '',
      labelFormat: this.#format,
      label: await download(url, this.#format),
      weightGrams: request.weightGrams,
      zone: request.zone,
      shipmentId: shipment.id,
    };
  }

  async #call(method: 'GET' | 'POST', path: string, body: unknown, what: string): Promise<unknown> {
    const key = await this.#options.apiKey();
    return requestJson(
      `${this.#baseUrl}${path}`,
      {
        method,
        headers: {
          authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      { what, ...(this.#options.retry ? { retry: this.#options.retry } : {}) },
    );
  }
}

function isBought(shipment: EasyPostShipment): boolean {
  return Boolean(shipment.selected_rate && shipment.tracking_code && shipment.postage_label);
}

function address(a: LabelAddress) {
  const [street1 = '', ...rest] = a.lines;
  return {
    ...(a.name ? { name: a.name } : {}),
    street1,
    ...(rest.length > 0 ? { street2: rest.join(', ') } : {}),
    ...(a.city ? { city: a.city } : {}),
    ...(a.region ? { state: a.region } : {}),
    ...(a.postalCode ? { zip: a.postalCode } : {}),
    country: a.country,
    ...(a.phone ? { phone: a.phone } : {}),
    ...(a.email ? { email: a.email } : {}),
  };
}

function transitDays(rate: EasyPostRate): number {
  return rate.delivery_days ?? rate.est_delivery_days ?? 5;
}

function estimatedDelivery(rate: EasyPostRate, shipDate: Date): string {
  if (rate.delivery_date && !Number.isNaN(Date.parse(rate.delivery_date))) return new Date(rate.delivery_date).toISOString();
  return addBusinessDays(shipDate, transitDays(rate)).toISOString();
}

function toRate(rate: EasyPostRate, request: RateRequest): Rate {
  return {
    carrierId: easypostCarrierId(rate.carrier),
    serviceLevel: rate.service,
    amount: parseDecimal(rate.rate, rate.currency).amount,
    currency: rate.currency,
    zone: request.zone,
    transitDays: transitDays(rate),
    estimatedDelivery: estimatedDelivery(rate, request.shipDate),
  };
}

/** The label file: ZPL as text, PDF as base64 (CarrierLabel.label). */
async function download(url: string, format: 'ZPL' | 'PDF'): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`EasyPost label file answered HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  return format === 'ZPL' ? bytes.toString('utf8') : bytes.toString('base64');
}
