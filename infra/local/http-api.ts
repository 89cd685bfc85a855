import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { routeKeyOf } from '#shared/http/operation.ts';
import { CORRELATION_HEADER, suppliedCorrelationId } from '#shared/http/headers.ts';
import { runtimeLog as logger } from './log.ts';
import { httpFunctions, type FunctionName } from '../topology/functions.ts';
import { LOCAL_ACCOUNT } from './lambda-host.ts';
import { errorMessage } from './retry.ts';

/** API Gateway HTTP APIs refuse bodies over 10 MB before any function runs. */
export const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface LocalRoute {
  routeKey: string;
  method: string;
  path: string;
  functionName: FunctionName;
  segments: string[];
}

/** The route table the local API serves: one route per HTTP function, exactly as the stateless stack deploys them. */
export function localRoutes(): LocalRoute[] {
  return httpFunctions().map(({ name, operation }) => ({
    routeKey: routeKeyOf(operation),
    method: operation.method,
    path: operation.path,
    functionName: name,
    segments: operation.path === '$default' ? [] : operation.path.split('/').filter(Boolean),
  }));
}

/**
 * API Gateway's route selection: literal segments beat `{param}`, which beats
 * `{proxy+}`; the `$default` route catches the rest.
 */
export function matchRoute(
  routes: LocalRoute[],
  method: string,
  path: string,
): { route: LocalRoute; pathParameters: Record<string, string> } | undefined {
  const parts = pathSegments(path) ?? path.split('/').filter(Boolean);
  let best: { route: LocalRoute; pathParameters: Record<string, string>; score: number[] } | undefined;
  for (const route of routes) {
    if (route.routeKey === '$default' || (route.method !== 'ANY' && route.method !== method)) continue;
    const pathParameters: Record<string, string> = {};
    const score: number[] = [];
    let matched = true;
    for (const [i, segment] of route.segments.entries()) {
      const greedy = /^\{(?<name>\w+)\+\}$/.exec(segment)?.groups?.['name'];
      if (greedy) {
        if (i >= parts.length) matched = false;
        else pathParameters[greedy] = parts.slice(i).join('/');
        score.push(0);
        break;
      }
      const part = parts[i];
      if (part === undefined) {
        matched = false;
        break;
      }
      const param = /^\{(?<name>\w+)\}$/.exec(segment)?.groups?.['name'];
      if (param) {
        pathParameters[param] = part;
        score.push(1);
      } else if (segment === part) score.push(2);
      else {
        matched = false;
        break;
      }
    }
    if (!matched) continue;
    if (!route.segments.some((s) => s.endsWith('+}')) && route.segments.length !== parts.length) continue;
    if (!best || compareScores(score, best.score) > 0) best = { route, pathParameters, score };
  }
  if (best) return { route: best.route, pathParameters: best.pathParameters };
  const fallback = routes.find((route) => route.routeKey === '$default');
  return fallback ? { route: fallback, pathParameters: {} } : undefined;
}

/**
 * The path's segments, percent-decoded; undefined when one is not valid
 * percent-encoding of UTF-8 (`%`, `%zz`, `%E0%A4%A`), which API Gateway
 * refuses with a 400 before any route is chosen.
 */
