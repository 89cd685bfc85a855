import * as z from 'zod';
import { channelRepository, channelSyncRepository, inboxRepository } from '#shared/adapters/dependencies.ts';
import { marketplaceFor } from '#shared/adapters/marketplaces.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { logger } from '#shared/observability/powertools.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { pollChannel } from '#shared/use-cases/poll-channel.ts';

const deps = { channels: channelRepository(), sync: channelSyncRepository(), inbox: inboxRepository(), clock: systemClock, marketplaceFor };

/** Started by the channel's schedule or by POST /v1/channels/{id}/sync; stops paging 20 s before its timeout, checkpointed. */
export const handler = taskHandler(
  z.object({ channelId: z.string().min(1), trigger: z.enum(['schedule', 'manual']).default('schedule') }),
  async ({ channelId, trigger }, context) => {
    const result = await pollChannel(deps, {
      channelId,
      trigger,
      owner: context.awsRequestId,
      deadline: Date.now() + context.getRemainingTimeInMillis() - 20_000,
    });
    logger.info('Channel polled', { channelId, ...result });
    return result;
  },
);
