import { AsyncLocalStorage } from 'node:async_hooks';
import { documentClient } from '#shared/store/client.ts';

/** DynamoDB write commands, as the SDK (`PutItemCommand`) and the document client (`PutCommand`) name them. */
const WRITES = /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem|Put|Update|Delete|TransactWrite|BatchWrite)(Command)?$/;

/**
 * What the fuzzers (route-fuzz.ts, event-fuzz.ts) use to see partial writes:
 * every write the handlers' shared document client completes while `during`
 * runs is described (by `describe`) into the list it was given. The
 * middleware goes on the client once, on first use.
 */
export function writeRecorder(name: string, describe: (command: string, input: Record<string, unknown>) => string[]) {
  const inCase = new AsyncLocalStorage<{ writes: string[] }>();
  let instrumented = false;
  return {
    during<T>(writes: string[], run: () => Promise<T>): Promise<T> {
      if (!instrumented) {
        instrumented = true;
        documentClient().middlewareStack.add(
          (next, context) => async (args) => {
            const result = await next(args);
            const command = String(context.commandName ?? '');
            if (WRITES.test(command)) inCase.getStore()?.writes.push(...describe(command, args.input as Record<string, unknown>));
            return result;
          },
          { step: 'initialize', name, override: true },
        );
      }
      return inCase.run({ writes }, run);
    },
  };
}
