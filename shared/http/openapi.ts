import * as z from 'zod';
import { ErrorBody } from './error-response.ts';
import type { Operation } from './operation.ts';

type JsonSchema = Record<string, unknown>;

const errorDescriptions: Record<number, string> = {
  400: 'Malformed JSON.',
  401: 'Missing or invalid bearer token (or webhook signature).',
  404: 'Unknown resource.',
  409: 'Conflicts with the current state.',
  412: 'If-Match does not name the current version.',
  413: 'Body over the size limit.',
  415: 'The body is not JSON: send `Content-Type: application/json` (parameters such as `charset=utf-8` allowed) or an `application/*+json` type.',
  422: 'Schema violation; `details` names every bad field.',
  502: 'The payment provider refused the call for good (`details` carry its code).',
  503: 'The payment provider could not answer now; retry (`Retry-After`), nothing is lost.',
};

/**
 * The OpenAPI 3.1 document of the API, generated from the same zod schemas the
 * handlers validate with (OpenAPI 3.1 schemas are JSON Schema 2020-12, which
 * zod emits natively). Schemas with a registered id become shared components.
 */
export function buildOpenApi(operations: readonly Operation[], info: { title: string; version: string }) {
  const components: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};

  const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const { $schema: _dialect, $defs, ...root } = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
    }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    for (const [id, definition] of Object.entries($defs ?? {})) {
      const rewritten = rewriteRefs(definition);
      const existing = components[id];
      if (existing && JSON.stringify(existing) !== JSON.stringify(rewritten)) {
        throw new Error(`Schema id ${id} has different input and output shapes; give them distinct ids`);
      }
      components[id] = rewritten;
    }
    return rewriteRefs(root);
  };

  for (const operation of operations) {
    if (operation.internal) continue;
    const parameters = [
      ...objectParameters(operation.params, 'path', schemaOf),
      ...objectParameters(operation.query, 'query', schemaOf),
      ...objectParameters(operation.headers, 'header', schemaOf),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(operation.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema
          ? {
              content: {
                'application/json': { schema: schemaOf(response.schema, 'output') },
                ...(response.html ? { 'text/html': { schema: { type: 'string' } } } : {}),
              },
            }
          : {}),
      };
    }
    for (const status of operation.errors) {
      responses[String(status)] = {
        description: errorDescriptions[status] ?? 'Error.',
        content: { 'application/json': { schema: schemaOf(ErrorBody, 'output') } },
      };
    }
    const requestBody = operation.body ?? operation.signedBody;
    const method = operation.method.toLowerCase();
    const pathItem = (paths[operation.path] ??= {});
    pathItem[method] = {
      operationId: operation.operationId,
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      tags: operation.tags,
      ...(operation.auth === 'bearer' ? { security: [{ bearerAuth: [] }] } : { security: [] }),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(requestBody ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(requestBody, 'input') } } } } : {}),
      responses,
    };
  }

  return {
    openapi: '3.1.0',
    info: { ...info, description: 'Serverless OMS API. Generated from the zod schemas in shared/; do not edit by hand.' },
    servers: [{ url: 'http://localhost:3000', description: 'Local runtime (npm start)' }],
    security: [{ bearerAuth: [] }],
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}

function objectParameters(
  schema: z.ZodObject | undefined,
  location: 'path' | 'query' | 'header',
  schemaOf: (schema: z.ZodType, io: 'input' | 'output') => JsonSchema,
) {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const fieldSchema = schemaOf(field as z.ZodType, 'input');
    const { description, ...rest } = fieldSchema;
    return {
      name,
      in: location,
      required: location === 'path' || !(field as z.ZodType).safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function rewriteRefs<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as T;
}
