import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { containers, env, flat, logicalId, synth } from './helpers';

// One synthesis shared by the read-only tests below.
const { template } = synth();
const byName = containers(template);

describe('SES events', () => {
  test('an SNS topic SES may publish to', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'jobs-production-ses-events' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'sns:Publish', Effect: 'Allow', Principal: { Service: 'ses.amazonaws.com' },
          Condition: { StringEquals: { 'AWS:SourceAccount': Match.anyValue() } },
        })]),
      },
    });
  });

  test('jobs admin subscribed over HTTPS at PUBLIC_BASE_URL/webhooks/ses, with retries', () => {
    const subs = Object.values(template.findResources('AWS::SNS::Subscription'));
    assert.equal(subs.length, 1);
    const p = subs[0].Properties;
    assert.equal(p.Protocol, 'https');
    assert.equal(flat(p.Endpoint), 'https://jobs.example.com/webhooks/ses');
    assert.equal(logicalId(p.TopicArn), logicalId(Object.keys(template.findResources('AWS::SNS::Topic'))[0]));
    assert.ok(p.DeliveryPolicy.healthyRetryPolicy.numRetries >= 10, 'more than the default three retries');
  });

  test('the configuration set publishes Send, Delivery, Bounce, Complaint, Reject and DeliveryDelay to the topic', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: 'jobs-production' });
    const set = Object.keys(template.findResources('AWS::SES::ConfigurationSet'))[0];
    const dests = Object.values(template.findResources('AWS::SES::ConfigurationSetEventDestination'));
    assert.equal(dests.length, 1);
    const d = dests[0].Properties;
    assert.equal(logicalId(d.ConfigurationSetName), set);
    assert.equal(d.EventDestination.Enabled, true);
    assert.deepEqual([...d.EventDestination.MatchingEventTypes].sort(),
      ['bounce', 'complaint', 'delivery', 'deliveryDelay', 'reject', 'send']);
    assert.equal(logicalId(d.EventDestination.SnsDestination.TopicARN), logicalId(Object.keys(template.findResources('AWS::SNS::Topic'))[0]));
  });

  test('the worker sends with the set; admin accepts only the topic', () => {
    const set = Object.keys(template.findResources('AWS::SES::ConfigurationSet'))[0];
    assert.equal(logicalId(env(byName.worker.container).SES_CONFIGURATION_SET), set);
    assert.equal(env(byName.admin.container).SES_CONFIGURATION_SET, undefined, 'admin sends nothing');
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    assert.equal(logicalId(env(byName.admin.container).SES_EVENTS_TOPIC_ARN), topic);
    assert.equal(env(byName.worker.container).SES_EVENTS_TOPIC_ARN, undefined, 'the worker serves no webhook');
  });

  test('an existing configuration set gets the destination, no new set', () => {
    const { template: t } = synth({ sesConfigurationSet: 'salon-mail' });
    t.resourceCountIs('AWS::SES::ConfigurationSet', 0);
    t.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', { ConfigurationSetName: 'salon-mail' });
    assert.equal(env(containers(t).worker.container).SES_CONFIGURATION_SET, 'salon-mail');
  });

  test('alarms on the account bounce rate at 5 % and complaint rate at 0.1 %', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties)
      .filter((p) => p.Namespace === 'AWS/SES');
    const byMetric = Object.fromEntries(alarms.map((p) => [p.MetricName, p]));
    assert.deepEqual(Object.keys(byMetric).sort(), ['Reputation.BounceRate', 'Reputation.ComplaintRate']);
    for (const [metric, threshold] of [['Reputation.BounceRate', 0.05], ['Reputation.ComplaintRate', 0.001]] as const) {
      const p = byMetric[metric];
      assert.equal(p.Threshold, threshold, metric);
      assert.equal(p.ComparisonOperator, 'GreaterThanOrEqualToThreshold', metric);
      assert.equal(p.Dimensions, undefined, `${metric}: the account's rate, no dimension`);
      assert.equal(p.TreatMissingData, 'notBreaching', metric);
      assert.equal(p.AlarmActions, undefined, `${metric}: no action without alarmTopicArn`);
    }
  });

  test('the alarms notify alarmTopicArn when given', () => {
    const arn = 'arn:aws:sns:us-east-1:111111111111:ops';
    const { template: t } = synth({ alarmTopicArn: arn });
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.Namespace === 'AWS/SES');
    assert.equal(alarms.length, 2);
    for (const a of alarms) {
      assert.deepEqual(a.Properties.AlarmActions, [arn]);
      assert.deepEqual(a.Properties.OKActions, [arn]);
    }
  });
});
