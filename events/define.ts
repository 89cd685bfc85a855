import * as z from 'zod';
import { newId } from '#shared/domain/ids.ts';

/**
 * Every OMS event is one module in events/ built with defineEvent: its
 * EventBridge `detail-type` and `source`, a contract version, and the zod
 * schema of its data. Producers create events through it (so a malformed
 * event cannot be written), rules build their patterns from it, consumers
 * parse with it, and JSON Schemas for the registry and docs are generated
 * from it.
 *
 * The EventBridge `detail` is an envelope: `{ metadata, data }`.
 * - `metadata.eventVersion` is the contract version of `data`. Additive
 *   changes keep the version; a breaking change publishes a new version side
 *   by side until consumers move, and rules can match on it.
 * - `metadata.correlationId` follows one request through events and workflows.
 */

/**
 * `oms.*`: published by the OMS. `wms.<wmsId>`: sent to the OMS bus by a
 * warehouse system (inbound), each with its own id (shared/domain/wms.ts);
 * the value here is that family, rules match it by the prefix `wms.`.
 */
export const EventSource = z.enum(['oms.locations', 'oms.channels', 'oms.orders', 'oms.inventory', 'oms.fulfillment', 'wms.<wmsId>']);
export type EventSource = z.infer<typeof EventSource>;

export const EventMetadata = z
  .object({
    eventId: z.string().meta({ description: 'Unique id (ULID); consumers de-duplicate on it.' }),
    eventVersion: z.number().int().min(1),
    occurredAt: z.iso.datetime(),
    correlationId: z.string().optional(),
    actor: z.string().meta({ description: 'Who or what caused the change: `api`, `workflow:<name>`, `channel:<id>`.' }),
  })
  .meta({ id: 'EventMetadata' });
export type EventMetadata = z.infer<typeof EventMetadata>;

/** What the transactional outbox stores and the pipe publishes. */
export interface OutboxEvent {
  eventId: string;
  source: EventSource;
  detailType: string;
  detail: { metadata: EventMetadata; data: unknown };
}

export interface EventContext {
  occurredAt: Date;
  actor: string;
  correlationId?: string | undefined;
  /** A deterministic id, for events derived from something that can be delivered twice (a stream record). */
  eventId?: string;
}

export interface EventDefinition<D extends z.ZodType> {
  readonly detailType: string;
  readonly source: EventSource;
  readonly version: number;
  readonly description: string;
  readonly data: D;
  /** Schema of the whole `detail` envelope. */
  readonly detail: z.ZodObject<{ metadata: typeof EventMetadata; data: D }>;
  create(data: z.input<D>, context: EventContext): OutboxEvent;
  /** Parses an EventBridge `detail`; throws a ZodError if it is not this event. */
  parse(detail: unknown): { metadata: EventMetadata; data: z.output<D> };
  /** Event pattern that matches this event (and optionally narrower `detail` fields). */
  pattern(detail?: Record<string, unknown>): EventPattern;
}

/** An EventBridge event pattern in its JSON form (`detail-type`, not `detailType`). */
export type EventPattern = Record<string, unknown>;

export function defineEvent<D extends z.ZodType>(spec: {
  detailType: string;
  source: EventSource;
  version: number;
  description: string;
  data: D;
}): EventDefinition<D> {
  const detail = z.object({ metadata: EventMetadata, data: spec.data }).meta({
    id: spec.detailType,
    title: spec.detailType,
    description: spec.description,
  });
  return {
    ...spec,
    detail,
    create(data, context) {
      const metadata: EventMetadata = {
        eventId: context.eventId ?? newId(),
        eventVersion: spec.version,
        occurredAt: context.occurredAt.toISOString(),
        actor: context.actor,
        ...(context.correlationId ? { correlationId: context.correlationId } : {}),
      };
      return {
        eventId: metadata.eventId,
        source: spec.source,
        detailType: spec.detailType,
        detail: { metadata, data: spec.data.parse(data) },
      };
    },
    parse(value) {
      return detail.parse(value) as { metadata: EventMetadata; data: z.output<D> };
    },
    pattern(narrow) {
      return {
        source: [spec.source],
        'detail-type': [spec.detailType],
        ...(narrow ? { detail: narrow } : {}),
      };
    },
  };
}
