import { ChannelChanged } from '#events/channel-changed.ts';
import { pollSchedules } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { syncPollSchedule } from '#shared/use-cases/poll-channel.ts';
import * as z from 'zod';

const deps = { schedules: pollSchedules() };

/** Rule target of ChannelChanged: every polled channel has a schedule at its poll interval while it is active. */
export const handler = taskHandler(
  z.object({ detail: ChannelChanged.detail }),
  async ({ detail }) => ({ schedule: await syncPollSchedule(deps, detail.data.channel) }),
  { correlationId: ({ detail }) => detail.metadata.correlationId ?? detail.metadata.eventId },
);
