/**
 * Step Functions state machines. Their definitions are CDK code in
 * infra/workflows/; the local runtime runs the definitions CDK synthesizes
 * (one definition, two runtimes).
 *
 * Express for short, synchronous-in-spirit flows (cheap: billed per
 * execution and duration); Standard only where a workflow must wait for a
 * callback or a timer. See docs/workflows.md.
 */
export const workflows = {
  locationReadiness: {
    type: 'EXPRESS',
    description: 'Assess whether routing can use a changed location; e-mail operations if it cannot.',
  },
  fulfillOrder: {
    type: 'EXPRESS',
    description: 'A fully reserved order: confirm payment, hand it to its locations with carrier labels, confirm to the customer.',
  },
  completeShipment: {
    type: 'EXPRESS',
    description: 'A shipped parcel: capture its share of the payment, issue the invoice, tell the customer.',
  },
  returnApproved: {
    type: 'EXPRESS',
    description: 'An approved return: buy the return label, e-mail it to the customer.',
  },
  returnReceived: {
    type: 'EXPRESS',
    description: 'A received return: restock or write off its units, refund, close, tell the customer.',
  },
} as const satisfies Record<string, { type: 'EXPRESS' | 'STANDARD'; description: string }>;

export type WorkflowName = keyof typeof workflows;

/** Tag that names the workflow on its state machine, so the local runtime can find it in the template. */
export const WORKFLOW_TAG = 'oms:workflow';
/** Environment variable that names the function spec on each Lambda function (read back from the template). */
export const FUNCTION_ENV = 'OMS_FUNCTION';
