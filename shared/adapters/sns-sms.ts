import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { awsClientConfig } from './aws-clients.ts';
import { tracer } from '#shared/observability/powertools.ts';
import type { SmsSender } from '#shared/ports.ts';

/**
 * Transactional SMS with SNS Publish to a phone number. Locally the same
 * client talks to the runtime's SNS endpoint (AWS_ENDPOINT_URL_SNS), which
 * keeps each message in the SMS outbox instead of sending it.
 */
export class SnsSmsSender implements SmsSender {
  readonly #client = tracer.captureAWSv3Client(new SNSClient(awsClientConfig('sns')));

  async send(message: { to: string; text: string }): Promise<{ messageId: string }> {
    const result = await this.#client.send(
      new PublishCommand({
        PhoneNumber: message.to,
        Message: message.text,
        MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
      }),
    );
    if (!result.MessageId) throw new Error('SNS accepted the SMS without a MessageId');
    return { messageId: result.MessageId };
  }
}
