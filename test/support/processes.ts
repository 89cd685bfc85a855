import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * Whether `pid` still runs. A process whose parent died is re-parented, and
 * the new parent (PID 1 of a container, for one) may never reap it: an exited
 * process left as a zombie counts as gone.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // The state follows the command name, which is in parentheses and may itself hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // No /proc (macOS): kill(pid, 0) is all there is.
  }
}

/**
 * Whether a TCP connection to `host:port` is accepted. Refused, unreachable or
 * no answer within `timeoutMs` all count as no.
 */
export function acceptsConnections(port: number, host = '127.0.0.1', timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host, timeout: timeoutMs });
    const done = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** The pids `npm start` prints in its banner ("Processes   node 123, DynamoDB Local 456"). */
export function bannerPids(output: string): { node: number; dynamoDbLocal: number } {
  const match = /Processes\s+node (\d+), DynamoDB Local (\d+)/.exec(output);
  if (!match) throw new Error(`No pids in the banner:\n${output}`);
  return { node: Number(match[1]), dynamoDbLocal: Number(match[2]) };
}
