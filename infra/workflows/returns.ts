import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { notifyStep, retried, type WorkflowBuilder } from './steps.ts';

/** The return (from the event) and the event's metadata: what every step of the return workflows receives. */
const returnStep = (extra: Record<string, unknown> = {}) =>
  sfn.TaskInput.fromObject({ returnId: sfn.JsonPath.stringAt('$.detail.data.returnId'), metadata: sfn.JsonPath.objectAt('$.detail.metadata'), ...extra });

/**
 * ReturnApproved → CreateReturnLabel → NotifyReturnApproved (the label by
 * e-mail). Seconds long; the wait for the customer's parcel lives in the
 * return's item (status, receiveBy in the expiry index), not here.
 */
export const returnApproved: WorkflowBuilder = (scope: Construct, fn) => {
  const label = retried(
    new tasks.LambdaInvoke(scope, 'CreateReturnLabel', { lambdaFunction: fn('createReturnLabel'), payload: returnStep(), payloadResponseOnly: true, resultPath: '$.label' }),
  );
  const notify = notifyStep(scope, 'NotifyReturnApproved', fn('notifyReturn'), returnStep({ template: 'return_approved' }));
  const done = new sfn.Succeed(scope, 'ReturnLabelSent');
  const labelled = new sfn.Choice(scope, 'HasLabel').when(sfn.Condition.isPresent('$.label.trackingNumber'), notify.next(done)).otherwise(done);
  return label.next(labelled);
};

/**
 * ReturnReceived → SettleReturn (restock / write off, refund, close: the
 * stock and the refund in their own idempotent transactions, the return
 * item written once) → NotifyReturnReceived.
 */
export const returnReceived: WorkflowBuilder = (scope: Construct, fn) => {
  const settle = retried(
    new tasks.LambdaInvoke(scope, 'SettleReturn', { lambdaFunction: fn('settleReturn'), payload: returnStep(), payloadResponseOnly: true, resultPath: '$.settled' }),
  );
  const notify = notifyStep(scope, 'NotifyReturnReceived', fn('notifyReturn'), returnStep({ template: 'return_received' }));
  return settle.next(notify).next(new sfn.Succeed(scope, 'ReturnSettled'));
};
