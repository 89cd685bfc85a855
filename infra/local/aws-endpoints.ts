import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { newId } from '#shared/domain/ids.ts';
import { createHash } from 'node:crypto';
import { LocalDeadLetterQueues } from './dead-letter-queues.ts';
import type { RecordLog, SentMail, SentSms } from './record-log.ts';

/**
 * The slice of AWS service APIs the handlers call directly, served on a
 * loopback port so the real SDK clients (pointed here with
 * AWS_ENDPOINT_URL_<SERVICE>) run unchanged:
 * - SES v2 SendEmail → the local mail outbox;
 * - SNS Publish to a phone number (SMS) → the local SMS outbox;
 * - Lambda Invoke → the local Lambda host (async `Event` invocations too);
 * - EventBridge Scheduler Create/Update/Get/DeleteSchedule → local timers;
 * - SQS ReceiveMessage / DeleteMessage on the queues' dead-letter queues
 *   (`<queue>-dead-letters`) → the dead-letter store.
 */
export interface AwsEndpointTargets {
  mail: RecordLog<SentMail>;
  sms: RecordLog<SentSms>;
  invoke(functionName: string, payload: unknown): Promise<unknown>;
  /** `InvocationType: Event`: accepted at once; Lambda's retries and on-failure destination follow. */
  invokeAsync(functionName: string, payload: unknown): void;
  deadLetterQueues: Pick<LocalDeadLetterQueues, 'receive' | 'delete'>;
  schedules: {
    put(schedule: { name: string; group: string; expression: string; targetArn: string; input: unknown; retryAttempts: number; maxEventAgeSeconds: number }): void;
    remove(name: string, group: string): boolean;
    get(name: string, group: string): { expression: string; targetArn: string } | undefined;
  };
}

export function createAwsEndpoints(targets: AwsEndpointTargets): Server {
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      route(targets, request, response, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => {
        reply(response, 500, { message: String(error) }, 'ServiceException');
      });
    });
  });
}

