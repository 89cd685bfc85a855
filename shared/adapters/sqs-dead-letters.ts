import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { tracer } from '#shared/observability/powertools.ts';
import type { CaptureDeadLetters } from '#shared/ports.ts';
import { awsClientConfig } from './aws-clients.ts';

/**
 * The capture queue's dead-letter queue, read with SQS ReceiveMessage and
 * DeleteMessage (CAPTURE_DLQ_URL). Locally the same client talks to the
 * runtime's SQS endpoint (AWS_ENDPOINT_URL_SQS), which serves the runtime's
 * dead-letter store.
 */
export class SqsCaptureDeadLetters implements CaptureDeadLetters {
  readonly #client = tracer.captureAWSv3Client(new SQSClient(awsClientConfig('sqs')));
  readonly #queueUrl: string;

  constructor(queueUrl: string) {
    this.#queueUrl = queueUrl;
  }

  async receive(max: number, hideSeconds: number): Promise<{ receipt: string; body: string }[]> {
    const received: { receipt: string; body: string }[] = [];
    // SQS hands out at most 10 messages per call.
    while (received.length < max) {
      const { Messages = [] } = await this.#client.send(
        new ReceiveMessageCommand({ QueueUrl: this.#queueUrl, MaxNumberOfMessages: Math.min(10, max - received.length), VisibilityTimeout: hideSeconds, WaitTimeSeconds: 0 }),
      );
      for (const message of Messages) if (message.ReceiptHandle && message.Body !== undefined) received.push({ receipt: message.ReceiptHandle, body: message.Body });
      if (Messages.length === 0) break;
    }
    return received;
  }

  async remove(receipt: string): Promise<void> {
    await this.#client.send(new DeleteMessageCommand({ QueueUrl: this.#queueUrl, ReceiptHandle: receipt }));
  }
}
