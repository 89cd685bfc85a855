import * as z from 'zod';
import { notificationDeps, returnDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { notifyCustomer } from '#shared/use-cases/notifications.ts';
import { returnMessageContext } from '#shared/use-cases/returns.ts';
import { ReturnStep, returnCorrelation } from './step-input.ts';

const deps = { ...notificationDeps(), ...returnDeps() };

/** Return workflows: `return_approved` (with the label) and `return_received`, once per return and channel (the message is about the return). */
export const handler = taskHandler(ReturnStep.extend({ template: z.enum(['return_approved', 'return_received']) }), async (input) => {
  const { record, context } = await returnMessageContext(deps, input.returnId);
  return notifyCustomer(deps, { orderId: record.orderId, template: input.template, about: input.returnId, context, actor: 'workflow' });
}, { correlationId: returnCorrelation });
