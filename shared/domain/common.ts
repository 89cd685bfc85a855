import * as z from 'zod';

/** ISO 3166-1 alpha-2 country code, upper case (`US`, `DE`). */
export const CountryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, 'Use an ISO 3166-1 alpha-2 country code in upper case, e.g. "US"')
  .meta({ example: 'US' });

export const GeoPoint = z
  .strictObject({
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
  })
  .meta({ id: 'GeoPoint', description: 'WGS84 coordinates in decimal degrees.' });
export type GeoPoint = z.infer<typeof GeoPoint>;

export const PostalAddress = z
  .strictObject({
    lines: z.array(z.string().trim().min(1).max(200)).min(1).max(4),
    city: z.string().trim().min(1).max(100),
    region: z.string().trim().min(1).max(100).optional().meta({ description: 'State, province or region code.' }),
    postalCode: z.string().trim().min(1).max(20),
    country: CountryCode,
  })
  .meta({ id: 'PostalAddress' });
export type PostalAddress = z.infer<typeof PostalAddress>;

export const Timestamp = z.iso.datetime().meta({ description: 'ISO 8601 instant in UTC.' });

/** Every configuration resource carries its version; PUT with `If-Match` compares against it. */
export const Versioned = {
  version: z.number().int().min(1).meta({ description: 'Incremented on every change; sent back as the ETag.' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};

/** Arrays whose items must be distinct (capabilities, marketplace ids). */
export function distinct<T extends z.ZodType>(item: T) {
  return z.array(item).refine((values) => new Set(values).size === values.length, 'Values must be distinct');
}

/** What a PUT did: `unchanged` means no write and no event. */
export type Change = 'created' | 'updated' | 'unchanged';
