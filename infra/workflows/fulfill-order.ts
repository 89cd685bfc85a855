import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { notifyStep, orderStep, retried, type WorkflowBuilder } from './steps.ts';

/**
 * StockReserved (status reserved) → ConfirmPayment → declined? cancel :
 * CreateFulfillments → created? NotifyOrderConfirmed. Runs straight
 * through in a second or two; the waits (the location's confirmation, the
 * carrier's tracking) live in the order's state and events, not here.
 */
export const fulfillOrder: WorkflowBuilder = (scope: Construct, fn) => {
  const confirm = retried(
    new tasks.LambdaInvoke(scope, 'ConfirmPayment', { lambdaFunction: fn('confirmPayment'), payload: orderStep(), payloadResponseOnly: true, resultPath: '$.payment' }),
  );
  const cancel = retried(
    new tasks.LambdaInvoke(scope, 'CancelUnpaidOrder', {
      lambdaFunction: fn('cancelUnpaidOrder'),
      payload: orderStep({ payment: sfn.JsonPath.objectAt('$.payment') }),
      payloadResponseOnly: true,
      resultPath: '$.cancelled',
    }),
  );
  const create = retried(
    new tasks.LambdaInvoke(scope, 'CreateFulfillments', { lambdaFunction: fn('createFulfillments'), payload: orderStep(), payloadResponseOnly: true, resultPath: '$.fulfillment' }),
  );
  const notify = notifyStep(scope, 'NotifyOrderConfirmed', fn('notifyCustomer'), orderStep({ template: 'order_confirmed' }));
  const done = new sfn.Succeed(scope, 'OrderHandled');
  const created = new sfn.Choice(scope, 'FulfillmentsCreated').when(sfn.Condition.stringEquals('$.fulfillment.outcome', 'created'), notify.next(done)).otherwise(done);
  const paid = new sfn.Choice(scope, 'PaymentOutcome')
    .when(sfn.Condition.stringEquals('$.payment.outcome', 'declined'), cancel.next(done))
    .when(sfn.Condition.stringEquals('$.payment.outcome', 'confirmed'), create.next(created))
    .otherwise(done);
  return confirm.next(paid);
};

/** ShipmentShipped → CapturePayment → IssueInvoice → NotifyShipped. */
export const completeShipment: WorkflowBuilder = (scope: Construct, fn) => {
  const shipment = { shipmentId: sfn.JsonPath.stringAt('$.detail.data.shipmentId') };
  const capture = retried(
    new tasks.LambdaInvoke(scope, 'CapturePayment', {
      lambdaFunction: fn('capturePayment'),
      payload: orderStep({ ...shipment, lines: sfn.JsonPath.objectAt('$.detail.data.lines') }),
      payloadResponseOnly: true,
      resultPath: '$.capture',
    }),
  );
  const invoice = retried(
    new tasks.LambdaInvoke(scope, 'IssueInvoice', {
      lambdaFunction: fn('issueInvoice'),
      payload: orderStep({ ...shipment, lines: sfn.JsonPath.objectAt('$.detail.data.lines'), orderStatus: sfn.JsonPath.stringAt('$.detail.data.orderStatus') }),
      payloadResponseOnly: true,
      resultPath: '$.invoice',
    }),
  );
  const notify = notifyStep(scope, 'NotifyShipped', fn('notifyCustomer'), orderStep({ ...shipment, template: 'shipped' }));
  return capture.next(invoice).next(notify).next(new sfn.Succeed(scope, 'Shipped'));
};
