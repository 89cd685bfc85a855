import { returnDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { createReturnLabel } from '#shared/use-cases/returns.ts';
import { ReturnStep, returnCorrelation, returnStepActor } from './step-input.ts';

const deps = returnDeps();

/** returnApproved workflow: the return label from the carrier port. */
export const handler = taskHandler(ReturnStep, (input) => createReturnLabel(deps, { returnId: input.returnId, ...returnStepActor('returnApproved', input) }), { correlationId: returnCorrelation });
