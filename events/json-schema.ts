import * as z from 'zod';
import type { EventDefinition } from './define.ts';

/**
 * JSON Schema of an event's `detail`: draft 2020-12 for the docs, draft 4 for
 * the EventBridge Schema Registry (the newest dialect it accepts).
 * Objects allow additional properties: a version only ever gains fields, so
 * consumers must ignore the ones they do not know.
 */
export function eventJsonSchema(event: EventDefinition<z.ZodType>, target: 'draft-2020-12' | 'draft-4'): Record<string, unknown> {
  const schema = z.toJSONSchema(event.detail, {
    target,
    io: 'output',
    unrepresentable: 'any',
    override: ({ jsonSchema }) => {
      if (jsonSchema.additionalProperties === false) delete jsonSchema.additionalProperties;
    },
  }) as Record<string, unknown>;
  return {
    ...schema,
    title: event.detailType,
    description: `${event.description} (source ${event.source}, version ${event.version})`,
    'x-oms-event': { source: event.source, detailType: event.detailType, version: event.version },
  };
}
