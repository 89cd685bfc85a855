import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Shopify and WooCommerce sign webhooks the same way: base64 of HMAC-SHA256
 * over the raw body bytes, keyed with the webhook secret. Compared in
 * constant time, on the raw bytes (never on re-serialized JSON).
 */
export function hmacBase64Matches(rawBody: Buffer, secret: string | undefined, signature: string | undefined): boolean {
  if (!secret || !signature) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  let given: Buffer;
  try {
    given = Buffer.from(signature.trim(), 'base64');
  } catch {
    return false;
  }
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function hmacBase64(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}
