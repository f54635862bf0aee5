import * as cdk from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { AdminEndpoint } from './admin-endpoint';
import { BacklogScaling } from './backlog-scaling';
import { Command, HTTP_PORT } from './names';
import { addCollector } from './otel';
import { JobsStackProps, Resolved, resolve } from './props';
import { Redis } from './redis';
import { SesEvents } from './ses-events';
import { JobsTask, TaskShared } from './task';

/**
 * The jobs daemon on ECS Fargate: one image, three services (worker scaled
 * on queue backlog, scheduler with two leader-elected replicas, admin behind
 * the ALB) and the migrate task definition that CI runs before rolling them
 * (README.md in this folder). Redis is a new ElastiCache replication group;
 * Postgres is the platform's existing RDS instance. SES events come back to
 * the admin service through SNS, and alarms watch the SES reputation.
 */
export class JobsStack extends cdk.Stack {
  readonly cluster: ecs.Cluster;
  readonly services: Record<'worker' | 'scheduler' | 'admin', ecs.FargateService>;
  readonly migrate: JobsTask;

  constructor(scope: Construct, id: string, props: JobsStackProps) {
    super(scope, id, props);
    const r = resolve(props);
    const vpc = props.vpc
      ? ec2.Vpc.fromVpcAttributes(this, 'Vpc', props.vpc)
      : new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const privateSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      clusterName: r.prefix,
      // RunningTaskCount, the denominator of the backlog-per-task target.
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const redis = new Redis(this, 'Redis', {
      vpc, subnets: privateSubnets, prefix: r.prefix,
      nodeType: props.redisNodeType ?? 'cache.t4g.small', nodes: props.redisNodes ?? 2,
    });
    const bucket = props.s3BucketName
      ? s3.Bucket.fromBucketName(this, 'Storage', props.s3BucketName)
      : new s3.Bucket(this, 'Storage', {
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          encryption: s3.BucketEncryption.S3_MANAGED,
          enforceSSL: true,
          removalPolicy: cdk.RemovalPolicy.RETAIN,
        });

    const repository = ecr.Repository.fromRepositoryName(this, 'Repository', props.image.repositoryName);
    const migrateTag = props.image.migrateTag ?? `${props.image.tag}-migrate`;
    const shared = this.shared(r, ecs.ContainerImage.fromEcrRepository(repository, props.image.tag));
    const sesEvents = new SesEvents(this, 'SesEvents', {
      prefix: r.prefix, configurationSetName: props.sesConfigurationSet,
      publicBaseUrl: props.publicBaseUrl, alarmTopicArn: props.alarmTopicArn,
    });
    const v = this.variables(props, r, redis, bucket, sesEvents.configurationSetName);
    const task = (command: string, cpu: number, memoryMiB: number, extra: Partial<ConstructorParameters<typeof JobsTask>[3]> = {}) =>
      new JobsTask(this, cap(command), shared, { command, cpu, memoryMiB, ...extra });
    // Each role gets only the variables its command reads (`jobs config`,
    // column USED BY); internal/deploytest checks it against the code.
    const worker = task(Command.worker, r.worker.cpu, r.worker.memoryMiB, {
      environment: {
        ...v.serve, ...v.database, ...v.redis, ...v.delivery,
        SHUTDOWN_TIMEOUT: `${r.shutdownTimeoutSeconds}s`,
        // internal/emf: the backlog as CloudWatch metrics in the log lines.
        METRICS_EMF: 'true',
      },
      secrets: { ...v.databaseSecrets, ...v.redisSecrets, ...v.deliverySecrets },
    });
    const scheduler = task(Command.scheduler, 256, 512, {
      environment: { ...v.serve, ...v.redis },
      secrets: v.redisSecrets,
    });
    const admin = task(Command.admin, 512, 1024, {
      // The Twilio webhooks: SMS_PROVIDER=twilio serves them, checked
      // with the auth token against PUBLIC_BASE_URL. The SES events
      // webhook accepts only the stack's topic.
      environment: {
        ...v.serve, ...v.database, ...v.redis, SMS_PROVIDER: 'twilio', PUBLIC_BASE_URL: props.publicBaseUrl,
        SES_EVENTS_TOPIC_ARN: sesEvents.topic.topicArn,
      },
      secrets: {
        ...v.databaseSecrets, ...v.redisSecrets,
        TWILIO_AUTH_TOKEN: v.deliverySecrets.TWILIO_AUTH_TOKEN,
        ADMIN_USERS: this.ssmSecret('AdminUsers', r, 'ADMIN_USERS'),
      },
    });
    this.migrate = task(Command.migrate, 256, 512, {
      longRunning: false,
      image: ecs.ContainerImage.fromEcrRepository(repository, migrateTag),
      environment: v.database,
      secrets: v.databaseSecrets,
    });

    if (props.adotCollector) {
      addCollector(worker, `${r.prefix}-${Command.worker}`);
      addCollector(scheduler, `${r.prefix}-${Command.scheduler}`);
    }

    bucket.grantReadWrite(worker.taskDefinition.taskRole);
    worker.taskDefinition.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ses:SendEmail', 'ses:SendRawEmail'],
      resources: ['*'],
    }));

    const sg = (name: string) => new ec2.SecurityGroup(this, `${name}SecurityGroup`, {
      vpc, description: `${r.prefix} ${name.toLowerCase()} tasks`, allowAllOutbound: true,
    });
    const sgs = { worker: sg('Worker'), scheduler: sg('Scheduler'), admin: sg('Admin'), migrate: sg('Migrate') };
    // The scheduler talks to Redis only (app.Scheduler in internal/app).
    redis.allowFrom(sgs.worker, 'jobs worker');
    redis.allowFrom(sgs.scheduler, 'jobs scheduler');
    redis.allowFrom(sgs.admin, 'jobs admin');
    const dbPort = props.database.port ?? 5432;
    const db = ec2.SecurityGroup.fromSecurityGroupId(this, 'DatabaseSecurityGroup', props.database.securityGroupId, { mutable: true });
    db.addIngressRule(sgs.worker, ec2.Port.tcp(dbPort), `${r.prefix} worker`);
    db.addIngressRule(sgs.admin, ec2.Port.tcp(dbPort), `${r.prefix} admin`);
    db.addIngressRule(sgs.migrate, ec2.Port.tcp(dbPort), `${r.prefix} migrate`);

    const service = (name: 'worker' | 'scheduler' | 'admin', t: JobsTask, desiredCount: number) =>
      new ecs.FargateService(this, `${cap(name)}Service`, {
        cluster: this.cluster,
        serviceName: `${r.prefix}-${name}`,
        taskDefinition: t.taskDefinition,
        desiredCount,
        securityGroups: [sgs[name]],
        vpcSubnets: privateSubnets,
        assignPublicIp: false,
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        circuitBreaker: { enable: true, rollback: true },
      });
    this.services = {
      worker: service('worker', worker, r.worker.minCount),
      scheduler: service('scheduler', scheduler, r.schedulerCount),
      admin: service('admin', admin, r.adminCount),
    };

    new BacklogScaling(this, 'WorkerScaling', {
      cluster: this.cluster, service: this.services.worker, appEnv: r.appEnv,
      minCount: r.worker.minCount, maxCount: r.worker.maxCount,
      backlogPerTask: r.worker.backlogPerTask, queues: r.worker.scaleOnQueues,
    });
    const endpoint = new AdminEndpoint(this, 'AdminEndpoint', {
      vpc, service: this.services.admin, containerName: Command.admin,
      loadBalancer: props.loadBalancer, priority: r.listenerPriority,
    });

    // What CI needs to run the migrate task and roll the services.
    const out = (id: string, value: string, description: string) => new cdk.CfnOutput(this, id, { value, description });
    out('ClusterName', this.cluster.clusterName, 'ECS cluster');
    out('MigrateTaskFamily', this.migrate.taskDefinition.family, 'family of the migrate task: run it before every rollout');
    out('MigrateLogGroup', this.migrate.logGroup.logGroupName, 'log group of the migrate task');
    out('MigrateSecurityGroupId', sgs.migrate.securityGroupId, 'security group of the migrate task');
    out('PrivateSubnetIds', vpc.selectSubnets(privateSubnets).subnetIds.join(','), 'subnets of the migrate task');
    out('WorkerServiceName', this.services.worker.serviceName, 'worker service');
    out('SchedulerServiceName', this.services.scheduler.serviceName, 'scheduler service');
    out('AdminServiceName', this.services.admin.serviceName, 'admin service');
    out('EcrRepositoryName', repository.repositoryName, 'ECR repository of the image');
    out('ImageTag', props.image.tag, 'tag the services run: CI moves it after the migrations succeed');
    out('MigrateImageTag', migrateTag, 'tag the migrate task runs: CI moves it to each new build first');
    out('SesEventsTopicArn', sesEvents.topic.topicArn, 'SNS topic of the SES events (SES_EVENTS_TOPIC_ARN of jobs admin)');
    out('SesConfigurationSet', sesEvents.configurationSetName, 'SES configuration set the worker sends with');
    out('CpuArchitecture', r.cpuArchitecture, 'runtime platform of every task: the image must include it');
    if (endpoint.dnsName) out('AdminUrl', `https://${endpoint.dnsName}/admin/queues`, 'dashboard (point your DNS name at the ALB)');
  }

  /** What every container shares: the image, the process variables, the stop and log settings. */
  private shared(r: Resolved, image: ecs.ContainerImage): TaskShared {
    return {
      image,
      cpuArchitecture: r.cpuArchitecture === 'ARM64' ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
      environment: { APP_ENV: r.appEnv, LOG_FORMAT: 'json', LOG_LEVEL: 'info' },
      secrets: {},
      stopTimeout: cdk.Duration.seconds(r.stopTimeoutSeconds),
      logRetention: r.logRetention,
      prefix: r.prefix,
    };
  }

  /** The variables by what they reach (`jobs config` names), for the roles to pick from. */
  private variables(props: JobsStackProps, r: Resolved, redis: Redis, bucket: s3.IBucket, sesConfigurationSet: string) {
    const db = props.database;
    const database: Record<string, string> = {
      DATABASE_ADDRESS: db.address,
      DATABASE_PORT: String(db.port ?? 5432),
      DATABASE_NAME: db.name,
      DATABASE_USERNAME: db.username,
      DATABASE_SSLMODE: db.sslMode ?? 'require',
    };
    const dbSecret = secretsmanager.Secret.fromSecretCompleteArn(this, 'DatabaseSecret', db.passwordSecretArn);
    // Config joins the parts into the URL and escapes the password, so
    // the migrate task gets the database exactly as the services do.
    const databaseSecrets = { DATABASE_PASSWORD: ecs.Secret.fromSecretsManager(dbSecret, db.passwordSecretField ?? 'password') };
    const delivery: Record<string, string> = {
      PUBLIC_BASE_URL: props.publicBaseUrl,
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: props.twilio.accountSid,
      EMAIL_PROVIDER: 'ses',
      EMAIL_FROM: props.emailFrom,
      // Its events come back through SNS (SesEvents).
      SES_CONFIGURATION_SET: sesConfigurationSet,
      STORAGE: 's3',
      S3_BUCKET: bucket.bucketName,
    };
    if (props.twilio.messagingServiceSid) delivery.TWILIO_MESSAGING_SERVICE_SID = props.twilio.messagingServiceSid;
    if (props.twilio.from) delivery.TWILIO_FROM = props.twilio.from;
    const deliverySecrets: Record<string, ecs.Secret> = {
      TWILIO_AUTH_TOKEN: this.ssmSecret('TwilioAuthToken', r, 'TWILIO_AUTH_TOKEN'),
    };
    if (props.apiBaseUrl) {
      delivery.API_BASE_URL = props.apiBaseUrl;
      deliverySecrets.API_KEY = this.ssmSecret('ApiKey', r, 'API_KEY');
    }
    return {
      serve: { HTTP_ADDR: `:${HTTP_PORT}` },
      database, databaseSecrets,
      redis: { REDIS_HOST: redis.host, REDIS_PORT: redis.port, REDIS_TLS: 'true' },
      redisSecrets: { REDIS_PASSWORD: ecs.Secret.fromSecretsManager(redis.authToken) },
      delivery, deliverySecrets,
    };
  }

  /** An SSM SecureString parameter named <ssmPrefix><variable>. */
  private ssmSecret(id: string, r: Resolved, variable: string): ecs.Secret {
    return ecs.Secret.fromSsmParameter(ssm.StringParameter.fromSecureStringParameterAttributes(this, id, {
      parameterName: `${r.ssmPrefix}${variable}`,
    }));
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
