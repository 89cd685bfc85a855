import * as z from 'zod';
import { Channel } from '#shared/domain/channel.ts';
import { defineEvent } from './define.ts';

export const ChannelChanged = defineEvent({
  detailType: 'ChannelChanged',
  source: 'oms.channels',
  version: 1,
  description:
    'A channel was created or changed (settings, activity or which secrets are set). Never carries secret values.',
  data: z.object({
    change: z.enum(['created', 'updated']),
    channel: Channel,
  }),
});
