import { beforeAll, describe, expect, it } from 'vitest';
import type { LambdaHost } from '#infra/local/lambda-host.ts';
import { LocalStepFunctions } from '#infra/local/step-functions.ts';
import { synthesizeWorkflowDefinitions, type LocalWorkflowDefinition } from '#infra/local/workflow-definitions.ts';
import { asynchronousFunctions } from '#infra/topology/async-invocations.ts';
import type { FunctionName } from '#infra/topology/functions.ts';
import type { WorkflowName } from '#infra/topology/workflows.ts';

/**
 * Express executions cannot be redriven, so a customer-message step whose
 * retries are spent must not end the execution with the message lost: the
 * synthesized workflows catch it and hand the same input to the function
 * with InvocationType Event (Lambda's retries, then FailedInvocations). Run
 * on the very definitions CDK deploys, with the steps' functions stubbed.
 */
let definitions: Map<WorkflowName, LocalWorkflowDefinition>;

beforeAll(() => {
  definitions = synthesizeWorkflowDefinitions();
}, 120_000);

const MESSAGE_STEPS = [
  ['fulfillOrder', 'NotifyOrderConfirmed', 'notifyCustomer'],
  ['completeShipment', 'NotifyShipped', 'notifyCustomer'],
  ['returnApproved', 'NotifyReturnApproved', 'notifyReturn'],
  ['returnReceived', 'NotifyReturnReceived', 'notifyReturn'],
] as const;

describe('customer-message steps of the workflows', () => {
  it('each catches a step that failed every retry into an asynchronous invocation of the same function with the same input, whose function has an on-failure destination', () => {
    for (const [workflow, state, fn] of MESSAGE_STEPS) {
      const definition = definitions.get(workflow);
      const step = definition?.asl.States[state] as { Catch?: { ErrorEquals: string[]; Next: string }[]; Parameters?: Record<string, unknown> } | undefined;
      expect(step?.Catch, `${workflow}.${state}`).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: `${state}Later` })]);
      const later = definition?.asl.States[`${state}Later`] as { Parameters?: Record<string, unknown> } | undefined;
      expect(later?.Parameters?.['InvocationType']).toBe('Event');
      expect(later?.Parameters?.['Payload']).toEqual(step?.Parameters);
      expect(definition?.tasks[`${state}Later`]).toBe(fn);
      expect(definition?.eventTasks).toContain(`${state}Later`);
      expect(asynchronousFunctions()).toContain(fn);
    }
  });

  it('a shipment whose message step keeps failing: the execution succeeds (capture and invoice done) and the message goes to the function asynchronously, once', async () => {
    const calls: Record<string, number> = {};
    const lambdas = {
      invoke: async (fn: FunctionName) => {
        calls[fn] = (calls[fn] ?? 0) + 1;
        if (fn === 'capturePayment') return { outcome: 'captured', amount: 1000 };
        if (fn === 'issueInvoice') return { outcome: 'issued', invoiceId: 'inv-1' };
        if (fn === 'notifyCustomer') throw Object.assign(new Error('SES is unavailable'), { name: 'MessageRejected' });
        throw new Error(`unexpected ${fn}`);
      },
    } as unknown as LambdaHost;
    const handedOn: { fn: FunctionName; payload: unknown; invokedBy: string }[] = [];
    const workflows = new LocalStepFunctions(definitions, lambdas, (fn, payload, invokedBy) => void handedOn.push({ fn, payload, invokedBy }));
    const event = { detail: { data: { orderId: 'ord-1', shipmentId: 'shp-1', lines: [{ sku: 'A', quantity: 1 }], orderStatus: 'shipped' }, metadata: { eventId: 'e-1' } } };
    const execution = await workflows.execute('completeShipment', event, { retryWaitMs: 0 });
    await workflows.stop();
    expect(execution.status).toBe('SUCCEEDED');
    expect(calls).toEqual({ capturePayment: 1, issueInvoice: 1, notifyCustomer: 4 });
    expect(handedOn).toEqual([
      { fn: 'notifyCustomer', payload: { orderId: 'ord-1', metadata: { eventId: 'e-1' }, shipmentId: 'shp-1', template: 'shipped' }, invokedBy: 'workflow:completeShipment/NotifyShippedLater' },
    ]);
  });
});
