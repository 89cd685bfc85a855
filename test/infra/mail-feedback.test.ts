import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesize, type Synthesized } from './synth.ts';

/** SES bounces and complaints on AWS: configuration set → encrypted topic → feedback queue → receiveSesFeedback (docs/notifications.md). */
let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
});

describe('SES feedback resources', () => {
  it('publish bounces and complaints of the configuration set to an encrypted topic subscribed by the feedback queue', () => {
    const t = synth.statefulTemplate;
    t.resourceCountIs('AWS::SES::ConfigurationSet', 1);
    t.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: Match.objectLike({ Enabled: true, MatchingEventTypes: ['bounce', 'complaint'], SnsDestination: { TopicARN: { Ref: Match.stringLikeRegexp('^MailFeedback') } } }),
    });
    t.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'OMS SES bounces and complaints', KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', TopicArn: { Ref: Match.stringLikeRegexp('^MailFeedback') }, Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MailFeedbackQueue'), 'Arn'] } });
    // The data key lets SES publish to the encrypted topic.
    const key = Object.values(t.findResources('AWS::KMS::Key'))[0] as { Properties: { KeyPolicy: { Statement: { Principal?: { Service?: string } }[] } } };
    expect(key.Properties.KeyPolicy.Statement.some((s) => s.Principal?.Service === 'ses.amazonaws.com')).toBe(true);
  });

  it('send customer mail with the configuration set and give the feedback consumer its topic', () => {
    const notify = Object.values(synth.statelessTemplate.findResources('AWS::Lambda::Function')).find((fn) =>
      JSON.stringify(fn).includes('notifyCustomer'),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> } } } | undefined;
    expect(notify?.Properties.Environment.Variables).toMatchObject({ SES_CONFIGURATION_SET: expect.anything(), SES_FEEDBACK_TOPIC_ARN: expect.anything() });
    synth.statelessTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: Match.anyValue(),
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });
});
