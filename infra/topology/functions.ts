import { operations } from '#shared/http/operations.ts';
import type { Operation } from '#shared/http/operation.ts';

/**
 * Every Lambda function of the OMS, described once. The stateless stack
 * deploys one function per entry (with the permissions listed in `access`);
 * the local runtime imports the same `entry` module and calls its `handler`.
 */
export type Access = 'table:read' | 'table:write' | 'mail:send';

export interface FunctionSpec {
  /** Handler module, relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  /** HTTP functions serve exactly one operation of the API contract. */
  http?: Operation;
  access: Access[];
  memoryMb?: number;
  timeoutSeconds?: number;
}

export const functions = {
  health: { entry: 'functions/system/health.ts', description: 'GET /health', http: operations.getHealth, access: [] },
  openApi: {
    entry: 'functions/system/openapi.ts',
    description: 'GET /openapi.json',
    http: operations.getOpenApi,
    access: [],
  },
  routeNotFound: {
    entry: 'functions/system/route-not-found.ts',
    description: 'JSON 404 for unknown routes',
    http: operations.routeNotFound,
    access: [],
  },
  putLocation: {
    entry: 'functions/locations/put-location.ts',
    description: 'PUT /v1/locations/{locationId}',
    http: operations.putLocation,
    access: ['table:write'],
  },
  getLocation: {
    entry: 'functions/locations/get-location.ts',
    description: 'GET /v1/locations/{locationId}',
    http: operations.getLocation,
    access: ['table:read'],
  },
  listLocations: {
    entry: 'functions/locations/list-locations.ts',
    description: 'GET /v1/locations',
    http: operations.listLocations,
    access: ['table:read'],
  },
  putChannel: {
    entry: 'functions/channels/put-channel.ts',
    description: 'PUT /v1/channels/{channelId}',
    http: operations.putChannel,
    access: ['table:write'],
  },
  getChannel: {
    entry: 'functions/channels/get-channel.ts',
    description: 'GET /v1/channels/{channelId}',
    http: operations.getChannel,
    access: ['table:read'],
  },
  listChannels: {
    entry: 'functions/channels/list-channels.ts',
    description: 'GET /v1/channels',
    http: operations.listChannels,
    access: ['table:read'],
  },
  publishOutboxEvents: {
    entry: 'functions/outbox/publish-outbox-events.ts',
    description: 'Outbox pipe enrichment: stored outbox items to bus entries',
    access: [],
  },
  assessLocationReadiness: {
    entry: 'functions/workflows/assess-location-readiness.ts',
    description: 'location-readiness workflow: assess and record readiness',
    access: ['table:write'],
  },
  notifyLocationNeedsAttention: {
    entry: 'functions/workflows/notify-location-needs-attention.ts',
    description: 'location-readiness workflow: e-mail operations',
    access: ['mail:send'],
  },
  sendOpsDigest: {
    entry: 'functions/ops/send-ops-digest.ts',
    description: 'Daily operations digest e-mail',
    access: ['table:read', 'mail:send'],
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof functions;

export const functionNames = Object.keys(functions) as FunctionName[];

/** Functions that serve an HTTP route, with their operation. */
export function httpFunctions(): { name: FunctionName; operation: Operation }[] {
  return functionNames.flatMap((name) => {
    const spec: FunctionSpec = functions[name];
    return spec.http ? [{ name, operation: spec.http }] : [];
  });
}
