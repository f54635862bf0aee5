import * as cdk from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { QUEUES, QueueName } from './names';

/** An existing VPC, described without a lookup (synthesis stays offline). */
export interface ExistingVpc {
  readonly vpcId: string;
  readonly availabilityZones: string[];
  /** Subnets with a route to the internet through NAT: the tasks and Redis. */
  readonly privateSubnetIds: string[];
  /** Subnets of a new load balancer (unused with an existing listener). */
  readonly publicSubnetIds: string[];
}

/** The existing RDS PostgreSQL instance (DATABASE_* variables). */
export interface DatabaseProps {
  /** DATABASE_ADDRESS: the instance's endpoint host name. */
  readonly address: string;
  /** DATABASE_PORT. @default 5432 */
  readonly port?: number;
  /** DATABASE_NAME. */
  readonly name: string;
  /** DATABASE_USERNAME. */
  readonly username: string;
  /** Complete ARN of the Secrets Manager secret holding the password (RDS's own secret works). */
  readonly passwordSecretArn: string;
  /** JSON field of the password in that secret. @default "password" */
  readonly passwordSecretField?: string;
  /** The instance's security group: the stack lets the worker, admin and migrate tasks in. */
  readonly securityGroupId: string;
  /**
   * DATABASE_SSLMODE. verify-full also needs DATABASE_SSLROOTCERT and the
   * RDS CA bundle in the image, which it does not hold yet.
   * @default "require"
   */
  readonly sslMode?: string;
}

/** Where the admin service is published. */
export interface LoadBalancerProps {
  /** ACM certificate of a new internet-facing ALB's HTTPS listener. */
  readonly certificateArn?: string;
  /** Or the HTTPS listener of the platform's existing ALB... */
  readonly listenerArn?: string;
  /** ...and that ALB's security group. */
  readonly securityGroupId?: string;
  /** Priority of the /admin/* and /webhooks/* rule on the listener. @default 10 */
  readonly priority?: number;
}

/** Worker service size and backlog scaling. */
export interface WorkerProps {
  /** Fewest worker tasks; at least 1, as the workers publish the backlog metrics. @default 1 */
  readonly minCount?: number;
  /** Most worker tasks. @default 10 */
  readonly maxCount?: number;
  /** Pending tasks per running worker task that the scaling policy aims at. @default 50 */
  readonly backlogPerTask?: number;
  /**
   * Queues whose backlog scales the workers. sms is left out by default:
   * its throughput is bounded by SMS_RATE_PER_SECOND across all workers,
   * so more workers would not drain a large campaign any faster.
   * @default ['emails', 'uploads', 'sync', 'reports']
   */
  readonly scaleOnQueues?: QueueName[];
  /** @default 1024 (1 vCPU) */
  readonly cpu?: number;
  /** @default 2048 */
  readonly memoryMiB?: number;
}

export interface JobsStackProps extends cdk.StackProps {
  /** APP_ENV of every container, and the Environment dimension of the worker's metrics. @default "production" */
  readonly appEnv?: 'production' | 'staging';
  /** Prefix of the cluster, services, task families and log groups. @default "jobs-<appEnv>" */
  readonly prefix?: string;
  /** An existing VPC; a new one (two AZs, one NAT gateway) when absent. */
  readonly vpc?: ExistingVpc;
  /**
   * The image: an existing ECR repository, the tag the services run, and
   * the tag the migrate task runs. CI points migrateTag at a new build
   * first, and tag only once that build's migrations succeeded.
   */
  readonly image: { readonly repositoryName: string; readonly tag: string; readonly migrateTag?: string };
  /** Fargate CPU architecture; CI builds linux/amd64 and linux/arm64, so either runs. @default "ARM64" */
  readonly cpuArchitecture?: 'ARM64' | 'X86_64';
  readonly database: DatabaseProps;
  /** ElastiCache node type. @default "cache.t4g.small" */
  readonly redisNodeType?: string;
  /** ElastiCache nodes: 2 or more gives a replica and automatic failover. @default 2 */
  readonly redisNodes?: number;
  readonly loadBalancer: LoadBalancerProps;
  /** PUBLIC_BASE_URL: the origin Twilio calls back (https://jobs.example.com). */
  readonly publicBaseUrl: string;
  /** TWILIO_ACCOUNT_SID and TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM. */
  readonly twilio: { readonly accountSid: string; readonly messagingServiceSid?: string; readonly from?: string };
  /** EMAIL_FROM. */
  readonly emailFrom: string;
  /**
   * SES_CONFIGURATION_SET: an existing configuration set, which gets the
   * SNS event destination; a new one named jobs-<appEnv> when absent.
   */
  readonly sesConfigurationSet?: string;
  /** SNS topic (ARN) the SES bounce and complaint rate alarms notify; none when absent. */
  readonly alarmTopicArn?: string;
  /** S3_BUCKET: an existing bucket; a new private one when absent. */
  readonly s3BucketName?: string;
  /** API_BASE_URL for sync:api_call; API_KEY then comes from SSM. */
  readonly apiBaseUrl?: string;
  /**
   * Prefix of the SSM SecureString parameters TWILIO_AUTH_TOKEN, ADMIN_USERS
   * and API_KEY (created by hand: CloudFormation cannot create SecureStrings).
   * @default "/jobs/<appEnv>/"
   */
  readonly ssmPrefix?: string;
  /** SHUTDOWN_TIMEOUT in seconds. @default 30 */
  readonly shutdownTimeoutSeconds?: number;
  /** Every container's stopTimeout, above SHUTDOWN_TIMEOUT; ECS allows 120 at most. @default 60 */
  readonly stopTimeoutSeconds?: number;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  readonly worker?: WorkerProps;
  /** Scheduler replicas (leader-elected). @default 2 */
  readonly schedulerCount?: number;
  /** Admin tasks (the Twilio webhooks are behind them too). @default 2 */
  readonly adminCount?: number;
  /**
   * Runs the AWS Distro for OpenTelemetry collector as a sidecar of the
   * worker and scheduler tasks, which then export their traces to it
   * (and it to X-Ray). @default false
   */
  readonly adotCollector?: boolean;
}

