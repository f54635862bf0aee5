import * as cdk from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { Emf, QueueName } from './names';

export interface BacklogScalingProps {
  readonly cluster: ecs.ICluster;
  readonly service: ecs.FargateService;
  readonly appEnv: string;
  readonly minCount: number;
  readonly maxCount: number;
  /** The target: pending tasks per running worker task. */
  readonly backlogPerTask: number;
  /** Queues whose PendingTasks count. */
  readonly queues: QueueName[];
}

/**
 * Scales the worker service on backlog per task, not CPU: a worker waiting
 * on Twilio or SES is idle on CPU while its queues fill up.
 *
 * The figures come from the worker's own log lines in the embedded metric
 * format (internal/emf): PendingTasks per queue, once a minute. Every worker
 * task publishes the same figures, so they are read with Maximum, never
 * Sum. Running tasks come from Container Insights (RunningTaskCount), which
 * the cluster enables. A target-tracking policy keeps
 *
 *     (PendingTasks of the chosen queues) / RunningTaskCount
 *
 * near backlogPerTask; CloudWatch manages both alarms. The CDK's
 * TargetTrackingScalingPolicy takes a single metric only, so the policy is
 * written at the CloudFormation level, which accepts metric math.
 */
export class BacklogScaling extends Construct {
  readonly target: appscaling.ScalableTarget;
  readonly policy: appscaling.CfnScalingPolicy;

  constructor(scope: Construct, id: string, props: BacklogScalingProps) {
    super(scope, id);
    this.target = new appscaling.ScalableTarget(this, 'Target', {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${props.cluster.clusterName}/${props.service.serviceName}`,
      minCapacity: props.minCount,
      maxCapacity: props.maxCount,
    });
    const pending = props.queues.map((q) => ({
      id: `pending_${q}`,
      label: `${Emf.pending} ${q}`,
      returnData: false,
      metricStat: {
        stat: 'Maximum',
        metric: {
          namespace: Emf.namespace,
          metricName: Emf.pending,
          dimensions: [
            { name: Emf.environmentDimension, value: props.appEnv },
            { name: Emf.queueDimension, value: q },
          ],
        },
      },
    }));
    const tasks = {
      id: 'tasks',
      label: 'Running worker tasks',
      returnData: false,
      metricStat: {
        stat: 'Average',
        metric: {
          namespace: 'ECS/ContainerInsights',
          metricName: 'RunningTaskCount',
          dimensions: [
            { name: 'ClusterName', value: props.cluster.clusterName },
            { name: 'ServiceName', value: props.service.serviceName },
          ],
        },
      },
    };
    const backlog = {
      id: 'backlog_per_task',
      label: 'Pending tasks per running worker',
      expression: `(${pending.map((m) => m.id).join(' + ')}) / tasks`,
      returnData: true,
    };
    this.policy = new appscaling.CfnScalingPolicy(this, 'BacklogPerTask', {
      policyName: `${cdk.Names.uniqueId(this)}-backlog-per-task`.slice(-255),
      policyType: 'TargetTrackingScaling',
      scalingTargetId: this.target.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: props.backlogPerTask,
        // Out quickly when work piles up; in slowly, as a task stopped
        // mid-backlog hands its work back.
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
        customizedMetricSpecification: { metrics: [...pending, tasks, backlog] },
      },
    });
  }
}
