import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod';
import { ValidationError, type ErrorDetail } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { parseJson, prototypeKeys } from '#shared/domain/json.ts';
import { CORRELATION_HEADER, logger, metrics, setCorrelationId, tracer } from '#shared/observability/powertools.ts';
import { apiKeyRepository } from '#shared/adapters/dependencies.ts';
import { PUBLIC_PRINCIPAL, requireScope, type Principal } from '#shared/domain/identity.ts';
import { cognitoJwtVerifier, principalResolver } from './auth.ts';
import { isJsonContentType, suppliedCorrelationId } from './headers.ts';
import { errorResponse } from './error-response.ts';
import { MalformedRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '#shared/domain/errors.ts';
import { DEFAULT_MAX_BODY_BYTES, requiredScope, type Operation } from './operation.ts';

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface HttpRequest<O extends Operation> {
  params: Out<O['params']>;
  query: Out<O['query']>;
  body: Out<O['body']>;
  /** Lower-case header names, as API Gateway HTTP APIs deliver them. */
  headers: Record<string, string | undefined>;
  /** The headers the operation declares, parsed. */
  declaredHeaders: Out<O['headers']>;
  /** The raw body bytes, for handlers that verify signatures over them. */
  rawBody: Buffer;
  correlationId: string;
  event: APIGatewayProxyEventV2;
  /** Who is calling (`public` on routes without auth): name it as the actor, check its channel or location limits. */
  principal: Principal;
}

export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A body already serialized (an invoice as HTML, a replayed JSON answer): sent as is, byte for byte, with its content type. */
  raw?: { contentType: string; body: string };
}

/**
 * Wraps a use-case call as an API Gateway HTTP API (payload 2.0) handler.
 * In order: correlation id, credential (401) and the operation's scope (403),
 * body size (413), Content-Type
 * of an operation with a body (415: JSON only), JSON (400),
 * schema of path, query and body (422, every bad field named), then `run`.
 * Nothing reaches a use case, so nothing is written, until all checks pass.
 * Errors become the OMS error body (shared/http/error-response.ts).
 */
export function httpHandler<const O extends Operation>(
  operation: O,
  run: (request: HttpRequest<O>, context: Context) => Promise<HttpResult>,
) {
  const resolvePrincipal =
    operation.auth === 'bearer'
      ? principalResolver({ apiKey: (keyId) => apiKeyRepository().get(keyId), jwt: cognitoJwtVerifier() })
      : undefined;
  const scope = requiredScope(operation);
  const maxBodyBytes = operation.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const handle = async (
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const correlationId = suppliedCorrelationId(event.headers ?? {}) ?? event.requestContext?.requestId ?? newId();
    setCorrelationId(correlationId);
    try {
      const headers = event.headers ?? {};
      const principal = resolvePrincipal ? await resolvePrincipal(headers['authorization']) : PUBLIC_PRINCIPAL;
      if (resolvePrincipal) requireScope(principal, scope);
      const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
      if (rawBody.length > maxBodyBytes) {
        throw new PayloadTooLargeError(`The body is ${rawBody.length} bytes; the limit is ${maxBodyBytes}`);
      }
      if (operation.body && !isJsonContentType(headers['content-type'])) {
        throw new UnsupportedMediaTypeError(`The body must be JSON, not ${JSON.stringify(headers['content-type'])}`, [
          { in: 'header', path: 'content-type', message: 'Send Content-Type: application/json', code: 'unsupported_media_type' },
        ]);
      }
      const problems: ErrorDetail[] = [];
      const params = validate(operation.params, event.pathParameters ?? {}, 'path', problems);
      const query = validate(operation.query, event.queryStringParameters ?? {}, 'query', problems);
      const declaredHeaders = validate(operation.headers, headers, 'header', problems);
      const json = operation.body ? parseBody(rawBody) : undefined;
      const body = operation.body ? validate(operation.body, json, 'body', problems) : undefined;
      // Schemas drop a `__proto__` key without a word; refuse it by name instead.
      for (const path of prototypeKeys(json)) problems.push({ in: 'body', path, message: '"__proto__" cannot be a key', code: 'invalid_key' });
      if (problems.length > 0) throw new ValidationError('The request does not match the schema', problems);

      const result = await run(
        { params, query, body, headers, declaredHeaders, rawBody, correlationId, event, principal } as HttpRequest<O>,
        context,
      );
      if (result.raw) {
        return { statusCode: result.status, headers: { 'content-type': result.raw.contentType, [CORRELATION_HEADER]: correlationId, ...result.headers }, body: result.raw.body };
      }
      return {
        statusCode: result.status,
        headers: {
          ...(result.body === undefined ? {} : { 'content-type': 'application/json' }),
          [CORRELATION_HEADER]: correlationId,
          ...result.headers,
        },
        ...(result.body === undefined ? {} : { body: JSON.stringify(result.body) }),
      };
    } catch (error) {
      return errorResponse(error, correlationId);
    }
  };

  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler(handle);
}

function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) throw new MalformedRequestError('The request needs a JSON body');
  return parseJson(raw.toString('utf8'));
}

function validate(
  schema: z.ZodType | undefined,
  value: unknown,
  location: ErrorDetail['in'],
  problems: ErrorDetail[],
): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues.flatMap((i) => specific(i, []))) {
    problems.push({ in: location, path: issue.path.map(String).join('.'), message: issue.message, code: issue.code });
  }
  return undefined;
}

/**
 * A union's "Invalid input" names no field. Report the issues of the
 * alternative the value came closest to (fewest issues), so the caller
 * learns which fields to fix.
 */
function specific(issue: z.core.$ZodIssue, prefix: PropertyKey[]): { path: PropertyKey[]; message: string; code: string }[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
    if (closest.length > 0) return closest.flatMap((inner) => specific(inner, path));
  }
  return [{ path, message: issue.message, code: issue.code }];
}

/** `If-Match: "3"` (or `W/"3"`, or `3`) as a version number; 422 if it is something else. */
export function ifMatchVersion(headers: Record<string, string | undefined>): number | undefined {
  const value = headers['if-match'];
  if (value === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(value);
  if (!match?.[1]) {
    throw new ValidationError('If-Match must be the ETag of the resource', [
      { in: 'header', path: 'if-match', message: 'Expected an ETag such as "3"' },
    ]);
  }
  return Number(match[1]);
}

/** The ETag header of a versioned resource. */
export function etag(version: number): Record<string, string> {
  return { etag: `"${version}"` };
}
