import * as z from 'zod';
import { defineEvent } from './define.ts';

export const RoutingRulesChanged = defineEvent({
  detailType: 'RoutingRulesChanged',
  source: 'oms.fulfillment',
  version: 1,
  description: 'A routing rule set was created or replaced; orders routed from now on use it.',
  data: z.object({ ruleSetId: z.string(), version: z.number().int(), change: z.enum(['created', 'updated']), rules: z.array(z.string()) }),
});
