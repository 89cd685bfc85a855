import { routingDeps } from '#shared/adapters/dependencies.ts';
import { etag, httpHandler, ifMatchVersion } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { putRuleSet } from '#shared/use-cases/routing.ts';

const deps = routingDeps();

export const handler = httpHandler(operations.putRoutingRules, async ({ params, body, headers, correlationId, principal }) => {
  const { ruleSet, change, warnings } = await putRuleSet(deps, { ruleSetId: params.ruleSetId, input: body, ifMatch: ifMatchVersion(headers), actor: principal.id, correlationId });
  return { status: change === 'created' ? 201 : 200, body: { ruleSet, warnings }, headers: etag(ruleSet.version) };
});
