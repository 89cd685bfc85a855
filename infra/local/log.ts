/**
 * The local runtime's own log (it plays the AWS platform, so it does not
 * share the handlers' Powertools logger, whose configuration is the
 * handlers' environment). Errors always print; `OMS_LOCAL_DEBUG=1` adds detail.
 */
export const runtimeLog = {
  error(message: string, detail: Record<string, unknown> = {}): void {
    console.error(`[oms-local] ERROR ${message}`, Object.keys(detail).length ? JSON.stringify(detail) : '');
  },
  debug(message: string, detail: Record<string, unknown> = {}): void {
    if (process.env['OMS_LOCAL_DEBUG'] === '1') console.error(`[oms-local] ${message}`, JSON.stringify(detail));
  },
};
