import * as z from 'zod';
import { Listing } from '#shared/domain/listing.ts';
import { defineEvent } from './define.ts';

export const ListingChanged = defineEvent({
  detailType: 'ListingChanged',
  source: 'oms.channels',
  version: 1,
  description:
    'A channel listing of a SKU was created, changed or removed. A new or changed active listing gets the current available-to-sell figure pushed to it.',
  data: z.object({
    change: z.enum(['created', 'updated', 'removed']),
    listing: Listing,
  }),
});