async function route(targets: AwsEndpointTargets, request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const json = (): unknown => (body ? (JSON.parse(body) as unknown) : {});

  if (request.method === 'POST' && url.pathname === '/v2/email/outbound-emails') {
    const input = json() as SesSendEmail;
    const simple = input.Content?.Simple;
    const to = input.Destination?.ToAddresses ?? [];
    if (!input.FromEmailAddress || to.length === 0 || !simple?.Subject?.Data) {
      return reply(response, 400, { message: 'FromEmailAddress, Destination.ToAddresses and Content.Simple.Subject are required' }, 'BadRequestException');
    }
    const messageId = `local-${newId()}`;
    targets.mail.append({
      messageId,
      from: input.FromEmailAddress,
      to,
      subject: simple.Subject.Data,
      ...(simple.Body?.Text?.Data ? { text: simple.Body.Text.Data } : {}),
      ...(simple.Body?.Html?.Data ? { html: simple.Body.Html.Data } : {}),
      tags: Object.fromEntries((input.EmailTags ?? []).map((tag) => [tag.Name, tag.Value])),
      sentAt: new Date().toISOString(),
    });
    return reply(response, 200, { MessageId: messageId });
  }

  // SQS speaks the AWS JSON 1.0 protocol: the operation in X-Amz-Target, the queue by its URL (…/<account>/<name>).
  const sqsTarget = /^AmazonSQS\.(\w+)$/.exec(String(request.headers['x-amz-target'] ?? ''))?.[1];
  if (request.method === 'POST' && sqsTarget) {
    const input = json() as { QueueUrl?: string; MaxNumberOfMessages?: number; VisibilityTimeout?: number; ReceiptHandle?: string };
    const queue = LocalDeadLetterQueues.queueOf(decodeURIComponent(new URL(input.QueueUrl ?? 'http://x/', 'http://localhost').pathname.split('/').pop() ?? ''));
    const sqsError = (status: number, code: string, message: string) => replySqs(response, status, { __type: `com.amazonaws.sqs#${code}`, message });
    if (!queue) return sqsError(400, 'QueueDoesNotExist', `The local runtime serves only the queues' dead-letter queues (…/<queue>-dead-letters), not ${String(input.QueueUrl)}`);
    if (sqsTarget === 'ReceiveMessage') {
      const max = input.MaxNumberOfMessages ?? 1;
      if (!Number.isInteger(max) || max < 1 || max > 10) return sqsError(400, 'InvalidParameterValue', 'MaxNumberOfMessages must be 1 to 10');
      const messages = targets.deadLetterQueues.receive(queue, max, input.VisibilityTimeout ?? 30);
      return replySqs(response, 200, {
        Messages: messages.map((m) => ({
          MessageId: m.messageId,
          ReceiptHandle: m.receipt,
          MD5OfBody: createHash('md5').update(m.body).digest('hex'),
          Body: m.body,
          Attributes: { ApproximateReceiveCount: String(m.receiveCount) },
        })),
      });
    }
    if (sqsTarget === 'DeleteMessage') {
      if (!input.ReceiptHandle) return sqsError(400, 'MissingParameter', 'ReceiptHandle is required');
      targets.deadLetterQueues.delete(input.ReceiptHandle);
      return replySqs(response, 200, {});
    }
    return sqsError(400, 'UnsupportedOperation', `The local runtime emulates SQS ReceiveMessage and DeleteMessage only, not ${sqsTarget}`);
  }

  // SNS speaks the AWS Query protocol: a form body, an XML answer.
  if (request.method === 'POST' && url.pathname === '/' && String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(body);
    if (form.get('Action') !== 'Publish') return replyXml(response, 400, `<ErrorResponse><Error><Code>InvalidAction</Code><Message>The local runtime emulates SNS Publish only</Message></Error></ErrorResponse>`);
    const phone = form.get('PhoneNumber');
    const message = form.get('Message');
    if (!phone || !/^\+[1-9]\d{6,14}$/.test(phone) || !message) {
      return replyXml(response, 400, `<ErrorResponse><Error><Code>InvalidParameter</Code><Message>PhoneNumber (E.164) and Message are required</Message></Error></ErrorResponse>`);
    }
    const messageId = `local-${newId()}`;
    targets.sms.append({ messageId, to: phone, text: message, sentAt: new Date().toISOString() });
    return replyXml(
      response,
      200,
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${newId()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }

  const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
  if (request.method === 'POST' && invoke?.[1]) {
    const name = functionNameOf(decodeURIComponent(invoke[1]));
    const payload = body ? (JSON.parse(body) as unknown) : {};
    if (request.headers['x-amz-invocation-type'] === 'Event') {
      // Asynchronous: accepted now, run in the background with Lambda's 2 retries, then the on-failure destination.
      targets.invokeAsync(name, payload);
      response.writeHead(202);
      response.end();
      return;
    }
    const result = await targets.invoke(name, payload);
    return reply(response, 200, result ?? null);
  }

  const schedule = /^\/schedules\/([^/]+)$/.exec(url.pathname);
  if (schedule?.[1]) {
    const name = decodeURIComponent(schedule[1]);
    if (request.method === 'POST' || request.method === 'PUT') {
      const input = json() as SchedulerInput;
      const group = input.GroupName ?? 'default';
      const exists = targets.schedules.get(name, group);
      if (request.method === 'POST' && exists) return reply(response, 409, { Message: `Schedule ${name} already exists` }, 'ConflictException');
      if (request.method === 'PUT' && !exists) return reply(response, 404, { Message: `Schedule ${name} does not exist` }, 'ResourceNotFoundException');
      targets.schedules.put({
        name,
        group,
        expression: input.ScheduleExpression,
        targetArn: input.Target.Arn,
        input: input.Target.Input ? (JSON.parse(input.Target.Input) as unknown) : {},
        retryAttempts: input.Target.RetryPolicy?.MaximumRetryAttempts ?? 185,
        maxEventAgeSeconds: input.Target.RetryPolicy?.MaximumEventAgeInSeconds ?? 86_400,
      });
      return reply(response, 200, { ScheduleArn: `arn:aws:scheduler:local:000000000000:schedule/${group}/${name}` });
    }
    const group = url.searchParams.get('groupName') ?? 'default';
    if (request.method === 'DELETE') {
      return targets.schedules.remove(name, group)
        ? reply(response, 200, {})
        : reply(response, 404, { Message: `Schedule ${name} does not exist` }, 'ResourceNotFoundException');
    }
    if (request.method === 'GET') {
      const found = targets.schedules.get(name, group);
      return found
        ? reply(response, 200, { Name: name, GroupName: group, ScheduleExpression: found.expression, Target: { Arn: found.targetArn } })
        : reply(response, 404, { Message: `Schedule ${name} does not exist` }, 'ResourceNotFoundException');
    }
  }

  reply(response, 404, { message: `The local runtime does not emulate ${request.method} ${url.pathname}` }, 'UnknownOperationException');
}

function replySqs(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  response.end(JSON.stringify(body));
}

function reply(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  response.writeHead(status, { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
  response.end(JSON.stringify(body));
}

/** `arn:aws:lambda:…:function:pollChannel` or `pollChannel` → `pollChannel`. */
export function functionNameOf(nameOrArn: string): string {
  return /:function:([^:]+)/.exec(nameOrArn)?.[1] ?? nameOrArn;
}

interface SesSendEmail {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[] };
  Content?: { Simple?: { Subject?: { Data?: string }; Body?: { Text?: { Data?: string }; Html?: { Data?: string } } } };
  EmailTags?: { Name: string; Value: string }[];
}

interface SchedulerInput {
  GroupName?: string;
  ScheduleExpression: string;
  Target: { Arn: string; Input?: string; RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number } };
}

function replyXml(response: ServerResponse, status: number, xml: string): void {
  response.writeHead(status, { 'content-type': 'text/xml' });
  response.end(xml);
}