export function pathSegments(path: string): string[] | undefined {
  try {
    return path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function compareScores(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

const TEXT_TYPES = /^(application\/(json|.*\+json|x-www-form-urlencoded|xml)|text\/)/i;

/**
 * Serves the OMS HTTP API locally: each request becomes an API Gateway HTTP
 * API (payload 2.0) event for the function its route names, and the
 * function's result becomes the response.
 */
export function createLocalHttpApi(invoke: (fn: FunctionName, event: APIGatewayProxyEventV2) => Promise<unknown>): {
  server: Server;
  routes: LocalRoute[];
} {
  const routes = localRoutes();
  const server = createServer((request, response) => {
    const requestId = randomUUID();
    // The id the handler answers with (the caller's, or the request id): every line logged about this request carries it.
    const correlationId = suppliedCorrelationId({ [CORRELATION_HEADER]: headerValue(request.headers[CORRELATION_HEADER]) }) ?? requestId;
    const ids = { requestId, correlationId };
    const served: { functionName?: FunctionName } = {};
    handle(request, response, ids, served).catch((error: unknown) => {
      // A function that crashed or timed out (the handler answers its own errors), or the runtime itself: logged under the function, with the ids.
      logger.error(`${served.functionName ?? 'Local API'} failed: ${errorMessage(error)}`, { function: served.functionName, ...ids, path: request.url });
      writeError(response, 500, { code: 'internal_error', message: 'The OMS could not complete the request. It has been logged; quote the correlation id.' }, ids);
    });
  });

  async function handle(
    request: IncomingMessage,
    response: ServerResponse,
    ids: { requestId: string; correlationId: string },
    served: { functionName?: FunctionName },
  ): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = (request.method ?? 'GET').toUpperCase();
    const body = await readBody(request);
    if (body === 'too-large') {
      writeError(response, 413, { code: 'payload_too_large', message: 'Request Entity Too Large' }, ids, { connection: 'close' });
      return;
    }
    if (!pathSegments(url.pathname)) {
      writeError(
        response,
        400,
        {
          code: 'malformed_request',
          message: 'The path is not valid percent-encoding',
          details: [{ in: 'path', path: '', message: 'Each % must start an escape of UTF-8 such as %E2%82%AC; write a literal % as %25' }],
        },
        ids,
      );
      return;
    }
    const matched = matchRoute(routes, method, url.pathname);
    if (!matched) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: 'Not Found' }));
      return;
    }
    served.functionName = matched.route.functionName;
    const event = toEvent(request, url, method, body, matched.route, matched.pathParameters, ids.requestId);
    const result = await invoke(matched.route.functionName, event);
    writeResult(response, result, event.requestContext.requestId);
  }

  // Requests Node's HTTP parser refuses (a control character or a bare line feed in a header value, say in an
  // Idempotency-Key) reach no route: they get the OMS error body, as every other refused request does, not Node's empty 400.
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason, code, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'headers_too_large', 'The request headers are too large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'request_timeout', 'The request did not arrive in time']
          : [400, 'Bad Request', 'malformed_request', 'The request is not valid HTTP: a header value holds a control character or a line break HTTP does not allow (Idempotency-Key takes visible ASCII only)'];
    const requestId = randomUUID();
    const body = JSON.stringify({ error: { code, message, details: [], correlationId: requestId } });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\napigw-requestid: ${requestId}\r\n` +
        `${CORRELATION_HEADER}: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  return { server, routes };
}

async function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > GATEWAY_MAX_BODY_BYTES) {
    request.resume();
    return 'too-large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY_BYTES) {
      request.resume();
      return 'too-large';
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toEvent(
  request: IncomingMessage,
  url: URL,
  method: string,
  body: Buffer,
  route: LocalRoute,
  pathParameters: Record<string, string>,
  requestId: string,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const cookies = request.headers.cookie?.split(/;\s*/).filter(Boolean);
  const textual = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? 'application/json');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      domainName: headers['host'] ?? 'localhost',
      domainPrefix: (headers['host'] ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !textual,
  };
}

/** API Gateway's payload 2.0 response mapping, including its inference for bare return values. */
function writeResult(response: ServerResponse, result: unknown, requestId: string): void {
  const structured: APIGatewayProxyStructuredResultV2 =
    result && typeof result === 'object' && 'statusCode' in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : { statusCode: 200, headers: { 'content-type': 'application/json' }, body: typeof result === 'string' ? result : JSON.stringify(result) };
  const headers: Record<string, string | string[]> = { 'apigw-requestid': requestId, ...(structured.headers as Record<string, string>) };
  if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
  if (!Object.keys(headers).some((h) => h.toLowerCase() === CORRELATION_HEADER)) headers[CORRELATION_HEADER] = requestId;
  response.writeHead(structured.statusCode ?? 200, headers);
  response.end(structured.body ? Buffer.from(structured.body, structured.isBase64Encoded ? 'base64' : 'utf8') : undefined);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** An answer of the runtime itself (not of a function), in the OMS error body, with the request's correlation id. */
function writeError(
  response: ServerResponse,
  status: number,
  error: { code: string; message: string; details?: { in?: string; path: string; message: string }[] },
  ids: { requestId: string; correlationId: string },
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json', 'apigw-requestid': ids.requestId, [CORRELATION_HEADER]: ids.correlationId, ...headers });
  response.end(JSON.stringify({ error: { code: error.code, message: error.message, details: error.details ?? [], correlationId: ids.correlationId } }));
}
