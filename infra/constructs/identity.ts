import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccountRecovery, CfnUserPoolGroup, FeaturePlan, Mfa, UserPool, type UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import { AnyPrincipal, ArnPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { GROUP_SCOPES, type UserGroup } from '#shared/domain/identity.ts';
import { FulfillmentReported } from '#events/fulfillment-reported.ts';
import { acknowledge } from '../nag.ts';

/** The principal tag the OMS's own publishers (the outbox and stock pipes' roles) carry: the bus refuses `oms.*` events from anyone else. */
export const OMS_PUBLISHER_TAG = { key: 'oms-publisher', value: 'oms' } as const;

export interface Identity {
  userPool: UserPool;
  /** The client the operations console signs in with; functions verify its access tokens. */
  consoleClient: UserPoolClient;
}

/**
 * People: a Cognito user pool whose groups (`admin`, `operations`,
 * `analyst`) grant the scopes of shared/domain/identity.ts GROUP_SCOPES. The
 * functions verify its access tokens themselves (shared/http/auth.ts), so one
 * route takes both API keys and sign-ins (docs/security.md).
 */
export function userPool(scope: Construct): Identity {
  const pool = new UserPool(scope, 'UserPool', {
    selfSignUpEnabled: false,
    signInAliases: { email: true },
    mfa: Mfa.REQUIRED,
    mfaSecondFactor: { otp: true, sms: false },
    passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
    accountRecovery: AccountRecovery.EMAIL_ONLY,
    featurePlan: FeaturePlan.ESSENTIALS,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  for (const group of Object.keys(GROUP_SCOPES) as UserGroup[]) {
    new CfnUserPoolGroup(scope, `UserPoolGroup-${group}`, {
      userPoolId: pool.userPoolId,
      groupName: group,
      description: `OMS scopes: ${GROUP_SCOPES[group].join(', ')}`,
    });
  }
  const consoleClient = pool.addClient('ConsoleClient', {
    generateSecret: false,
    authFlows: { userSrp: true },
    accessTokenValidity: Duration.hours(1),
    idTokenValidity: Duration.hours(1),
    refreshTokenValidity: Duration.days(1),
    preventUserExistenceErrors: true,
  });
  acknowledge(pool, [
    { id: 'AwsSolutions-COG3', reason: 'Advanced security (threat protection) is a paid plan; the pool requires MFA and strong passwords, and has no self sign-up.' },
    { id: 'AwsSolutions-COG8', reason: 'The Plus plan (threat protection) is billed per active user; a few staff accounts behind MFA and invitation-only sign-up use Essentials. Switch featurePlan to PLUS to add it.' },
  ]);
  new CfnOutput(scope, 'UserPoolId', { value: pool.userPoolId, description: 'Cognito user pool of OMS staff (groups admin, operations, analyst)' });
  new CfnOutput(scope, 'ConsoleClientId', { value: consoleClient.userPoolClientId, description: 'App client the operations console signs in with' });
  return { userPool: pool, consoleClient };
}

/**
 * Who may publish on the OMS bus (a resource policy: denies win over any
 * identity policy in the account). `oms.*` sources: only principals tagged
 * OMS_PUBLISHER_TAG (the pipes' roles). `FulfillmentReported` and the `wms`
 * source: only the named WMS principals, allowed to put exactly that.
 */
export function restrictBusPublishers(bus: EventBus, wmsPrincipals: readonly string[]): void {
  const putEvents = { actions: ['events:PutEvents'], resources: [bus.eventBusArn] };
  bus.addToResourcePolicy(
    new PolicyStatement({
      sid: 'OnlyTheOmsPublishesOmsSources',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      ...putEvents,
      conditions: {
        StringLike: { 'events:source': 'oms.*' },
        StringNotEquals: { [`aws:PrincipalTag/${OMS_PUBLISHER_TAG.key}`]: OMS_PUBLISHER_TAG.value },
      },
    }),
  );
  for (const [sid, key, value] of [
    ['OnlyNamedWmsPublishWms', 'events:source', FulfillmentReported.source],
    ['OnlyNamedWmsPublishFulfillmentReported', 'events:detail-type', FulfillmentReported.detailType],
  ] as const) {
    bus.addToResourcePolicy(
      new PolicyStatement({
        sid,
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        ...putEvents,
        conditions: {
          StringEquals: { [key]: value },
          ...(wmsPrincipals.length > 0 ? { ArnNotLike: { 'aws:PrincipalArn': [...wmsPrincipals] } } : {}),
        },
      }),
    );
  }
  if (wmsPrincipals.length > 0) {
    bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'NamedWmsPublishFulfillmentReported',
        effect: Effect.ALLOW,
        principals: wmsPrincipals.map((arn) => new ArnPrincipal(arn)),
        ...putEvents,
        conditions: { StringEquals: { 'events:source': FulfillmentReported.source, 'events:detail-type': FulfillmentReported.detailType } },
      }),
    );
  }
}
