import * as z from 'zod';
import { channelRepository, locationRepository, mailer, opsRecipients } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { sendOpsDigest } from '#shared/use-cases/ops-digest.ts';

const deps = {
  locations: locationRepository(),
  channels: channelRepository(),
  mailer: mailer(),
  opsRecipients: opsRecipients(),
  clock: systemClock,
};

/** Scheduled daily (infra/topology/schedules.ts): e-mails operations the state of locations and channels. */
export const handler = taskHandler(z.object({ job: z.literal('ops-digest') }), async () => sendOpsDigest(deps));
