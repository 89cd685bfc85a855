import { ChannelChanged } from '#events/channel-changed.ts';
import { LocationChanged } from '#events/location-changed.ts';
import type { EventPattern } from '#events/define.ts';
import type { FunctionName } from './functions.ts';
import type { WorkflowName } from './workflows.ts';

/**
 * Rules of the OMS event bus: which events go where. CDK creates one
 * EventBridge rule per entry; the local bus matches the same patterns and
 * delivers to the same targets with the same retry budget, then dead-letters.
 */
export interface RuleSpec {
  id: string;
  description: string;
  pattern: EventPattern;
  target: { workflow: WorkflowName } | { function: FunctionName };
  /** Delivery attempts after the first before the event goes to the dead-letter queue. */
  retryAttempts: number;
  maxEventAgeSeconds: number;
}

export const rules: RuleSpec[] = [
  {
    id: 'LocationChangedStartsReadiness',
    description: 'Every location change is assessed for routing readiness',
    pattern: LocationChanged.pattern(),
    target: { workflow: 'locationReadiness' },
    retryAttempts: 8,
    maxEventAgeSeconds: 3600,
  },
  {
    id: 'ChannelChangedSchedulesPolls',
    description: 'Polled channels (Amazon, eBay) get a schedule at their poll interval while active',
    pattern: ChannelChanged.pattern(),
    target: { function: 'schedulePolls' },
    retryAttempts: 8,
    maxEventAgeSeconds: 3600,
  },
];
