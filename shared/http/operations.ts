import * as z from 'zod';
import { Channel, ChannelId, ChannelInput } from '#shared/domain/channel.ts';
import { Location, LocationId, LocationInput } from '#shared/domain/location.ts';
import { defineOperation } from './operation.ts';

/** The OMS HTTP API contract. Every route CDK deploys and the local runtime serves is listed here. */

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: 'Page size (1-100).' }),
  cursor: z.string().min(1).max(2048).optional().meta({ description: '`nextCursor` of the previous page.' }),
});

function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z.string().optional().meta({ description: 'Present when there are more items.' }),
    })
    .meta({ id });
}

export const HealthBody = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

export const operations = {
  getHealth: defineOperation({
    operationId: 'getHealth',
    method: 'GET',
    path: '/health',
    auth: 'none',
    summary: 'Liveness check',
    tags: ['System'],
    responses: { 200: { description: 'The API answers.', schema: HealthBody } },
    errors: [],
  }),
  getOpenApi: defineOperation({
    operationId: 'getOpenApi',
    method: 'GET',
    path: '/openapi.json',
    auth: 'none',
    summary: 'This API, as an OpenAPI 3.1 document',
    tags: ['System'],
    responses: { 200: { description: 'OpenAPI 3.1 document.' } },
    errors: [],
  }),
  routeNotFound: defineOperation({
    operationId: 'routeNotFound',
    method: 'ANY',
    path: '$default',
    auth: 'none',
    summary: 'Answers every request that matches no route with a JSON 404',
    tags: ['System'],
    responses: {},
    errors: [404],
    internal: true,
  }),

  putLocation: defineOperation({
    operationId: 'putLocation',
    method: 'PUT',
    path: '/v1/locations/{locationId}',
    auth: 'bearer',
    summary: 'Create or replace a location',
    description:
      'Idempotent: the same body again changes nothing and publishes nothing. Send `If-Match: "<version>"` to refuse the write if someone else changed the location since you read it.',
    tags: ['Locations'],
    params: z.object({ locationId: LocationId }),
    body: LocationInput,
    responses: {
      200: { description: 'Replaced, or unchanged.', schema: Location },
      201: { description: 'Created.', schema: Location },
    },
    errors: [400, 401, 409, 412, 413, 422],
  }),
  getLocation: defineOperation({
    operationId: 'getLocation',
    method: 'GET',
    path: '/v1/locations/{locationId}',
    auth: 'bearer',
    summary: 'Read a location',
    tags: ['Locations'],
    params: z.object({ locationId: z.string() }),
    responses: { 200: { description: 'The location; ETag is its version.', schema: Location } },
    errors: [401, 404],
  }),
  listLocations: defineOperation({
    operationId: 'listLocations',
    method: 'GET',
    path: '/v1/locations',
    auth: 'bearer',
    summary: 'List locations by id',
    tags: ['Locations'],
    query: ListQuery,
    responses: { 200: { description: 'One page of locations.', schema: pageOf(Location, 'LocationPage') } },
    errors: [401, 422],
  }),

  putChannel: defineOperation({
    operationId: 'putChannel',
    method: 'PUT',
    path: '/v1/channels/{channelId}',
    auth: 'bearer',
    summary: 'Create or replace a sales channel',
    description:
      'Secrets are write-only: they are stored apart from the channel, never returned and never logged. Omit them on later PUTs to keep them. The type of a channel cannot change (409).',
    tags: ['Channels'],
    params: z.object({ channelId: ChannelId }),
    body: ChannelInput,
    responses: {
      200: { description: 'Replaced, or unchanged.', schema: Channel },
      201: { description: 'Created.', schema: Channel },
    },
    errors: [400, 401, 409, 412, 413, 422],
  }),
  getChannel: defineOperation({
    operationId: 'getChannel',
    method: 'GET',
    path: '/v1/channels/{channelId}',
    auth: 'bearer',
    summary: 'Read a channel (without secrets)',
    tags: ['Channels'],
    params: z.object({ channelId: z.string() }),
    responses: { 200: { description: 'The channel; ETag is its version.', schema: Channel } },
    errors: [401, 404],
  }),
  listChannels: defineOperation({
    operationId: 'listChannels',
    method: 'GET',
    path: '/v1/channels',
    auth: 'bearer',
    summary: 'List channels by id',
    tags: ['Channels'],
    query: ListQuery,
    responses: { 200: { description: 'One page of channels.', schema: pageOf(Channel, 'ChannelPage') } },
    errors: [401, 422],
  }),
};

export type OperationId = keyof typeof operations;
