import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { WorkflowBuilder } from './steps.ts';

/**
 * LocationChanged → AssessReadiness → (needs attention?) → NotifyOperations.
 * Input: the EventBridge event; the assessment reads `$.detail`.
 */
export const locationReadiness: WorkflowBuilder = (scope: Construct, fn) => {
  const assess = new tasks.LambdaInvoke(scope, 'AssessReadiness', {
    lambdaFunction: fn('assessLocationReadiness'),
    inputPath: '$.detail',
    payloadResponseOnly: true,
  });
  const notify = new tasks.LambdaInvoke(scope, 'NotifyOperations', {
    lambdaFunction: fn('notifyLocationNeedsAttention'),
    payloadResponseOnly: true,
  });
  notify.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
  const done = new sfn.Succeed(scope, 'Done');
  const needsAttention = sfn.Condition.and(
    sfn.Condition.stringEquals('$.outcome', 'recorded'),
    sfn.Condition.stringEquals('$.readiness.status', 'needs_attention'),
  );
  return assess.next(new sfn.Choice(scope, 'NeedsAttention').when(needsAttention, notify.next(done)).otherwise(done));
};
