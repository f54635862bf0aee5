import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { SES_EVENTS_PATH } from './names';

export interface SesEventsProps {
  /** jobs-<appEnv>: names the topic, the new configuration set and the alarms. */
  readonly prefix: string;
  /** SES_CONFIGURATION_SET: an existing set; a new one named <prefix> when absent. */
  readonly configurationSetName?: string;
  /** PUBLIC_BASE_URL: SNS posts to <publicBaseUrl>/webhooks/ses. */
  readonly publicBaseUrl: string;
  /** SNS topic the reputation alarms notify; none when absent. */
  readonly alarmTopicArn?: string;
}

/** The SES events the configuration set publishes: those the outbox acts on or counts. */
export const SES_EVENT_TYPES = [
  ses.EmailSendingEvent.SEND,
  ses.EmailSendingEvent.DELIVERY,
  ses.EmailSendingEvent.BOUNCE,
  ses.EmailSendingEvent.COMPLAINT,
  ses.EmailSendingEvent.REJECT,
  ses.EmailSendingEvent.DELIVERY_DELAY,
];

/**
 * Thresholds of the account's reputation alarms, as SES reports the rates
 * (fractions): SES reviews an account at 5 % bounces and 0.1 % complaints
 * and may pause it at 10 % and 0.5 %, so these fire while there is time.
 */
export const BOUNCE_RATE_ALARM = 0.05;
export const COMPLAINT_RATE_ALARM = 0.001;

/**
 * The deliverability loop: the configuration set publishes its events to an
 * SNS topic, which posts them over HTTPS to `jobs admin` at
 * PUBLIC_BASE_URL/webhooks/ses (it confirms the subscription itself and
 * accepts only this topic: SES_EVENTS_TOPIC_ARN); CloudWatch alarms watch
 * the account's bounce and complaint rates.
 */
export class SesEvents extends Construct {
  readonly topic: sns.Topic;
  /** SES_CONFIGURATION_SET for the worker. */
  readonly configurationSetName: string;
  readonly bounceAlarm: cloudwatch.Alarm;
  readonly complaintAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SesEventsProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: `${props.prefix}-ses-events`,
      displayName: `${props.prefix} SES events`,
    });
    // SES publishes as its service principal, for this account's sets only.
    this.topic.addToResourcePolicy(new iam.PolicyStatement({
      actions: ['sns:Publish'],
      principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
      resources: [this.topic.topicArn],
      conditions: { StringEquals: { 'AWS:SourceAccount': stack.account } },
    }));
    this.topic.addSubscription(new subs.UrlSubscription(`${props.publicBaseUrl}${SES_EVENTS_PATH}`, {
      protocol: sns.SubscriptionProtocol.HTTPS,
      // SNS's HTTP default gives up after three quick retries; a rollout
      // or a short outage of the admin service must not lose a bounce.
      // SNS caps a policy at an hour of retries.
      deliveryPolicy: {
        healthyRetryPolicy: {
          numRetries: 40,
          numNoDelayRetries: 0,
          numMinDelayRetries: 3,
          minDelayTarget: cdk.Duration.seconds(20),
          maxDelayTarget: cdk.Duration.seconds(300),
          backoffFunction: sns.BackoffFunction.EXPONENTIAL,
        },
      },
    }));

    const configurationSet = props.configurationSetName
      ? ses.ConfigurationSet.fromConfigurationSetName(this, 'ConfigurationSet', props.configurationSetName)
      : new ses.ConfigurationSet(this, 'ConfigurationSet', { configurationSetName: props.prefix });
    // A reference, so the worker is not rolled onto a set not yet created.
    this.configurationSetName = configurationSet.configurationSetName;
    new ses.ConfigurationSetEventDestination(this, 'EventDestination', {
      configurationSet,
      configurationSetEventDestinationName: 'jobs-sns',
      destination: ses.EventDestination.snsTopic(this.topic),
      events: SES_EVENT_TYPES,
    });

    const rate = (metricName: string) => new cloudwatch.Metric({
      namespace: 'AWS/SES', metricName, statistic: 'Maximum', period: cdk.Duration.minutes(15),
    });
    const alarm = (id: string, metricName: string, threshold: number, what: string) => new cloudwatch.Alarm(this, id, {
      alarmName: `${props.prefix}-ses-${what}-rate`,
      alarmDescription: `SES ${what} rate at or above ${threshold * 100} %: see "When the SES reputation alarms fire" in the README`,
      metric: rate(metricName),
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // SES publishes the rates only while the account sends.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.bounceAlarm = alarm('BounceRateAlarm', 'Reputation.BounceRate', BOUNCE_RATE_ALARM, 'bounce');
    this.complaintAlarm = alarm('ComplaintRateAlarm', 'Reputation.ComplaintRate', COMPLAINT_RATE_ALARM, 'complaint');
    if (props.alarmTopicArn) {
      const notify = new cwactions.SnsAction(sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn));
      for (const a of [this.bounceAlarm, this.complaintAlarm]) {
        a.addAlarmAction(notify);
        a.addOkAction(notify);
      }
    }
  }
}
