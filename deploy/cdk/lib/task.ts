import * as cdk from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BINARY, HTTP_PORT } from './names';

/** What every jobs container shares: one image, the variables every command reads. */
export interface TaskShared {
  readonly image: ecs.ContainerImage;
  readonly cpuArchitecture: ecs.CpuArchitecture;
  /** Plain variables: never a secret (config.Describe marks those). */
  readonly environment: Record<string, string>;
  /** Secret variables, from Secrets Manager or SSM. */
  readonly secrets: Record<string, ecs.Secret>;
  readonly stopTimeout: cdk.Duration;
  readonly logRetention: logs.RetentionDays;
  readonly prefix: string;
}

/** One role of the binary: its subcommand, size and extra variables. */
export interface RoleProps {
  /** The subcommand, also the container's name. */
  readonly command: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly environment?: Record<string, string>;
  readonly secrets?: Record<string, ecs.Secret>;
  /** Overrides the shared image (the migrate task runs its own tag). */
  readonly image?: ecs.ContainerImage;
  /** A long-running role serves /health/live; migrate exits instead. @default true */
  readonly longRunning?: boolean;
}

/** A Fargate task definition running `jobs <command>`, with its log group. */
export class JobsTask extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, shared: TaskShared, role: RoleProps) {
    super(scope, id);
    const longRunning = role.longRunning ?? true;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/ecs/${shared.prefix}/${role.command}`,
      retention: shared.logRetention,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      family: `${shared.prefix}-${role.command}`,
      cpu: role.cpu,
      memoryLimitMiB: role.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: shared.cpuArchitecture,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.container = this.taskDefinition.addContainer(role.command, {
      containerName: role.command,
      image: role.image ?? shared.image,
      command: [role.command],
      environment: {
        ...shared.environment,
        // The Go runtime's soft limit, under the task's hard one: the GC
        // works harder before the kernel kills the task for memory.
        GOMEMLIMIT: `${Math.floor(role.memoryMiB * 0.85)}MiB`,
        ...role.environment,
      },
      secrets: { ...shared.secrets, ...role.secrets },
      // Above SHUTDOWN_TIMEOUT, so in-flight tasks finish (or go back to
      // their queue) before ECS sends SIGKILL.
      stopTimeout: shared.stopTimeout,
      essential: true,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: role.command }),
      portMappings: longRunning ? [{ containerPort: HTTP_PORT, name: 'http' }] : undefined,
      healthCheck: longRunning
        ? {
            command: ['CMD', BINARY, 'healthcheck'],
            interval: cdk.Duration.seconds(15),
            timeout: cdk.Duration.seconds(5),
            retries: 3,
            startPeriod: cdk.Duration.seconds(30),
          }
        : undefined,
    });
  }
}
