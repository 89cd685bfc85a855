import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { FunctionName } from '../topology/functions.ts';

/**
 * What every workflow definition is built from. Kept apart from the
 * registry (index.ts) so that definitions import these and the registry
 * imports the definitions, never the other way round.
 */

/** Builds a workflow's definition inside `scope`, given the deployed function for each FunctionName. */
export type WorkflowBuilder = (scope: Construct, fn: (name: FunctionName) => IFunction) => sfn.IChainable;

/** Retries for a task whose Lambda is idempotent: throttles and transient failures, with back-off. */
export function retried(task: tasks.LambdaInvoke): tasks.LambdaInvoke {
  // A message still claimed by a send that may be at work (NotificationSendInProgressError): wait past the claim's window (the function's timeout and 10 s) rather than fail in seconds.
  task.addRetry({ errors: ['NotificationSendInProgress'], interval: Duration.seconds(20), maxAttempts: 3, backoffRate: 2 });
  task.addRetry({ errors: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'], interval: Duration.seconds(1), maxAttempts: 6, backoffRate: 2 });
  task.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
  return task;
}

/** The order (from the event) and the event's metadata: what every step of the order workflows receives. */
export const orderStep = (extra: Record<string, unknown> = {}) =>
  sfn.TaskInput.fromObject({ orderId: sfn.JsonPath.stringAt('$.detail.data.orderId'), metadata: sfn.JsonPath.objectAt('$.detail.metadata'), ...extra });

/**
 * A customer-message step that cannot leave the message lost: the step runs
 * the notification function with the retries of `retried`; when those are
 * spent (an outage of SES or of the table longer than the retries), the
 * execution does not fail — Express executions cannot be redriven — but
 * hands the same input to the function with `InvocationType: Event`:
 * Lambda's two retries, then the function's on-failure destination (the
 * FailedInvocations queue, alarmed and redrivable). The message is claimed
 * per order, template and subject, so it is never sent twice.
 */
export function notifyStep(scope: Construct, id: string, fn: IFunction, payload: sfn.TaskInput): tasks.LambdaInvoke {
  const task = retried(new tasks.LambdaInvoke(scope, id, { lambdaFunction: fn, payload, payloadResponseOnly: true, resultPath: '$.notified' }));
  const later = new tasks.LambdaInvoke(scope, `${id}Later`, {
    lambdaFunction: fn,
    payload,
    invocationType: tasks.LambdaInvocationType.EVENT,
    resultPath: sfn.JsonPath.DISCARD,
    comment: 'The message step failed every retry: Lambda runs it again asynchronously, then keeps it in FailedInvocations',
  });
  task.addCatch(later, { errors: ['States.ALL'], resultPath: '$.notifyFailed' });
  return task;
}
