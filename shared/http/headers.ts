/** Header that carries the correlation id in and out of the HTTP API. */
export const CORRELATION_HEADER = 'x-correlation-id';

/**
 * Whether the caller asked for a document a person reads (`Accept:
 * text/html`, as a browser sends) rather than JSON. Used by the endpoints
 * that have one (invoices); everything else answers JSON whatever Accept says.
 */
export function acceptsHtml(headers: Record<string, string | undefined>): boolean {
  return /\btext\/html\b/.test(headers['accept'] ?? '');
}
