import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { JobsTask } from './task';

/**
 * ADOT_IMAGE is the AWS Distro for OpenTelemetry collector, pinned: a
 * collector upgrade is a deliberate change, like the app's own image.
 */
export const ADOT_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3';

/** ADOT_CONTAINER names the sidecar in the task definition. */
export const ADOT_CONTAINER = 'aws-otel-collector';

/**
 * addCollector runs the ADOT collector beside the task's jobs container
 * and points the jobs process at it: its bundled ECS configuration takes
 * OTLP on localhost:4318 and forwards the spans to AWS X-Ray. The
 * collector is not essential: a crashed collector costs traces, never a
 * task (the exporter drops what it cannot deliver), and the jobs
 * container waits for it to start so the first spans are not lost.
 */
export function addCollector(task: JobsTask, serviceName: string): ecs.ContainerDefinition {
  const collector = task.taskDefinition.addContainer(ADOT_CONTAINER, {
    containerName: ADOT_CONTAINER,
    image: ecs.ContainerImage.fromRegistry(ADOT_IMAGE),
    command: ['--config=/etc/ecs/ecs-default-config.yaml'],
    essential: false,
    memoryReservationMiB: 64,
    logging: ecs.LogDrivers.awsLogs({ logGroup: task.logGroup, streamPrefix: ADOT_CONTAINER }),
  });
  task.container.addContainerDependencies({ container: collector, condition: ecs.ContainerDependencyCondition.START });
  task.container.addEnvironment('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://localhost:4318');
  task.container.addEnvironment('OTEL_SERVICE_NAME', serviceName);
  task.taskDefinition.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
    resources: ['*'],
  }));
  return collector;
}
