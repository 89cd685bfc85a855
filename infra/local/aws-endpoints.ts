import { createServer, type Server } from 'node:http';
import { newId } from '#shared/domain/ids.ts';
import type { RecordLog, SentMail } from './record-log.ts';

/**
 * The slice of AWS service APIs the handlers call directly, served on a
 * loopback port so the real SDK clients (pointed here with
 * AWS_ENDPOINT_URL_<SERVICE>) run unchanged: SES v2 SendEmail writes to the
 * local mail outbox instead of delivering.
 */
export function createAwsEndpoints(mail: RecordLog<SentMail>): Server {
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.method === 'POST' && request.url === '/v2/email/outbound-emails') {
        let input: SesSendEmail;
        try {
          input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SesSendEmail;
        } catch {
          return reply(400, { message: 'Malformed JSON' });
        }
        const simple = input.Content?.Simple;
        const to = input.Destination?.ToAddresses ?? [];
        if (!input.FromEmailAddress || to.length === 0 || !simple?.Subject?.Data) {
          response.setHeader('x-amzn-errortype', 'BadRequestException');
          return reply(400, { message: 'FromEmailAddress, Destination.ToAddresses and Content.Simple.Subject are required' });
        }
        const messageId = `local-${newId()}`;
        mail.append({
          messageId,
          from: input.FromEmailAddress,
          to,
          subject: simple.Subject.Data,
          ...(simple.Body?.Text?.Data ? { text: simple.Body.Text.Data } : {}),
          ...(simple.Body?.Html?.Data ? { html: simple.Body.Html.Data } : {}),
          tags: Object.fromEntries((input.EmailTags ?? []).map((tag) => [tag.Name, tag.Value])),
          sentAt: new Date().toISOString(),
        });
        return reply(200, { MessageId: messageId });
      }
      response.setHeader('x-amzn-errortype', 'UnknownOperationException');
      reply(404, { message: `The local runtime does not emulate ${request.method} ${request.url}` });
    });
  });
}

interface SesSendEmail {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[] };
  Content?: { Simple?: { Subject?: { Data?: string }; Body?: { Text?: { Data?: string }; Html?: { Data?: string } } } };
  EmailTags?: { Name: string; Value: string }[];
}
