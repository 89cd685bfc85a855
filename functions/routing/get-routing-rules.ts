import { routingRuleRepository } from '#shared/adapters/dependencies.ts';
import { etag, httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getRuleSet } from '#shared/use-cases/routing.ts';

const deps = { rules: routingRuleRepository() };

export const handler = httpHandler(operations.getRoutingRules, async ({ params }) => {
  const ruleSet = await getRuleSet(deps, params.ruleSetId);
  return { status: 200, body: ruleSet, headers: etag(ruleSet.version) };
});
