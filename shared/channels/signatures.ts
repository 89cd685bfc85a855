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

/**
 * Carriers sign tracking webhooks as `sha256=<hex HMAC-SHA256 of the raw body>`
 * (the GitHub style); compared in constant time like the channels' base64 form.
 */
export function hmacHexMatches(rawBody: Buffer, secret: string | undefined, signature: string | undefined): boolean {
  const given = /^sha256=([0-9a-f]{64})$/i.exec(signature?.trim() ?? '')?.[1];
  if (!secret || !given) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), createHmac('sha256', secret).update(rawBody).digest());
}
