import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signature headers are parsed strictly: exactly one encoding of the 32-byte
 * HMAC-SHA256 digest is accepted, never a digest wrapped in junk. Node's
 * decoders are lenient (they skip characters outside the alphabet, read
 * base64url and do without padding), so the text is checked before it is
 * decoded. The format check says nothing about the secret; the digests
 * themselves are compared in constant time.
 */

/** Standard base64 (RFC 4648 §4, with padding) of 32 bytes: 43 characters and one `=`. */
const BASE64_DIGEST = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
/** The carriers' form: `sha256=` and 64 lower-case hex digits. */
const HEX_DIGEST = /^sha256=([0-9a-f]{64})$/;

/**
 * Shopify (X-Shopify-Hmac-Sha256) and WooCommerce (X-WC-Webhook-Signature)
 * sign webhooks the same way: the standard base64 of HMAC-SHA256 over the
 * raw body bytes, keyed with the webhook secret. Compared in constant time,
 * on the raw bytes (never on re-serialized JSON).
 */
export function hmacBase64Matches(rawBody: Buffer, secret: string | undefined, signature: string | undefined): boolean {
  if (!secret || !signature || !BASE64_DIGEST.test(signature)) return false;
  return timingSafeEqual(Buffer.from(signature, 'base64'), createHmac('sha256', secret).update(rawBody).digest());
}

export function hmacBase64(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}

/**
 * Carriers sign tracking webhooks as `sha256=<hex HMAC-SHA256 of the raw body>`
 * (the GitHub style, lower-case hex as `openssl dgst` prints it); compared in
 * constant time like the channels' base64 form.
 */
export function hmacHexMatches(rawBody: Buffer, secret: string | undefined, signature: string | undefined): boolean {
  const given = HEX_DIGEST.exec(signature ?? '')?.[1];
  if (!secret || !given) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), createHmac('sha256', secret).update(rawBody).digest());
}
