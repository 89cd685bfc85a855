import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventCatalog, inboundEvents } from '#events/catalog.ts';
import { eventJsonSchema } from '#events/json-schema.ts';
import { buildOpenApi } from '#shared/http/openapi.ts';
import { operations } from '#shared/http/operations.ts';
import { queues } from '#infra/topology/queues.ts';
import { rules, type RuleSpec } from '#infra/topology/rules.ts';

/**
 * Writes the generated reference docs: docs/openapi.json (from the API
 * contract's zod schemas), docs/events/<DetailType>.v<N>.schema.json (from
 * the event modules), and the event catalog and rule tables inside
 * docs/events.md (between `<!-- generated:NAME -->` markers). Tests fail when
 * the committed files drift from the code.
 */
export function openApiDocument() {
  return buildOpenApi(Object.values(operations), { title: 'Serverless OMS', version: '1' });
}

export function eventSchemaFiles(): Record<string, unknown> {
  return Object.fromEntries(
    [...eventCatalog, ...inboundEvents].map((event) => [`${event.detailType}.v${event.version}.schema.json`, eventJsonSchema(event, 'draft-2020-12')]),
  );
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function target(rule: RuleSpec): string {
  if ('workflow' in rule.target) return `workflow \`${rule.target.workflow}\``;
  if ('queue' in rule.target) return `queue \`${rule.target.queue}\` → \`${queues[rule.target.queue].consumer}\` (the event's \`detail\`)`;
  return `function \`${rule.target.function}\``;
}

function pattern(rule: RuleSpec): string {
  const { 'detail-type': detailType, detail } = rule.pattern as { 'detail-type': string[]; detail?: unknown };
  return `\`${detailType.join(', ')}\`${detail ? ` with \`${JSON.stringify(detail)}\`` : ''}`;
}

/** Generated markdown sections, by file and marker. */
export function markdownSections(): Record<string, Record<string, string>> {
  return {
    'events.md': {
      'event-catalog': [
        '| detail-type | source | version | published when | schema |',
        '| --- | --- | --- | --- | --- |',
        ...[...eventCatalog, ...inboundEvents].map(
          (e) => `| \`${e.detailType}\` | \`${e.source}\` | ${e.version} | ${cell(e.description)} | [schema](events/${e.detailType}.v${e.version}.schema.json) |`,
        ),
      ].join('\n'),
      rules: [
        '| rule | pattern | target | delivery |',
        '| --- | --- | --- | --- |',
        ...rules.map(
          (r) => `| \`${r.id}\` | ${pattern(r)} | ${target(r)} — ${cell(r.description)} | ${r.retryAttempts} retries, max age ${r.maxEventAgeSeconds >= 3600 ? `${r.maxEventAgeSeconds / 3600} h` : `${r.maxEventAgeSeconds} s`} |`,
        ),
      ].join('\n'),
    },
  };
}

/** `text` with each generated section replaced by its current content. */
export function withSections(text: string, sections: Record<string, string>): string {
  let result = text;
  for (const [name, content] of Object.entries(sections)) {
    const start = `<!-- generated:${name} -->`;
    const end = `<!-- /generated:${name} -->`;
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (from < 0 || to < from) throw new Error(`Missing ${start} … ${end}`);
    result = `${result.slice(0, from + start.length)}\n${content}\n${result.slice(to)}`;
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const docs = resolve(fileURLToPath(import.meta.url), '../../docs');
  mkdirSync(resolve(docs, 'events'), { recursive: true });
  writeFileSync(resolve(docs, 'openapi.json'), `${JSON.stringify(openApiDocument(), null, 2)}\n`);
  for (const [file, schema] of Object.entries(eventSchemaFiles())) {
    writeFileSync(resolve(docs, 'events', file), `${JSON.stringify(schema, null, 2)}\n`);
  }
  for (const [file, sections] of Object.entries(markdownSections())) {
    const path = resolve(docs, file);
    writeFileSync(path, withSections(readFileSync(path, 'utf8'), sections));
  }
  console.log(`Wrote docs/openapi.json, ${eventCatalog.length + inboundEvents.length} event schemas in docs/events/ and the generated tables in ${Object.keys(markdownSections()).join(', ')}`);
}
