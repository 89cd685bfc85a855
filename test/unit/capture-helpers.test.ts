import { describe, expect, it } from 'vitest';
import { renderInputTemplate } from '#infra/local/input-template.ts';
import { pipes } from '#infra/topology/pipes.ts';
import { hmacBase64, hmacBase64Matches } from '#shared/channels/signatures.ts';
import { MalformedRequestError } from '#shared/domain/errors.ts';
import { parseJson } from '#shared/domain/json.ts';

describe('parseJson', () => {
  it('keeps 64-bit integer ids exact (as strings) and leaves the rest alone', () => {
    expect(parseJson('{"id": 12345678901234567890, "small": 5821334503521, "price": 29.5}')).toEqual({
      id: '12345678901234567890',
      small: 5821334503521,
      price: 29.5,
    });
  });

  it('reports malformed JSON as a malformed request', () => {
    expect(() => parseJson('{"id":')).toThrow(MalformedRequestError);
  });
});

describe('webhook signatures', () => {
  const body = Buffer.from('{"id":1}');
  it('accept the HMAC of the exact raw bytes with the channel secret', () => {
    expect(hmacBase64Matches(body, 'secret', hmacBase64(body, 'secret'))).toBe(true);
  });
  it.each([
    ['another secret', hmacBase64(body, 'other')],
    ['a re-serialized body', hmacBase64('{ "id": 1 }', 'secret')],
    ['no signature', undefined],
    ['garbage', '!!!'],
  ])('reject %s', (_case, signature) => {
    expect(hmacBase64Matches(body, 'secret', signature)).toBe(false);
  });
  it('reject everything when the channel has no secret', () => {
    expect(hmacBase64Matches(body, undefined, hmacBase64(body, ''))).toBe(false);
  });
});

describe('pipe input templates', () => {
  const record = { dynamodb: { Keys: { PK: { S: 'INBOX#shop#abc"q' }, SK: { S: 'DELIVERY' } } } };
  it('fill quoted placeholders as strings (escaped) — the inbox pipe sends only the keys', () => {
    expect(renderInputTemplate(pipes.inbox.target.inputTemplate, record)).toEqual({ PK: 'INBOX#shop#abc"q', SK: 'DELIVERY' });
  });
  it('insert unquoted placeholders as JSON — the outbox pipe passes the detail object through', () => {
    expect(renderInputTemplate(pipes.outbox.target.inputTemplate, { detail: { a: [1, { b: null }] } })).toEqual({ a: [1, { b: null }] });
  });
});
