import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildOmsApp, type OmsApp } from '#infra/build-app.ts';

export interface Synthesized extends OmsApp {
  outdir: string;
  stateful: OmsApp['stateful'];
  statefulTemplate: Template;
  statelessTemplate: Template;
  /** The raw stateless template JSON. */
  stateless: OmsApp['stateless'];
  statelessJson: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  /** The HTTP API stack's template. */
  apiTemplate: Template;
  apiJson: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  validationReport: { pluginReports: { pluginName: string; conclusion: string; violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[] }[] };
}

/** Synthesizes the real CDK app (bundling skipped unless asked) with cdk-nag's AwsSolutions checks. */
export function synthesize(options: { bundle?: boolean; extend?: (app: OmsApp) => void } = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'oms-cdk-'));
  const omsApp = buildOmsApp({ outdir, skipBundling: !options.bundle });
  options.extend?.(omsApp);
  let assembly;
  try {
    assembly = omsApp.app.synth();
  } catch (error) {
    // Policy-validation failures still write the report; tests read it from there.
    if ((error as Error).name !== 'ValidationFailed') throw error;
    return { ...omsApp, outdir, validationReport: readReport(outdir) } as Synthesized;
  }
  const statelessJson = assembly.getStackByName(omsApp.stateless.stackName).template as Synthesized['statelessJson'];
  const apiJson = assembly.getStackByName(omsApp.api.stackName).template as Synthesized['apiJson'];
  return {
    ...omsApp,
    outdir,
    statefulTemplate: Template.fromJSON(assembly.getStackByName(omsApp.stateful.stackName).template as Record<string, unknown>),
    statelessTemplate: Template.fromJSON(statelessJson as unknown as Record<string, unknown>),
    statelessJson,
    apiTemplate: Template.fromJSON(apiJson as unknown as Record<string, unknown>),
    apiJson,
    validationReport: readReport(outdir),
  };
}

function readReport(outdir: string): Synthesized['validationReport'] {
  return JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Synthesized['validationReport'];
}
