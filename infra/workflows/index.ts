import type { WorkflowName } from '../topology/workflows.ts';
import { locationReadiness } from './location-readiness.ts';
import { completeShipment, fulfillOrder } from './fulfill-order.ts';
import { returnApproved, returnReceived } from './returns.ts';

import type { WorkflowBuilder } from './steps.ts';

export type { WorkflowBuilder } from './steps.ts';

export const workflowBuilders: Record<WorkflowName, WorkflowBuilder> = { locationReadiness, fulfillOrder, completeShipment, returnApproved, returnReceived };
