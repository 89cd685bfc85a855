/** Header that carries the correlation id in and out of the HTTP API. */
export const CORRELATION_HEADER = 'x-correlation-id';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

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
