import { createHmac, timingSafeEqual } from 'node:crypto';
import { carrierWebhookSecret, carriers, trackingDeps } from '#shared/adapters/dependencies.ts';
import { NotFoundError, UnauthorizedError, ValidationError } from '#shared/domain/errors.ts';
import { parseJson } from '#shared/domain/json.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { recordTracking } from '#shared/use-cases/tracking.ts';

const deps = trackingDeps();
const secret = carrierWebhookSecret();
const known = new Set(carriers().carrierIds());

/** Signature first (401), then JSON (400) and schema (422): nothing unsigned is even parsed. */
export const handler = httpHandler(operations.receiveCarrierWebhook, async ({ params, headers, rawBody }) => {
  if (!known.has(params.carrierId)) throw new NotFoundError(`Unknown carrier ${params.carrierId}`);
  const given = /^sha256=([0-9a-f]{64})$/i.exec(headers['x-carrier-signature']?.trim() ?? '')?.[1];
  const expected = createHmac('sha256', await secret()).update(rawBody).digest();
  if (!given || !timingSafeEqual(Buffer.from(given, 'hex'), expected)) throw new UnauthorizedError('Missing or wrong X-Carrier-Signature');
  const parsed = operations.receiveCarrierWebhook.signedBody.safeParse(parseJson(rawBody.toString('utf8')));
  if (!parsed.success) {
    throw new ValidationError(
      'The body is not a tracking update',
      parsed.error.issues.map((issue) => ({ in: 'body' as const, path: issue.path.map(String).join('.'), message: issue.message, code: issue.code })),
    );
  }
  return { status: 200, body: await recordTracking(deps, { carrierId: params.carrierId, ...parsed.data }) };
});
