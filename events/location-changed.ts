import * as z from 'zod';
import { Location } from '#shared/domain/location.ts';
import { defineEvent } from './define.ts';

export const LocationChanged = defineEvent({
  detailType: 'LocationChanged',
  source: 'oms.locations',
  version: 1,
  description: 'A location was created or its configuration changed. Carries the whole new state.',
  data: z.object({
    change: z.enum(['created', 'updated']),
    location: Location,
  }),
});
