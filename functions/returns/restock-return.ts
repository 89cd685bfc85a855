import { returnDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { restockReturn } from '#shared/use-cases/returns.ts';
import { ReturnStep, returnCorrelation, returnStepActor } from './step-input.ts';

const deps = returnDeps();

/** returnReceived workflow: resellable units back to stock, damaged ones written off. */
export const handler = taskHandler(ReturnStep, (input) => restockReturn(deps, { returnId: input.returnId, ...returnStepActor('returnReceived', input) }), { correlationId: returnCorrelation });
