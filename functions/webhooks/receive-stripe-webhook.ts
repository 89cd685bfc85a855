import { fulfillmentRepository, orderHoldRepository, orderRepository, paymentProviderName, stripePayments, stripeWebhookSecret } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { receiveStripeWebhook, type PaymentWebhookDeps } from '#shared/use-cases/payment-webhooks.ts';

// Built on the first delivery: a deployment on the sandbox has no Stripe secrets, and answers 404 instead of failing its cold start.
let deps: PaymentWebhookDeps | undefined;
function stripeDeps(): PaymentWebhookDeps {
  if (paymentProviderName() !== 'stripe') throw new NotFoundError('This OMS does not take payments with Stripe (PAYMENT_PROVIDER is not stripe)');
  deps ??= {
    orders: orderRepository(),
    fulfillments: fulfillmentRepository(),
    holds: orderHoldRepository(),
    secret: stripeWebhookSecret(),
    orderOfPaymentIntent: async (id) => (await stripePayments().paymentIntent(id)).metadata?.['oms_order_id'],
    clock: systemClock,
  };
  return deps;
}

export const handler = httpHandler(operations.receiveStripeWebhook, async ({ headers, rawBody }) => ({
  status: 200,
  body: await receiveStripeWebhook(stripeDeps(), { rawBody, signature: headers['stripe-signature'] }),
}));
