import type { GeoPoint } from './common.ts';

/**
 * Distances for routing. Great-circle (haversine) distance between two
 * points; when an address carries no coordinates, a coarse centroid from its
 * postal code (US ZIP → state) or its region, so distance rules still rank
 * locations sensibly. Pure data, no network.
 */

const EARTH_RADIUS_KM = 6371.0088;

export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Approximate population centroids of US states (and DC, PR). */
const US_REGION_CENTROIDS: Record<string, GeoPoint> = {
  AL: { lat: 33.0, lon: -86.8 }, AK: { lat: 61.4, lon: -150.0 }, AZ: { lat: 33.4, lon: -111.9 }, AR: { lat: 35.0, lon: -92.4 },
  CA: { lat: 35.5, lon: -119.3 }, CO: { lat: 39.5, lon: -105.2 }, CT: { lat: 41.5, lon: -72.8 }, DE: { lat: 39.4, lon: -75.6 },
  DC: { lat: 38.9, lon: -77.0 }, FL: { lat: 27.8, lon: -81.6 }, GA: { lat: 33.3, lon: -84.0 }, HI: { lat: 21.3, lon: -157.8 },
  ID: { lat: 43.6, lon: -115.3 }, IL: { lat: 41.3, lon: -88.4 }, IN: { lat: 40.0, lon: -86.3 }, IA: { lat: 41.9, lon: -93.0 },
  KS: { lat: 38.5, lon: -96.8 }, KY: { lat: 37.8, lon: -85.3 }, LA: { lat: 30.7, lon: -91.5 }, ME: { lat: 44.3, lon: -69.6 },
  MD: { lat: 39.1, lon: -76.8 }, MA: { lat: 42.3, lon: -71.4 }, MI: { lat: 42.9, lon: -84.2 }, MN: { lat: 45.2, lon: -93.6 },
  MS: { lat: 32.6, lon: -89.6 }, MO: { lat: 38.4, lon: -92.2 }, MT: { lat: 46.6, lon: -110.8 }, NE: { lat: 41.2, lon: -97.3 },
  NV: { lat: 37.2, lon: -116.6 }, NH: { lat: 43.0, lon: -71.5 }, NJ: { lat: 40.4, lon: -74.4 }, NM: { lat: 34.6, lon: -106.3 },
  NY: { lat: 41.5, lon: -74.6 }, NC: { lat: 35.6, lon: -79.4 }, ND: { lat: 47.4, lon: -99.3 }, OH: { lat: 40.5, lon: -82.7 },
  OK: { lat: 35.6, lon: -96.8 }, OR: { lat: 44.7, lon: -122.6 }, PA: { lat: 40.5, lon: -77.0 }, RI: { lat: 41.8, lon: -71.4 },
  SC: { lat: 34.0, lon: -81.0 }, SD: { lat: 44.0, lon: -98.5 }, TN: { lat: 35.8, lon: -86.4 }, TX: { lat: 30.9, lon: -97.4 },
  UT: { lat: 40.5, lon: -111.8 }, VT: { lat: 44.1, lon: -72.8 }, VA: { lat: 37.8, lon: -77.8 }, WA: { lat: 47.3, lon: -121.6 },
  WV: { lat: 38.8, lon: -81.1 }, WI: { lat: 43.7, lon: -89.0 }, WY: { lat: 42.7, lon: -107.2 }, PR: { lat: 18.2, lon: -66.3 },
};

