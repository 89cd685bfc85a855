import { validated } from '#shared/channels/deliveries.ts';
import type { Channel } from '#shared/domain/channel.ts';
import { CompliancePayload, complianceRequestOf, type ComplianceTopic } from '#shared/domain/compliance.ts';
import { UnauthorizedError } from '#shared/domain/errors.ts';
import { parseJson } from '#shared/domain/json.ts';
import type { ComplianceRepository } from '#shared/ports.ts';

/**
 * What a verified compliance webhook stores before it is acknowledged
 * (shared/use-cases/compliance.ts acts on it after): the request with ids
 * only, the e-mail turned into the customer id. 422 naming the fields when
 * the body is not the topic's; 401 when the signed body names another shop
 * than the channel's (the shop-domain header is not signed, the body is).
 * `duplicate` for a redelivery or a replay of the same body (the request id
 * is a digest of topic and body).
 */
export async function storeComplianceRequest(
  deps: { compliance: Pick<ComplianceRepository, 'put'> },
  input: { channel: Pick<Channel, 'channelId' | 'settings'>; topic: ComplianceTopic; rawBody: Buffer; webhookId?: string | undefined; receivedAt: string },
): Promise<{ outcome: 'stored' | 'duplicate'; requestId: string }> {
  const schema = CompliancePayload[input.topic] as (typeof CompliancePayload)['shop/redact'];
  const body = validated(schema, parseJson(input.rawBody.toString('utf8')), `The body is not a Shopify ${input.topic} webhook`);
  const own = input.channel.settings['shopDomain'];
  if (typeof own !== 'string' || body.shop_domain.toLowerCase() !== own.toLowerCase()) {
    throw new UnauthorizedError(`The webhook's shop_domain (${body.shop_domain}) is not channel ${input.channel.channelId}'s shop`);
  }
  const request = complianceRequestOf({ ...input, channelId: input.channel.channelId, body });
  return { outcome: await deps.compliance.put(request), requestId: request.requestId };
}
