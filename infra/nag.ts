import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
// cdk-nag is CommonJS without static export names, so Node's ESM loader cannot import its members by name.
import cdkNag from 'cdk-nag';

export const { AwsSolutionsChecks } = cdkNag;

/**
 * Records a deliberate exception to a cdk-nag rule on a construct (and its
 * children). Every exception carries its reason; findings are acknowledged
 * one by one (`AwsSolutions-IAM5[Resource::*]`), never a whole rule.
 */
export function acknowledge(construct: IConstruct, findings: { id: string; reason: string }[]): void {
  for (const finding of findings) Validations.of(construct).acknowledge(finding);
}
