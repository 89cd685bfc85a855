import { MalformedRequestError } from '#shared/domain/errors.ts';

/** What an Idempotency-Key may hold: visible ASCII, `!` (0x21) to `~` (0x7E). Its length (1-255) is the header schema's. */
const VISIBLE_ASCII = /^[\x21-\x7E]+$/;

/**
 * The Idempotency-Key as given, or a 400 naming the header when it holds
 * anything but visible ASCII: a control character, a space, DEL or a
 * non-ASCII character is never a key (it would be stored, hashed and
 * echoed as an order id differently by each layer that decodes headers).
 * Node's HTTP parser refuses most control characters itself; the local
 * runtime answers those with the same JSON error (infra/local/http-api.ts).
 */
export function idempotencyKey(value: string): string {
  if (VISIBLE_ASCII.test(value)) return value;
  throw new MalformedRequestError('The Idempotency-Key header must be visible ASCII', [
    {
      in: 'header',
      path: 'idempotency-key',
      message: 'Use 1-255 visible ASCII characters (letters, digits and punctuation from ! to ~), without spaces or control characters',
      code: 'invalid_characters',
    },
  ]);
}
