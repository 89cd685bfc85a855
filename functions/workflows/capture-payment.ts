import * as z from 'zod';
import { paymentDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { capturePayment } from '#shared/use-cases/payments.ts';
import { StepInput, correlationOf, stepActor } from './step-input.ts';

const deps = paymentDeps();

/** completeShipment workflow: capture the shipped share of the order. */
export const handler = taskHandler(StepInput.extend({ shipmentId: z.string(), lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) })) }), (input) =>
  capturePayment(deps, { orderId: input.orderId, shipmentId: input.shipmentId, lines: input.lines, ...stepActor('completeShipment', input) }),
  { correlationId: correlationOf },
);
