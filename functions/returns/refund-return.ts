import { returnDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { refundReturn } from '#shared/use-cases/returns.ts';
import { ReturnStep, returnCorrelation, returnStepActor } from './step-input.ts';

const deps = returnDeps();

/** returnReceived workflow: refund what came back (issueRefund, key return:<returnId>). */
export const handler = taskHandler(ReturnStep, (input) => refundReturn(deps, { returnId: input.returnId, ...returnStepActor('returnReceived', input) }), { correlationId: returnCorrelation });
