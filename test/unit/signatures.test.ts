import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacBase64, hmacBase64Matches, hmacHexMatches } from '#shared/channels/signatures.ts';

/**
 * A signature header is exactly one encoding of the 32-byte HMAC-SHA256
 * digest: standard base64 with its padding (Shopify, WooCommerce), or
 * `sha256=` and 64 lower-case hex digits (the carriers' webhook). Node's
 * decoders are lenient — they skip junk and whitespace and read base64url —
 * so a valid digest wrapped in anything used to pass.
 */
describe('channel webhook signatures (base64)', () => {
  // The digest of this body under `secret` contains `/`, so its base64url form differs.
  const body = Buffer.from('{"id":1}');
  const good = hmacBase64(body, 'secret');

  it('accept the standard base64 of the digest, with its padding', () => {
    expect(good).toBe('A971iWIMgT8Zj9A9eWfikrFj7wQ16/Qwcc4OlRl2PLc=');
    expect(hmacBase64Matches(body, 'secret', good)).toBe(true);
  });

  it.each([
    ['a junk prefix', `!!${good}`],
    ['a prefix of base64 characters', `AAAA${good}`],
    ['a junk suffix', `${good}!!`],
    ['inner whitespace', `${good.slice(0, 20)} ${good.slice(20)}`],
    ['an inner line break', `${good.slice(0, 20)}\n${good.slice(20)}`],
    ['leading whitespace', ` ${good}`],
    ['trailing whitespace', `${good} `],
    ['the base64url alphabet', good.replaceAll('/', '_').replaceAll('+', '-')],
    ['missing padding', good.replace(/=+$/, '')],
    ['extra padding', `${good}=`],
    ['non-zero unused bits (another text for the same bytes)', good.replace(/c=$/, 'd=')],
    ['a scheme prefix', `sha256=${good}`],
    ['the hex form', createHmac('sha256', 'secret').update(body).digest('hex')],
    ['an empty header', ''],
  ])('refuse the digest with %s', (_case, signature) => {
    expect(hmacBase64Matches(body, 'secret', signature)).toBe(false);
  });
});

describe('carrier webhook signatures (sha256=<hex>)', () => {
  const body = Buffer.from('{"trackingNumber":"PC1","status":"delivered"}');
  const hex = createHmac('sha256', 'secret').update(body).digest('hex');
  const good = `sha256=${hex}`;

  it('accept sha256= and the 64 lower-case hex digits of the digest', () => {
    expect(hmacHexMatches(body, 'secret', good)).toBe(true);
  });

  it.each([
    ['a junk prefix', `junk${good}`],
    ['leading whitespace', ` ${good}`],
    ['trailing whitespace', `${good} `],
    ['a trailing line break', `${good}\n`],
    ['whitespace after the prefix', `sha256= ${hex}`],
    ['an upper-case prefix', `SHA256=${hex}`],
    ['upper-case hex digits', `sha256=${hex.toUpperCase()}`],
    ['another prefix', `sha1=${hex}`],
    ['the base64 form', `sha256=${createHmac('sha256', 'secret').update(body).digest('base64')}`],
  ])('refuse the digest with %s', (_case, signature) => {
    expect(hmacHexMatches(body, 'secret', signature)).toBe(false);
  });
});
