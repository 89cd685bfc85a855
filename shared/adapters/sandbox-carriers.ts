import { createHash } from 'node:crypto';
import { SANDBOX_RATE_CARDS, ratesFromCard, type Rate } from '#shared/domain/shipping.ts';
import type { CarrierLabel } from '#shared/domain/fulfillment.ts';
import type { CarrierGateway, LabelRequest } from '#shared/ports.ts';

/**
 * Sandbox carriers (ParcelCo, SwiftShip): rates from their rate cards, a ZPL
 * label per parcel, and a tracking number derived from the idempotency key —
 * buying the same label twice returns the same label, as carrier APIs with
 * idempotency keys do. Tracking comes back through the carrier webhook.
 */
export class SandboxCarriers implements CarrierGateway {
  readonly #trackingBase: string;

  constructor(trackingBase = 'https://track.example.com') {
    this.#trackingBase = trackingBase;
  }

  carrierIds(): string[] {
    return SANDBOX_RATE_CARDS.map((c) => c.carrierId);
  }

  async rates(request: { zone: number; weightGrams: number; currency: string; shipDate: Date }): Promise<Rate[]> {
    return SANDBOX_RATE_CARDS.flatMap((card) => ratesFromCard(card, request));
  }

  async buyLabel(request: LabelRequest): Promise<CarrierLabel> {
    const card = SANDBOX_RATE_CARDS.find((c) => c.carrierId === request.carrierId);
    const rate = card ? ratesFromCard(card, request).find((r) => r.serviceLevel === request.serviceLevel) : undefined;
    if (!card || !rate) throw new Error(`Sandbox carrier ${request.carrierId} has no service ${request.serviceLevel}`);
    const digits = BigInt(`0x${createHash('sha256').update(`${request.carrierId}:${request.idempotencyKey}`).digest('hex').slice(0, 15)}`).toString().padStart(18, '0').slice(-12);
    const trackingNumber = `${request.carrierId === 'parcelco' ? 'PC' : 'SW'}${digits}`;
    return {
      carrierId: request.carrierId,
      serviceLevel: request.serviceLevel,
      rate: rate.amount,
      currency: rate.currency,
      estimatedDelivery: rate.estimatedDelivery,
      trackingNumber,
      trackingUrl: `${this.#trackingBase}/${request.carrierId}/${trackingNumber}`,
      labelFormat: 'ZPL',
      label: zpl(request, trackingNumber, card.name),
      weightGrams: request.weightGrams,
      zone: request.zone,
    };
  }

  async voidLabel(): Promise<void> {
    // The sandbox bills nothing, so a void has nothing to give back.
  }
}

function zpl(request: LabelRequest, trackingNumber: string, carrierName: string): string {
  const clean = (text: string | undefined) => (text ?? '').replace(/[\^~]/g, ' ').slice(0, 40);
  const to = [request.to.name, ...request.to.lines, [request.to.postalCode, request.to.city].filter(Boolean).join(' '), request.to.country].filter(Boolean) as string[];
  const from = [request.from.name, ...request.from.lines, [request.from.postalCode, request.from.city].filter(Boolean).join(' '), request.from.country].filter(Boolean) as string[];
  return [
    '^XA',
    `^FO30,30^A0N,30,30^FD${clean(carrierName)} ${clean(request.serviceLevel.toUpperCase())}^FS`,
    ...from.map((line, i) => `^FO30,${80 + i * 24}^A0N,20,20^FD${clean(line)}^FS`),
    '^FO30,220^A0N,24,24^FDSHIP TO:^FS',
    ...to.map((line, i) => `^FO30,${250 + i * 32}^A0N,28,28^FD${clean(line)}^FS`),
    `^FO30,470^A0N,22,22^FDZONE ${request.zone}  ${(request.weightGrams / 1000).toFixed(2)} KG  REF ${clean(request.reference)}^FS`,
    `^FO30,520^BY3^BCN,120,Y,N,N^FD${trackingNumber}^FS`,
    '^XZ',
  ].join('\n');
}
