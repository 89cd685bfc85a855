import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOpenApi } from '#shared/http/openapi.ts';
import { operations } from '#shared/http/operations.ts';
import { openApiDocument } from '../../scripts/generate-docs.ts';

describe('OpenAPI', () => {
  const document = buildOpenApi(Object.values(operations), { title: 'Serverless OMS', version: '1' });

  it('documents every public operation once, with its security and errors', () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ path, method, op: op as Record<string, unknown> })),
    );
    const publicOperations = Object.values(operations).filter((o) => !('internal' in o && o.internal));
    expect(documented.map((d) => (d.op['operationId'] as string)).sort()).toEqual(publicOperations.map((o) => o.operationId).sort());
    const putLocation = document.paths['/v1/locations/{locationId}']?.['put'] as Record<string, unknown>;
    expect(putLocation['security']).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(putLocation['responses'] as object).sort()).toEqual(['200', '201', '400', '401', '403', '409', '412', '413', '415', '422']);
    // 415 (not JSON) on every operation with a JSON body, and on no webhook (they take what each channel sends).
    for (const operation of Object.values(operations)) {
      const responses = Object.keys((document.paths[operation.path]?.[operation.method.toLowerCase()] as { responses?: object } | undefined)?.responses ?? {});
      if (operation.path === '$default') continue;
      expect(responses.includes('415'), operation.operationId).toBe('body' in operation && operation.body !== undefined);
      // 403 (a scope or a channel/location limit) on every operation that takes a credential.
      expect(responses.includes('403'), operation.operationId).toBe(operation.auth === 'bearer');
    }
  });

  it('documents the HTML document of the invoices beside their JSON, and only there', () => {
    const contentTypes = (path: string) =>
      Object.keys(((document.paths[path]?.['get'] as { responses: Record<string, { content?: object }> }).responses['200']?.content ?? {}) as object);
    expect(contentTypes('/v1/invoices/{invoiceId}')).toEqual(['application/json', 'text/html']);
    expect(contentTypes('/v1/invoices')).toEqual(['application/json', 'text/html']);
    expect(contentTypes('/v1/orders/{orderId}')).toEqual(['application/json']);
  });

  it('resolves every $ref to a component', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(document.components.schemas).toHaveProperty(ref as string);
  });

  it('keeps secrets write-only: channel responses have no secret values', () => {
    const channel = document.components.schemas['Channel'] as { properties: Record<string, unknown> };
    expect(Object.keys(channel.properties)).toContain('secretsConfigured');
    expect(Object.keys(channel.properties)).not.toContain('secrets');
  });

  it('matches docs/openapi.json (run `npm run docs:generate` after changing the API)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')) as unknown;
    expect(committed).toEqual(openApiDocument());
  });
});
