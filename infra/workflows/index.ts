import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { FunctionName } from '../topology/functions.ts';
import type { WorkflowName } from '../topology/workflows.ts';
import { locationReadiness } from './location-readiness.ts';
import { completeShipment, fulfillOrder } from './fulfill-order.ts';
import { returnApproved, returnReceived } from './returns.ts';

/** Builds a workflow's definition inside `scope`, given the deployed function for each FunctionName. */
export type WorkflowBuilder = (scope: Construct, fn: (name: FunctionName) => IFunction) => IChainable;

export const workflowBuilders: Record<WorkflowName, WorkflowBuilder> = { locationReadiness, fulfillOrder, completeShipment, returnApproved, returnReceived };
