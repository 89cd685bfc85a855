/** Who asks for a change, carried into events and timelines. */
export interface Actor {
  actor: string;
  correlationId?: string | undefined;
}

export function actorOf(command: Actor): Actor {
  return { actor: command.actor, correlationId: command.correlationId };
}
