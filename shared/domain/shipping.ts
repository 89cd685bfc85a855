import type { CarrierSelection } from './routing.ts';

/**
 * Parcel rating: zones from the distance between the shipping location and
 * the destination, billable weight, service levels with transit days, and
 * how a rule set picks among the rates. The sandbox carriers' rate cards are
 * data here so tests and the local runtime price parcels realistically.
 */

export interface Rate {
  carrierId: string;
  serviceLevel: string;
  /** Minor units of `currency`. */
  amount: number;
  currency: string;
  zone: number;
  transitDays: number;
  estimatedDelivery: string;
}

/** US-style zones: 2 (local) to 8 (across the continent); 9 for another country. */
export function zoneFor(distanceKm: number | undefined, sameCountry: boolean): number {
  if (!sameCountry) return 9;
  if (distanceKm === undefined) return 5;
  const bands = [80, 240, 480, 970, 1450, 2250];
  const index = bands.findIndex((limit) => distanceKm <= limit);
  return index === -1 ? 8 : index + 2;
}

export interface RateCard {
  carrierId: string;
  name: string;
  services: {
    serviceLevel: string;
    /** Business days in transit per zone 2..9. */
    transitDays: readonly number[];
    /** Price of the first kilogram per zone 2..9 (minor units), and of each further started kilogram. */
    base: readonly number[];
    perKg: readonly number[];
  }[];
}

/** Two sandbox carriers with different strengths: one cheap and slower, one fast and dearer. */
export const SANDBOX_RATE_CARDS: readonly RateCard[] = [
  {
    carrierId: 'parcelco',
    name: 'ParcelCo (sandbox)',
    services: [
      { serviceLevel: 'ground', transitDays: [1, 2, 3, 3, 4, 5, 5, 8], base: [845, 880, 915, 960, 1010, 1065, 1120, 3150], perKg: [95, 120, 150, 185, 215, 250, 290, 890] },
      { serviceLevel: 'two_day', transitDays: [2, 2, 2, 2, 2, 2, 2, 5], base: [1595, 1710, 1860, 2045, 2240, 2460, 2690, 4900], perKg: [210, 260, 320, 390, 460, 540, 620, 1290] },
    ],
  },
  {
    carrierId: 'swiftship',
    name: 'SwiftShip (sandbox)',
    services: [
      { serviceLevel: 'ground', transitDays: [1, 1, 2, 3, 3, 4, 4, 6], base: [990, 1035, 1090, 1150, 1215, 1290, 1360, 3590], perKg: [110, 140, 175, 210, 250, 290, 335, 990] },
      { serviceLevel: 'overnight', transitDays: [1, 1, 1, 1, 1, 1, 1, 3], base: [2890, 3190, 3560, 3990, 4470, 4990, 5490, 8990], perKg: [380, 450, 530, 620, 720, 830, 940, 1890] },
    ],
  },
];

/** Adds business days (Saturday and Sunday are not business days). */
export function addBusinessDays(from: Date, days: number): Date {
  const date = new Date(from);
  let left = days;
  while (left > 0) {
    date.setUTCDate(date.getUTCDate() + 1);
    const day = date.getUTCDay();
    if (day !== 0 && day !== 6) left--;
  }
  date.setUTCHours(20, 0, 0, 0);
  return date;
}

export function ratesFromCard(card: RateCard, request: { zone: number; weightGrams: number; currency: string; shipDate: Date }): Rate[] {
  const kg = Math.max(1, Math.ceil(request.weightGrams / 1000));
  const i = Math.min(Math.max(request.zone, 2), 9) - 2;
  return card.services.map((s) => {
    const transitDays = s.transitDays[i] ?? 5;
    return {
      carrierId: card.carrierId,
      serviceLevel: s.serviceLevel,
      amount: (s.base[i] ?? 0) + (kg - 1) * (s.perKg[i] ?? 0),
      currency: request.currency,
      zone: request.zone,
      transitDays,
      estimatedDelivery: addBusinessDays(request.shipDate, transitDays).toISOString(),
    };
  });
}

/**
 * Picks a rate as the rule set says. `cheapest_on_time`: the cheapest that
 * arrives by the promised date (the fastest when none can, the cheapest when
 * nothing was promised). Returns the choice and why, for the timeline.
 */
export function selectRate(rates: readonly Rate[], selection: CarrierSelection, deliverBy: string | undefined): { rate: Rate; why: string } | undefined {
  if (rates.length === 0) return undefined;
  const first = (list: Rate[]): Rate => list[0] ?? (rates[0] as Rate);
  const cheapest = (list: readonly Rate[]) => first([...list].sort((a, b) => a.amount - b.amount || a.transitDays - b.transitDays || a.carrierId.localeCompare(b.carrierId)));
  const fastest = (list: readonly Rate[]) => first([...list].sort((a, b) => a.estimatedDelivery.localeCompare(b.estimatedDelivery) || a.amount - b.amount));
  if (selection.strategy === 'fixed') {
    const rate = rates.find((r) => r.carrierId === selection.carrierId && r.serviceLevel === selection.serviceLevel);
    return rate ? { rate, why: `fixed carrier ${rate.carrierId} ${rate.serviceLevel}` } : undefined;
  }
  if (selection.strategy === 'fastest') {
    const rate = fastest(rates);
    return { rate, why: `fastest: ${rate.carrierId} ${rate.serviceLevel}, ${rate.transitDays} business day(s)` };
  }
  if (!deliverBy) {
    const rate = cheapest(rates);
    return { rate, why: `cheapest (no delivery date promised): ${rate.carrierId} ${rate.serviceLevel}` };
  }
  const onTime = rates.filter((r) => r.estimatedDelivery <= deliverBy);
  if (onTime.length > 0) {
    const rate = cheapest(onTime);
    return { rate, why: `cheapest of ${onTime.length} rate(s) arriving by ${deliverBy.slice(0, 10)}: ${rate.carrierId} ${rate.serviceLevel}` };
  }
  const rate = fastest(rates);
  return { rate, why: `no rate arrives by ${deliverBy.slice(0, 10)}; fastest: ${rate.carrierId} ${rate.serviceLevel}` };
}
