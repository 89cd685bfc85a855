/** Header that carries the correlation id in and out of the HTTP API. */
export const CORRELATION_HEADER = 'x-correlation-id';
