import * as z from 'zod';
import { invoiceDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { issueInvoice } from '#shared/use-cases/invoices.ts';
import { StepInput, correlationOf, stepActor } from './step-input.ts';

const deps = invoiceDeps();

/** completeShipment workflow: the invoice for this shipment (or for the order once it has fully shipped). */
export const handler = taskHandler(
  StepInput.extend({ shipmentId: z.string(), lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) })), orderStatus: z.string() }),
  (input) => issueInvoice(deps, { orderId: input.orderId, shipmentId: input.shipmentId, lines: input.lines, orderStatus: input.orderStatus, ...stepActor('completeShipment', input) }),
  { correlationId: correlationOf },
);
