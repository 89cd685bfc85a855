import { returnPolicyRepository } from '#shared/adapters/dependencies.ts';
import { etag, httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getReturnPolicy } from '#shared/use-cases/returns.ts';

const deps = { policies: returnPolicyRepository() };

export const handler = httpHandler(operations.getReturnPolicy, async ({ params }) => {
  const policy = await getReturnPolicy(deps, params.policyId);
  return { status: 200, body: policy, headers: etag(policy.version) };
});