/** JobsStackProps with every default applied and every rule checked. */
export interface Resolved {
  readonly appEnv: 'production' | 'staging';
  readonly prefix: string;
  readonly cpuArchitecture: 'ARM64' | 'X86_64';
  readonly ssmPrefix: string;
  readonly shutdownTimeoutSeconds: number;
  readonly stopTimeoutSeconds: number;
  readonly logRetention: logs.RetentionDays;
  readonly worker: Required<WorkerProps>;
  readonly schedulerCount: number;
  readonly adminCount: number;
  readonly listenerPriority: number;
}

/** resolve applies the defaults and throws one error naming every mistake. */
export function resolve(p: JobsStackProps): Resolved {
  const appEnv = p.appEnv ?? 'production';
  const r: Resolved = {
    appEnv,
    prefix: p.prefix ?? `jobs-${appEnv}`,
    cpuArchitecture: p.cpuArchitecture ?? 'ARM64',
    ssmPrefix: withSlashes(p.ssmPrefix ?? `/jobs/${appEnv}/`),
    shutdownTimeoutSeconds: p.shutdownTimeoutSeconds ?? 30,
    stopTimeoutSeconds: p.stopTimeoutSeconds ?? 60,
    logRetention: p.logRetention ?? logs.RetentionDays.ONE_MONTH,
    worker: {
      minCount: p.worker?.minCount ?? 1,
      maxCount: p.worker?.maxCount ?? 10,
      backlogPerTask: p.worker?.backlogPerTask ?? 50,
      scaleOnQueues: p.worker?.scaleOnQueues ?? ['emails', 'uploads', 'sync', 'reports'],
      cpu: p.worker?.cpu ?? 1024,
      memoryMiB: p.worker?.memoryMiB ?? 2048,
    },
    schedulerCount: p.schedulerCount ?? 2,
    adminCount: p.adminCount ?? 2,
    listenerPriority: p.loadBalancer.priority ?? 10,
  };
  const problems: string[] = [];
  if (r.stopTimeoutSeconds <= r.shutdownTimeoutSeconds) {
    problems.push(`stopTimeoutSeconds (${r.stopTimeoutSeconds}) must be above shutdownTimeoutSeconds (${r.shutdownTimeoutSeconds}): ECS would kill tasks still finishing`);
  }
  if (r.stopTimeoutSeconds > 120) problems.push('stopTimeoutSeconds is at most 120 on Fargate');
  if (r.shutdownTimeoutSeconds > 110) problems.push('shutdownTimeoutSeconds is at most 110 (SHUTDOWN_TIMEOUT)');
  if (r.worker.minCount < 1) problems.push('worker.minCount must be at least 1: the workers publish the backlog that scales them');
  if (r.worker.maxCount < r.worker.minCount) problems.push('worker.maxCount is below worker.minCount');
  if (r.worker.backlogPerTask <= 0) problems.push('worker.backlogPerTask must be above 0');
  if (r.worker.scaleOnQueues.length === 0) problems.push('worker.scaleOnQueues is empty');
  for (const q of r.worker.scaleOnQueues) {
    if (!(QUEUES as readonly string[]).includes(q)) problems.push(`worker.scaleOnQueues: unknown queue ${q}`);
  }
  const lb = p.loadBalancer;
  if (!lb.listenerArn && !lb.certificateArn) problems.push('loadBalancer: give certificateArn (new ALB) or listenerArn and securityGroupId (existing ALB)');
  if (lb.listenerArn && !lb.securityGroupId) problems.push('loadBalancer.securityGroupId is required with listenerArn');
  if (!p.twilio.messagingServiceSid && !p.twilio.from) problems.push('twilio: give messagingServiceSid or from');
  if (!cdk.Token.isUnresolved(p.publicBaseUrl) && !/^https:\/\/[^/]+$/.test(p.publicBaseUrl)) problems.push(`publicBaseUrl ${JSON.stringify(p.publicBaseUrl)} is not an https origin (https://jobs.example.com)`);
  if (problems.length > 0) throw new Error(`jobs stack: ${problems.join('; ')}`);
  return r;
}

function withSlashes(prefix: string): string {
  const inner = prefix.replace(/^\/+|\/+$/g, '');
  return inner === '' ? '/' : `/${inner}/`;
}
