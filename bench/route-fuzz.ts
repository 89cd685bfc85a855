import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import * as z from 'zod';
import { repoRoot } from '#infra/paths.ts';
import { functions, type FunctionSpec } from '#infra/topology/functions.ts';
import type { Operation } from '#shared/http/operation.ts';
import { apiEvent, lambdaContext } from '../test/support/api-events.ts';
import { writeRecorder } from './write-recorder.ts';

/**
 * The route fuzzer of the fault campaign: every `/v1` operation of the
 * contract (each HTTP function's `http` operation) called with path
 * parameters, query strings, headers and bodies that fast-check draws —
 * arbitrary JSON, objects with the body schema's own field names holding
 * arbitrary values, text that is not JSON — straight into the function's
 * handler, as API Gateway would call it. Properties: the answer is never a
 * 5xx, and an answer of 4xx wrote nothing (every DynamoDB write the handler's
 * shared client completes during the call is seen, by async context, so
 * background work of earlier calls is not mistaken for it).
 *
 * Needs the handlers' environment: run it inside a started local runtime.
 */

export interface RouteFuzzFinding {
  operationId: string;
  kind: '5xx' | 'partial-write';
  status: number;
  request: unknown;
  writes?: string[];
  body?: string;
}

export interface RouteFuzzResult {
  routes: number;
  casesPerRoute: number;
  cases: number;
  serverErrors: number;
  partialWrites: number;
  findings: RouteFuzzFinding[];
  statuses: Record<string, number>;
}

/** Per fuzz case, the writes the handlers' client completed inside it. */
const writes = writeRecorder('omsRouteFuzzWrites', (command) => [command.replace(/Command$/, '')]);

/** Top-level field names of a body schema (through unions), so drawn objects reach past "not an object". */
function fieldNames(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  try {
    const json = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as { properties?: Record<string, unknown>; oneOf?: unknown[]; anyOf?: unknown[] };
    const names = new Set(Object.keys(json.properties ?? {}));
    for (const variant of [...(json.oneOf ?? []), ...(json.anyOf ?? [])] as { properties?: Record<string, unknown> }[]) for (const name of Object.keys(variant.properties ?? {})) names.add(name);
    return [...names];
  } catch {
    return [];
  }
}

function shapeKeys(schema: z.ZodObject | undefined): string[] {
  return schema ? Object.keys(schema.shape) : [];
}

/** A path segment as API Gateway hands it (decoded, non-empty, no slash). */
const segment = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes('/')),
  fc.constantFrom('wh-east', 'web-chaos', 'TEE-ORG-M-BLK', '01ARZ3NDEKTSV4RRFFQ69G5FAV', 'default', '0', '-1', 'x'.repeat(300)),
);
const scalarText = fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String), fc.constantFrom('', 'true', 'null', '2026-12-01T00:00:00.000Z', 'failed', '-1', '1e309'));

function requestArbitrary(operation: Operation) {
  const params = (operation.path.match(/\{([^}+]+)\+?\}/g) ?? []).map((p) => p.replace(/[{}+]/g, ''));
  const bodyFields = fieldNames(operation.body);
  const queryKeys = shapeKeys(operation.query);
  const headerKeys = shapeKeys(operation.headers as z.ZodObject | undefined);
  const body = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    bodyFields.length > 0
      ? fc.dictionary(fc.constantFrom(...bodyFields), fc.jsonValue({ maxDepth: 3 }), { maxKeys: bodyFields.length }).map((v) => JSON.stringify(v))
      : fc.constant('{}'),
    fc.string({ maxLength: 60 }),
  );
  return fc.record({
    pathParameters: fc.tuple(...params.map(() => segment)).map((values) => Object.fromEntries(params.map((p, i) => [p, values[i] as string]))),
    query: queryKeys.length > 0 ? fc.dictionary(fc.constantFrom(...queryKeys), scalarText, { maxKeys: queryKeys.length }) : fc.constant({}),
    headers: headerKeys.length > 0 ? fc.dictionary(fc.constantFrom(...headerKeys), scalarText, { maxKeys: headerKeys.length }) : fc.constant({}),
    body: operation.method === 'GET' || operation.method === 'DELETE' ? fc.constant(undefined) : fc.option(body, { nil: undefined, freq: 8 }),
  });
}

/** The `/v1` operations and their function specs. */
export function v1Routes(): { name: string; spec: FunctionSpec; operation: Operation }[] {
  return Object.entries(functions as Record<string, FunctionSpec>)
    .filter(([, spec]) => spec.http?.path.startsWith('/v1'))
    .map(([name, spec]) => ({ name, spec, operation: spec.http as Operation }))
    .sort((a, b) => a.operation.operationId.localeCompare(b.operation.operationId));
}

/**
 * Fuzzes every `/v1` route with `casesPerRoute` drawn requests, authenticated
 * with `token`. Findings are collected (at most 5 per route), not thrown.
 */
export async function fuzzRoutes(options: { token: string; casesPerRoute: number; seed?: number; log?: (line: string) => void; only?: (operationId: string) => boolean }): Promise<RouteFuzzResult> {
  const result: RouteFuzzResult = { routes: 0, casesPerRoute: options.casesPerRoute, cases: 0, serverErrors: 0, partialWrites: 0, findings: [], statuses: {} };
  for (const { spec, operation } of v1Routes()) {
    if (options.only && !options.only(operation.operationId)) continue;
    const module = (await import(pathToFileURL(join(repoRoot, spec.entry)).href)) as { handler: (event: unknown, context: unknown) => Promise<APIGatewayProxyStructuredResultV2> };
    result.routes++;
    let found = 0;
    await fc.assert(
      fc.asyncProperty(requestArbitrary(operation), async (request) => {
        const path = operation.path.replace(/\{([^}+]+)\+?\}/g, (_, name: string) => encodeURIComponent(request.pathParameters[name] ?? ''));
        const event = apiEvent({
          method: operation.method,
          path,
          routeKey: `${operation.method} ${operation.path}`,
          pathParameters: request.pathParameters,
          query: request.query,
          headers: { authorization: `Bearer ${options.token}`, ...request.headers },
          ...(request.body === undefined ? {} : { body: request.body }),
        });
        const store = { writes: [] as string[] };
        const answer = await writes.during(store.writes, () => module.handler(event, lambdaContext(operation.operationId)));
        const status = answer.statusCode ?? 200;
        result.cases++;
        const bucket = `${Math.floor(status / 100)}xx`;
        result.statuses[bucket] = (result.statuses[bucket] ?? 0) + 1;
        if (status >= 500) result.serverErrors++;
        else if (status >= 400 && store.writes.length > 0) result.partialWrites++;
        else return;
        if (found++ < 5) {
          result.findings.push({
            operationId: operation.operationId,
            kind: status >= 500 ? '5xx' : 'partial-write',
            status,
            request,
            ...(store.writes.length > 0 ? { writes: store.writes } : {}),
            body: String(answer.body ?? '').slice(0, 300),
          });
        }
      }),
      { numRuns: options.casesPerRoute, ...(options.seed === undefined ? {} : { seed: options.seed }), endOnFailure: false },
    );
    options.log?.(`  fuzz ${operation.operationId}: ${options.casesPerRoute} cases${found ? `, ${found} findings` : ''}`);
  }
  return result;
}
