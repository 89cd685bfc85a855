import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventCatalog } from '#events/catalog.ts';
import { eventJsonSchema } from '#events/json-schema.ts';
import { buildOpenApi } from '#shared/http/openapi.ts';
import { operations } from '#shared/http/operations.ts';

/**
 * Writes the generated reference docs: docs/openapi.json (from the API
 * contract's zod schemas) and docs/events/<DetailType>.v<N>.schema.json (from
 * the event modules). Tests fail when the committed files drift from the code.
 */
export function openApiDocument() {
  return buildOpenApi(Object.values(operations), { title: 'Serverless OMS', version: '1' });
}

export function eventSchemaFiles(): Record<string, unknown> {
  return Object.fromEntries(
    eventCatalog.map((event) => [`${event.detailType}.v${event.version}.schema.json`, eventJsonSchema(event, 'draft-2020-12')]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const docs = resolve(fileURLToPath(import.meta.url), '../../docs');
  mkdirSync(resolve(docs, 'events'), { recursive: true });
  writeFileSync(resolve(docs, 'openapi.json'), `${JSON.stringify(openApiDocument(), null, 2)}\n`);
  for (const [file, schema] of Object.entries(eventSchemaFiles())) {
    writeFileSync(resolve(docs, 'events', file), `${JSON.stringify(schema, null, 2)}\n`);
  }
  console.log(`Wrote docs/openapi.json and ${eventCatalog.length} event schemas in docs/events/`);
}
