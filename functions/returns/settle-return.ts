import { returnDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { settleReturn } from '#shared/use-cases/returns.ts';
import { ReturnStep, returnCorrelation, returnStepActor } from './step-input.ts';

const deps = returnDeps();

/** returnReceived workflow: restock / write off, refund (issueRefund, key return:<returnId>) and close, with one write of the return. */
export const handler = taskHandler(ReturnStep, (input) => settleReturn(deps, { returnId: input.returnId, ...returnStepActor('returnReceived', input) }), { correlationId: returnCorrelation });
