import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import * as z from 'zod';
import { awsClientConfig } from './aws-clients.ts';
import { readConfig } from '#shared/config.ts';
import { tracer } from '#shared/observability/powertools.ts';
import type { PollSchedules, PollStarter } from '#shared/ports.ts';

/** Starts the poll function asynchronously (`InvocationType: Event`); locally the runtime's Lambda endpoint does the same. */
export class LambdaPollStarter implements PollStarter {
  readonly #client = tracer.captureAWSv3Client(new LambdaClient(awsClientConfig('lambda')));
  readonly #functionName = readConfig({ POLL_FUNCTION_ARN: z.string().min(1) }).POLL_FUNCTION_ARN;

  async start(channelId: string): Promise<void> {
    await this.#client.send(
      new InvokeCommand({
        FunctionName: this.#functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ channelId, trigger: 'manual' })),
      }),
    );
  }
}

/**
 * One EventBridge Scheduler schedule per polled channel (`oms-poll-<channelId>`),
 * rate = the channel's poll interval, target = the poll function. Locally the
 * runtime's Scheduler endpoint turns them into timers.
 */
export class SchedulerPollSchedules implements PollSchedules {
  readonly #client = tracer.captureAWSv3Client(new SchedulerClient(awsClientConfig('scheduler')));
  readonly #config = readConfig({
    POLL_FUNCTION_ARN: z.string().min(1),
    SCHEDULER_ROLE_ARN: z.string().min(1),
    SCHEDULE_GROUP: z.string().min(1),
    SCHEDULE_DLQ_ARN: z.string().min(1),
  });

  async put(channelId: string, everyMinutes: number): Promise<void> {
    const input = {
      Name: scheduleName(channelId),
      GroupName: this.#config.SCHEDULE_GROUP,
      ScheduleExpression: everyMinutes === 1 ? 'rate(1 minute)' : `rate(${everyMinutes} minutes)`,
      FlexibleTimeWindow: { Mode: 'OFF' as const },
      Description: `Poll channel ${channelId} for changed orders`,
      Target: {
        Arn: this.#config.POLL_FUNCTION_ARN,
        RoleArn: this.#config.SCHEDULER_ROLE_ARN,
        Input: JSON.stringify({ channelId, trigger: 'schedule' }),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
        DeadLetterConfig: { Arn: this.#config.SCHEDULE_DLQ_ARN },
      },
    };
    try {
      await this.#client.send(new UpdateScheduleCommand(input));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      await this.#client.send(new CreateScheduleCommand(input)).catch((createError: unknown) => {
        // Created concurrently by another delivery of the same event: fine.
        if (!(createError instanceof ConflictException)) throw createError;
      });
    }
  }

  async remove(channelId: string): Promise<void> {
    await this.#client
      .send(new DeleteScheduleCommand({ Name: scheduleName(channelId), GroupName: this.#config.SCHEDULE_GROUP }))
      .catch((error: unknown) => {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      });
  }
}

export function scheduleName(channelId: string): string {
  return `oms-poll-${channelId}`;
}
