import { routingRuleRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { listRuleSets } from '#shared/use-cases/routing.ts';

const deps = { rules: routingRuleRepository() };

export const handler = httpHandler(operations.listRoutingRules, async ({ query }) => ({ status: 200, body: await listRuleSets(deps, query) }));
