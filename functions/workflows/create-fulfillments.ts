import { fulfillmentDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { createFulfillments } from '#shared/use-cases/fulfillment.ts';
import { StepInput, correlationOf, stepActor } from './step-input.ts';

const deps = fulfillmentDeps();

/** fulfillOrder workflow: one fulfillment per location, each with its carrier label. */
export const handler = taskHandler(StepInput, (input) => createFulfillments(deps, { orderId: input.orderId, ...stepActor('fulfillOrder', input) }), { correlationId: correlationOf });
