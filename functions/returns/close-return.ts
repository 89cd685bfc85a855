import { returnDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { closeReturn } from '#shared/use-cases/returns.ts';
import { ReturnStep, returnCorrelation, returnStepActor } from './step-input.ts';

const deps = returnDeps();

/** returnReceived workflow: a return whose stock and money are settled is closed. */
export const handler = taskHandler(ReturnStep, (input) => closeReturn(deps, { returnId: input.returnId, ...returnStepActor('returnReceived', input) }), { correlationId: returnCorrelation });
