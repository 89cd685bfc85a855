import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOmsApp } from '#infra/build-app.ts';
import { functions, type FunctionName } from '#infra/topology/functions.ts';
import { FUNCTION_ENV } from '#infra/topology/workflows.ts';

/**
 * What the deployed notification functions are told: their own timeout (the
 * window after which a crashed send's claim is taken over) and how long
 * message bodies are kept; and that the workflows wait out a claim in progress.
 */
type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
let stateless: Template;
let api: Template;

const synth = (context: Record<string, string> = {}) => {
  const oms = buildOmsApp({ outdir: mkdtempSync(join(tmpdir(), 'oms-cdk-')), skipBundling: true, nag: false, context });
  const assembly = oms.app.synth();
  return { stateless: assembly.getStackByName(oms.stateless.stackName).template as Template, api: assembly.getStackByName(oms.api.stackName).template as Template };
};

function environments(template: Template): Map<FunctionName, Record<string, string>> {
  const found = new Map<FunctionName, Record<string, string>>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = (resource.Properties['Environment'] as { Variables?: Record<string, string> } | undefined)?.Variables ?? {};
    if (variables[FUNCTION_ENV]) found.set(variables[FUNCTION_ENV] as FunctionName, variables);
  }
  return found;
}

beforeAll(() => {
  ({ stateless, api } = synth({ notificationBodyRetentionDays: '30', rawRetentionDays: '200', reconcileStuckAfterMinutes: '5', reconcileUninvoicedAfterMinutes: '10' }));
});

describe('notification settings on AWS', () => {
  it('tells every function its own timeout (FUNCTION_TIMEOUT_SECONDS), so a sender knows when a claim is stale', () => {
    const all = new Map([...environments(stateless), ...environments(api)]);
    expect(all.get('notifyCustomer')?.['FUNCTION_TIMEOUT_SECONDS']).toBe(String(functions.notifyCustomer.timeoutSeconds));
    expect(all.get('notifyReturn')?.['FUNCTION_TIMEOUT_SECONDS']).toBe(String(functions.notifyReturn.timeoutSeconds));
    for (const [name, variables] of all) expect(variables['FUNCTION_TIMEOUT_SECONDS'], name).toBe(String((functions[name] as { timeoutSeconds?: number }).timeoutSeconds ?? 10));
  });

  it('sets NOTIFICATION_BODY_RETENTION_DAYS from the context notificationBodyRetentionDays, and refuses a value out of range', () => {
    expect(environments(stateless).get('notifyCustomer')?.['NOTIFICATION_BODY_RETENTION_DAYS']).toBe('30');
    expect(environments(api).get('listNotifications')?.['NOTIFICATION_BODY_RETENTION_DAYS']).toBe('30');
    for (const bad of ['0', '3651', '7.5', 'ninety']) {
      expect(() => buildOmsApp({ outdir: mkdtempSync(join(tmpdir(), 'oms-cdk-')), skipBundling: true, nag: false, context: { notificationBodyRetentionDays: bad } })).toThrow(
        'Context notificationBodyRetentionDays must be a whole number of days from 1 to 3650',
      );
    }
  });

  it('retries a workflow\'s notification step past the claim window when the message is still claimed (before the generic retry)', () => {
    const definitions = Object.values(stateless.Resources)
      .filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map((r) => JSON.stringify(r.Properties['DefinitionString']));
    const notifying = definitions.filter((d) => d.includes('NotifyShipped') || d.includes('NotifyOrderConfirmed'));
    expect(notifying.length).toBeGreaterThan(0);
    for (const definition of notifying) {
      // The step's retriers: Step Functions uses the first whose ErrorEquals matches, and States.TaskFailed matches everything, so ours comes before it.
      const retry = definition.match(/Notify(?:Shipped|OrderConfirmed)\\":\{.*?\\"Retry\\":(\[.*?\]),\\"(?:Catch|Type)/)?.[1] ?? '';
      const retriers = JSON.parse(retry.replaceAll('\\"', '"')) as { ErrorEquals: string[]; IntervalSeconds: number; MaxAttempts: number; BackoffRate: number }[];
      const inProgress = retriers.findIndex((r) => r.ErrorEquals.includes('NotificationSendInProgress'));
      expect(retriers[inProgress]).toEqual({ ErrorEquals: ['NotificationSendInProgress'], IntervalSeconds: 20, MaxAttempts: 3, BackoffRate: 2 });
      expect(inProgress).toBeLessThan(retriers.findIndex((r) => r.ErrorEquals.includes('States.TaskFailed')));
    }
  });
});

describe('retention and recovery settings on AWS', () => {
  it('sets RAW_RETENTION_DAYS and the reconciler waits from context on the functions, and refuses values out of range', () => {
    const all = new Map([...environments(stateless), ...environments(api)]);
    expect(all.get('captureDeliveries')?.['RAW_RETENTION_DAYS']).toBe('200');
    expect(all.get('reconcileOrders')).toMatchObject({ RECONCILE_STUCK_AFTER_MINUTES: '5', RECONCILE_UNINVOICED_AFTER_MINUTES: '10' });
    for (const [key, bad, message] of [
      ['rawRetentionDays', '0', 'Context rawRetentionDays must be a whole number of days from 1 to 3650'],
      ['reconcileStuckAfterMinutes', '1441', 'Context reconcileStuckAfterMinutes must be a whole number of minutes from 1 to 1440'],
      ['reconcileUninvoicedAfterMinutes', 'soon', 'Context reconcileUninvoicedAfterMinutes must be a whole number of minutes from 1 to 1440'],
    ] as const) {
      expect(() => buildOmsApp({ outdir: mkdtempSync(join(tmpdir(), 'oms-cdk-')), skipBundling: true, nag: false, context: { [key]: bad } })).toThrow(message);
    }
  });
});
