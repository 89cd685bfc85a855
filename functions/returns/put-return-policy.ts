import { returnDeps } from '#shared/adapters/dependencies.ts';
import { etag, httpHandler, ifMatchVersion } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { putReturnPolicy } from '#shared/use-cases/returns.ts';

const deps = returnDeps();

export const handler = httpHandler(operations.putReturnPolicy, async ({ params, body, headers, correlationId, principal }) => {
  const { policy, change } = await putReturnPolicy(deps, { policyId: params.policyId, input: body, ifMatch: ifMatchVersion(headers), actor: principal.id, correlationId });
  return { status: change === 'created' ? 201 : 200, body: policy, headers: etag(policy.version) };
});
