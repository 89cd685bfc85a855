import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccountRecovery, CfnUserPoolGroup, FeaturePlan, Mfa, UserPool, type UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import { AnyPrincipal, ArnPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { GROUP_SCOPES, type UserGroup } from '#shared/domain/identity.ts';
import { FulfillmentReported } from '#events/fulfillment-reported.ts';
import { WMS_SOURCE_PREFIX, wmsSource, type WmsDeployment } from '#shared/domain/wms.ts';
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
 * OMS_PUBLISHER_TAG (the pipes' roles). WMS sources (`wms.<wmsId>`, and the
 * plain `wms` of old) and `FulfillmentReported`: only the WMS roles named in
 * `wms`, each allowed exactly FulfillmentReported with its own source and
 * denied every other WMS's source. The consumer then holds each source to its
 * WMS's locations (OMS_WMS_LOCATIONS).
 */
export function restrictBusPublishers(bus: EventBus, wms: WmsDeployment | undefined): void {
  const putEvents = { actions: ['events:PutEvents'], resources: [bus.eventBusArn] };
  const entries = Object.entries(wms ?? {});
  const principals = entries.map(([, { principal }]) => principal);
  // `wms` was the one source of all WMS before each had its own: nobody may put it any more.
  const wmsSources = ['wms', `${WMS_SOURCE_PREFIX}*`];
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
  const others = principals.length > 0 ? { ArnNotLike: { 'aws:PrincipalArn': principals } } : {};
  bus.addToResourcePolicy(
    new PolicyStatement({ sid: 'OnlyNamedWmsPublishWms', effect: Effect.DENY, principals: [new AnyPrincipal()], ...putEvents, conditions: { StringLike: { 'events:source': wmsSources }, ...others } }),
  );
  bus.addToResourcePolicy(
    new PolicyStatement({
      sid: 'OnlyNamedWmsPublishFulfillmentReported',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      ...putEvents,
      conditions: { StringEquals: { 'events:detail-type': FulfillmentReported.detailType }, ...others },
    }),
  );
  for (const [wmsId, { principal }] of entries) {
    const own = wmsSource(wmsId);
    // Its role may put no other WMS source (nor the plain `wms`): a leaked WMS role cannot report as another.
    bus.addToResourcePolicy(
      new PolicyStatement({
        sid: `WmsOnlyItsSource-${wmsId}`,
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        ...putEvents,
        conditions: { ArnLike: { 'aws:PrincipalArn': principal }, StringLike: { 'events:source': wmsSources }, StringNotEquals: { 'events:source': own } },
      }),
    );
    bus.addToResourcePolicy(
      new PolicyStatement({
        sid: `WmsPublishesReports-${wmsId}`,
        effect: Effect.ALLOW,
        principals: [new ArnPrincipal(principal)],
        ...putEvents,
        conditions: { StringEquals: { 'events:source': own, 'events:detail-type': FulfillmentReported.detailType } },
      }),
    );
  }
}
