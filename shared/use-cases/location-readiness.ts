import type { Clock } from '#shared/domain/clock.ts';
import { assessLocationReadiness, type Location, type LocationReadiness } from '#shared/domain/location.ts';
import type { LocationRepository, MailMessage, Mailer } from '#shared/ports.ts';

/**
 * Steps of the location-readiness workflow (infra/workflows/location-readiness.ts).
 * Each step is idempotent, because Step Functions and EventBridge deliver at
 * least once.
 */

export type ReadinessOutcome =
  | { outcome: 'recorded'; locationId: string; location: Location; readiness: LocationReadiness }
  /** The location changed again (or disappeared) since the event; the newer event's execution will assess it. */
  | { outcome: 'superseded'; locationId: string };

export async function assessReadiness(
  deps: { locations: LocationRepository; clock: Clock },
  request: { locationId: string; version: number },
): Promise<ReadinessOutcome> {
  const location = await deps.locations.get(request.locationId);
  if (!location || location.version !== request.version) return { outcome: 'superseded', locationId: request.locationId };
  const readiness = assessLocationReadiness(location, deps.clock.now());
  const recorded = await deps.locations.recordReadiness(location.locationId, readiness);
  if (!recorded) return { outcome: 'superseded', locationId: request.locationId };
  return { outcome: 'recorded', locationId: location.locationId, location, readiness };
}

export function locationAttentionMessage(location: Location, readiness: LocationReadiness, to: string[]): MailMessage {
  const problems = readiness.problems.map((problem) => `- ${problem.message}`).join('\n');
  return {
    to,
    subject: `Location ${location.name} (${location.locationId}) needs attention`,
    text:
      `Routing cannot use location ${location.name} (${location.locationId}) as it is configured now (version ${location.version}):\n\n` +
      `${problems}\n\nFix it with PUT /v1/locations/${location.locationId}.\n`,
    tags: { template: 'location-needs-attention', locationId: location.locationId },
  };
}

export async function notifyLocationNeedsAttention(
  deps: { mailer: Mailer; opsRecipients: string[] },
  request: { location: Location; readiness: LocationReadiness },
): Promise<{ messageId: string }> {
  return deps.mailer.send(locationAttentionMessage(request.location, request.readiness, deps.opsRecipients));
}
