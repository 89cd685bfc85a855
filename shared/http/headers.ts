/** Header that carries the correlation id in and out of the HTTP API. */
export const CORRELATION_HEADER = 'x-correlation-id';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** `application/json` or a structured `+json` type (`application/vnd.acme+json`), compared without case. */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/;

/**
 * Whether a request's Content-Type says JSON: `application/json` or an
 * `application/*+json` type, with any parameters (`charset` only if UTF-8,
 * the one encoding of JSON). A request without a Content-Type is read as
 * JSON too: it claims nothing (`curl -d` without `-H`, however, claims a
 * form, and is refused).
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (!JSON_MEDIA_TYPE.test(mediaType)) return false;
  return parameters.every((parameter) => {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim());
    return name !== 'charset' || ['utf-8', 'utf8'].includes(value.replace(/^"(.*)"$/, '$1'));
  });
}

/** The caller's correlation id if it is a safe token (it goes into logs and headers), else undefined. */
export function suppliedCorrelationId(headers: Record<string, string | undefined>): string | undefined {
  const supplied = headers[CORRELATION_HEADER];
  return supplied && CORRELATION_ID.test(supplied) ? supplied : undefined;
}

/**
 * Whether the caller asked for a document a person reads (`Accept:
 * text/html`, as a browser sends) rather than JSON. Used by the endpoints
 * that have one (invoices); everything else answers JSON whatever Accept says.
 */
export function acceptsHtml(headers: Record<string, string | undefined>): boolean {
  return /\btext\/html\b/.test(headers['accept'] ?? '');
}
