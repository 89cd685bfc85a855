import { createHash } from 'node:crypto';
import { draftFromDelivery, webhookAdapters } from '#shared/channels/deliveries.ts';
import { ChannelId } from '#shared/domain/channel.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { UnauthorizedError } from '#shared/domain/errors.ts';
import type { ChannelRepository, ComplianceRepository, InboxRepository } from '#shared/ports.ts';
import { storeComplianceRequest } from './store-compliance-request.ts';

export interface WebhookDeps {
  channels: Pick<ChannelRepository, 'getWithSecrets'>;
  inbox: InboxRepository;
  compliance: Pick<ComplianceRepository, 'put'>;
  clock: Clock;
}

export type WebhookOutcome =
  | { outcome: 'stored' | 'duplicate'; deliveryId: string; topic: string }
  | { outcome: 'ping' }
  | { outcome: 'ignored'; topic: string };

/** Headers worth keeping with the raw payload (the channel's own, which identify the delivery). */
const KEPT_HEADERS = /^(x-shopify-|x-wc-webhook-|content-type$|user-agent$)/;

/**
 * A channel's webhook, up to the moment it may be acknowledged: the channel
 * exists (404), the signature over the raw body is right and the delivery is
 * for the channel's own store (Shopify's shop domain) (401), the body is
 * JSON (400) and an order of that channel that the OMS can keep (422: the
 * same mapping capture runs, so what is acknowledged is captured), and the
 * raw delivery is durably in the inbox, once per body: the same signed body
 * again — the channel's retry, or a replay under a new delivery id — is a
 * `duplicate` that writes nothing. The order and its events are written
 * after, from the capture queue, so a burst never makes the channel wait. A
 * channel's unsigned ping (WooCommerce's, on saving a webhook) is answered
 * before the signature check, and stores nothing.
 */
export async function receiveWebhook(
  deps: WebhookDeps,
  request: { channelId: string; headers: Record<string, string | undefined>; rawBody: Buffer; correlationId?: string },
): Promise<WebhookOutcome> {
  const found = ChannelId.safeParse(request.channelId).success ? await deps.channels.getWithSecrets(request.channelId) : undefined;
  // An unknown channel, a channel that takes no webhooks and a wrong signature get the same 401: a caller without
  // the secret learns nothing about which channels exist.
  const adapter = found ? webhookAdapters[found.channel.type] : undefined;
  if (!found || !adapter) throw notAuthenticated();
  if (adapter.unsignedPing?.(request)) return { outcome: 'ping' };
  if (!adapter.verify(request, found.secrets)) throw notAuthenticated();
  const foreign = adapter.foreignSender?.(request, found.channel);
  if (foreign) throw new UnauthorizedError(foreign);
  const kind = adapter.classify(request);
  if (kind.kind === 'ping') return { outcome: 'ping' };
  if (kind.kind === 'ignored') return { outcome: 'ignored', topic: kind.topic };
  if (kind.kind === 'compliance') {
    // Shopify's privacy webhooks: stored as a compliance request (ids only), acted on from the compliance queue.
    const { outcome, requestId } = await storeComplianceRequest(deps, {
      channel: found.channel,
      topic: kind.topic,
      rawBody: request.rawBody,
      webhookId: kind.deliveryKey,
      receivedAt: deps.clock.now().toISOString(),
    });
    return { outcome, deliveryId: requestId, topic: kind.topic };
  }

  const text = request.rawBody.toString('utf8');
  draftFromDelivery({ channelId: found.channel.channelId, channelType: found.channel.type, body: text });
  // The signature covers the body, not the delivery id header: the item is keyed by the body's digest, so a captured
  // body sent again under a new delivery id is a duplicate like the channel's own retries (which resend the same body).
  const digest = bodyDigestKey(text);
  const deliveryId = kind.deliveryKey ?? digest;
  const stored = await deps.inbox.put({
    channelId: found.channel.channelId,
    channelType: found.channel.type,
    deliveryId,
    via: 'webhook',
    topic: kind.topic,
    receivedAt: deps.clock.now().toISOString(),
    headers: Object.fromEntries(
      Object.entries(request.headers).filter((entry): entry is [string, string] => entry[1] !== undefined && KEPT_HEADERS.test(entry[0])),
    ),
    contentType: request.headers['content-type'] ?? 'application/json',
    ...(request.correlationId ? { correlationId: request.correlationId } : {}),
    body: text,
  }, { dedupeKey: digest });
  return { outcome: stored, deliveryId, topic: kind.topic };
}

/**
 * The inbox key of a channel webhook's body: `sha256:` and the hex digest of
 * its UTF-8 bytes (the text the inbox and the order's source keep, so erasure
 * finds the item from the source it reads).
 */
export function bodyDigestKey(body: string): string {
  return `sha256:${createHash('sha256').update(body, 'utf8').digest('hex')}`;
}

function notAuthenticated(): UnauthorizedError {
  return new UnauthorizedError('The webhook could not be authenticated: check the URL (its channel id) and the signing secret configured for that channel');
}