/** US ZIP code prefixes (first three digits, inclusive ranges) to state. */
const ZIP3_RANGES: [number, number, string][] = [
  [6, 9, 'PR'], [10, 27, 'MA'], [28, 29, 'RI'], [30, 38, 'NH'], [39, 49, 'ME'], [50, 59, 'VT'], [60, 69, 'CT'], [70, 89, 'NJ'],
  [100, 149, 'NY'], [150, 196, 'PA'], [197, 199, 'DE'], [200, 205, 'DC'], [206, 219, 'MD'], [220, 246, 'VA'], [247, 268, 'WV'],
  [270, 289, 'NC'], [290, 299, 'SC'], [300, 319, 'GA'], [320, 349, 'FL'], [350, 369, 'AL'], [370, 385, 'TN'], [386, 397, 'MS'],
  [398, 399, 'GA'], [400, 427, 'KY'], [430, 459, 'OH'], [460, 479, 'IN'], [480, 499, 'MI'], [500, 528, 'IA'], [530, 549, 'WI'],
  [550, 567, 'MN'], [570, 577, 'SD'], [580, 588, 'ND'], [590, 599, 'MT'], [600, 629, 'IL'], [630, 658, 'MO'], [660, 679, 'KS'],
  [680, 693, 'NE'], [700, 714, 'LA'], [716, 729, 'AR'], [730, 749, 'OK'], [750, 799, 'TX'], [800, 816, 'CO'], [820, 831, 'WY'],
  [832, 838, 'ID'], [840, 847, 'UT'], [850, 865, 'AZ'], [870, 884, 'NM'], [889, 898, 'NV'], [900, 961, 'CA'], [967, 968, 'HI'],
  [970, 979, 'OR'], [980, 994, 'WA'], [995, 999, 'AK'],
];

/** Approximate centroids of other countries, for cross-border distance ranking. */
const COUNTRY_CENTROIDS: Record<string, GeoPoint> = {
  US: { lat: 39.8, lon: -98.6 }, CA: { lat: 49.0, lon: -86.0 }, MX: { lat: 21.0, lon: -100.0 }, GB: { lat: 52.5, lon: -1.5 },
  IE: { lat: 53.3, lon: -7.7 }, FR: { lat: 46.6, lon: 2.4 }, DE: { lat: 50.9, lon: 10.0 }, NL: { lat: 52.2, lon: 5.3 },
  BE: { lat: 50.6, lon: 4.6 }, ES: { lat: 40.2, lon: -3.6 }, PT: { lat: 39.6, lon: -8.2 }, IT: { lat: 42.8, lon: 12.6 },
  AT: { lat: 47.6, lon: 14.1 }, CH: { lat: 46.8, lon: 8.2 }, PL: { lat: 52.1, lon: 19.4 }, SE: { lat: 60.1, lon: 15.6 },
  DK: { lat: 56.0, lon: 10.0 }, NO: { lat: 60.5, lon: 8.5 }, FI: { lat: 61.9, lon: 25.7 }, AU: { lat: -33.0, lon: 146.0 },
  NZ: { lat: -40.9, lon: 174.9 }, JP: { lat: 36.2, lon: 138.3 },
};

export type GeoSource = 'address' | 'postal_centroid' | 'region_centroid' | 'country_centroid' | 'none';

export interface Destination {
  country: string;
  region?: string | undefined;
  postalCode?: string | undefined;
  geo?: GeoPoint | undefined;
}

/**
 * Where an address is, and how precisely: its own coordinates (from the
 * channel, e.g. Shopify's latitude/longitude), else the centroid of its ZIP's
 * state, its region, or its country.
 */
export function locate(destination: Destination): { geo?: GeoPoint; source: GeoSource } {
  if (destination.geo) return { geo: destination.geo, source: 'address' };
  if (destination.country === 'US') {
    const zip3 = /^(\d{3})/.exec(destination.postalCode?.trim() ?? '')?.[1];
    const state = zip3 === undefined ? undefined : ZIP3_RANGES.find(([from, to]) => Number(zip3) >= from && Number(zip3) <= to)?.[2];
    const byZip = state ? US_REGION_CENTROIDS[state] : undefined;
    if (byZip) return { geo: byZip, source: 'postal_centroid' };
    const byRegion = US_REGION_CENTROIDS[destination.region?.trim().toUpperCase() ?? ''];
    if (byRegion) return { geo: byRegion, source: 'region_centroid' };
  }
  const country = COUNTRY_CENTROIDS[destination.country];
  return country ? { geo: country, source: 'country_centroid' } : { source: 'none' };
}
