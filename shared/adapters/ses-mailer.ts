import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { awsClientConfig } from './aws-clients.ts';
import { tracer } from '#shared/observability/powertools.ts';
import type { MailMessage, Mailer } from '#shared/ports.ts';

/**
 * Sends mail with SES v2. Locally the same client talks to the runtime's SES
 * endpoint (AWS_ENDPOINT_URL_SESV2), which writes each message to the mail
 * outbox under .oms/mail instead of delivering it. A message with `html`
 * goes as multipart/alternative (SES builds it from the Simple content's
 * Text and Html parts).
 */
export class SesMailer implements Mailer {
  readonly #client = tracer.captureAWSv3Client(new SESv2Client(awsClientConfig('sesv2')));
  readonly #from: string;
  readonly #configurationSet: string | undefined;

  /** `configurationSet` (SES_CONFIGURATION_SET): the SES configuration set whose event destination publishes bounces and complaints. */
  constructor(from: string, configurationSet?: string) {
    this.#from = from;
    this.#configurationSet = configurationSet;
  }

  async send(message: MailMessage): Promise<{ messageId: string }> {
    const result = await this.#client.send(
      new SendEmailCommand({
        FromEmailAddress: this.#from,
        ...(this.#configurationSet ? { ConfigurationSetName: this.#configurationSet } : {}),
        Destination: { ToAddresses: message.to },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: {
              Text: { Data: message.text, Charset: 'UTF-8' },
              ...(message.html ? { Html: { Data: message.html, Charset: 'UTF-8' } } : {}),
            },
          },
        },
        EmailTags: Object.entries(message.tags ?? {}).map(([Name, Value]) => ({ Name, Value })),
      }),
    );
    if (!result.MessageId) throw new Error('SES accepted the message without a MessageId');
    return { messageId: result.MessageId };
  }
}
