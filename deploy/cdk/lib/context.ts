import { QUEUES, QueueName } from './names';
import { JobsStackProps } from './props';

/**
 * CONTEXT lists the context values bin/app.ts reads (cdk.json, or
 * `cdk deploy -c name=value`), each a string, with whether it is required.
 */
export const CONTEXT: Record<string, { required: boolean; help: string }> = {
  appEnv: { required: false, help: 'production (default) or staging: APP_ENV' },
  ecrRepository: { required: true, help: 'existing ECR repository CI pushes to' },
  imageTag: { required: true, help: 'tag the services run; CI moves it to each build' },
  cpuArchitecture: { required: false, help: 'ARM64 (default) or X86_64' },
  vpcId: { required: false, help: 'existing VPC; a new one when empty' },
  vpcAvailabilityZones: { required: false, help: 'comma-separated, with vpcId' },
  vpcPrivateSubnetIds: { required: false, help: 'comma-separated, with vpcId' },
  vpcPublicSubnetIds: { required: false, help: 'comma-separated, with vpcId' },
  certificateArn: { required: false, help: 'ACM certificate of a new ALB' },
  listenerArn: { required: false, help: "or the existing ALB's HTTPS listener" },
  albSecurityGroupId: { required: false, help: "the existing ALB's security group, with listenerArn" },
  listenerPriority: { required: false, help: 'priority of the /admin/* and /webhooks/* rule (default 10)' },
  databaseAddress: { required: true, help: 'RDS endpoint: DATABASE_ADDRESS' },
  databasePort: { required: false, help: 'DATABASE_PORT (default 5432)' },
  databaseName: { required: true, help: 'DATABASE_NAME' },
  databaseUsername: { required: true, help: 'DATABASE_USERNAME' },
  databasePasswordSecretArn: { required: true, help: 'Secrets Manager secret with the password' },
  databasePasswordSecretField: { required: false, help: 'its JSON field (default password)' },
  databaseSecurityGroupId: { required: true, help: "the RDS instance's security group" },
  databaseSslMode: { required: false, help: 'DATABASE_SSLMODE (default require)' },
  publicBaseUrl: { required: true, help: 'PUBLIC_BASE_URL, https origin Twilio calls back' },
  twilioAccountSid: { required: true, help: 'TWILIO_ACCOUNT_SID' },
  twilioMessagingServiceSid: { required: false, help: 'TWILIO_MESSAGING_SERVICE_SID (or twilioFrom)' },
  twilioFrom: { required: false, help: 'TWILIO_FROM (or twilioMessagingServiceSid)' },
  emailFrom: { required: true, help: 'EMAIL_FROM' },
  sesConfigurationSet: { required: false, help: 'SES_CONFIGURATION_SET, an existing set (default: a new one, jobs-<appEnv>)' },
  alarmTopicArn: { required: false, help: 'SNS topic the SES reputation alarms notify' },
  s3Bucket: { required: false, help: 'existing bucket for S3_BUCKET; a new one when empty' },
  apiBaseUrl: { required: false, help: 'API_BASE_URL (then API_KEY comes from SSM)' },
  ssmPrefix: { required: false, help: 'prefix of the SecureString parameters (default /jobs/<appEnv>/)' },
  workerMin: { required: false, help: 'fewest worker tasks (default 1)' },
  workerMax: { required: false, help: 'most worker tasks (default 10)' },
  backlogPerTask: { required: false, help: 'pending tasks per worker the scaling aims at (default 50)' },
  scaleOnQueues: { required: false, help: 'comma-separated queues whose backlog scales the workers' },
  redisNodeType: { required: false, help: 'ElastiCache node type (default cache.t4g.small)' },
  adot: { required: false, help: 'true runs the ADOT collector sidecar in the worker and scheduler tasks: traces to X-Ray (default false)' },
};

/**
 * propsFromContext builds the stack's properties from context values and
 * throws one error naming every missing or malformed value.
 */
export function propsFromContext(get: (key: string) => unknown): JobsStackProps {
  const problems: string[] = [];
  const str = (k: string): string | undefined => {
    const v = get(k);
    if (v === undefined || v === null || v === '') {
      if (CONTEXT[k].required) problems.push(`${k}: required (${CONTEXT[k].help})`);
      return undefined;
    }
    return String(v);
  };
  const num = (k: string): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) problems.push(`${k}: ${JSON.stringify(v)} is not a whole number`);
    return n;
  };
  const list = (k: string): string[] | undefined => str(k)?.split(',').map((s) => s.trim()).filter(Boolean);

  const appEnv = str('appEnv') ?? 'production';
  if (appEnv !== 'production' && appEnv !== 'staging') problems.push(`appEnv: ${appEnv} is not production or staging`);
  const arch = str('cpuArchitecture') ?? 'ARM64';
  if (arch !== 'ARM64' && arch !== 'X86_64') problems.push(`cpuArchitecture: ${arch} is not ARM64 or X86_64`);
  const vpcId = str('vpcId');
  const adot = str('adot') ?? 'false';
  if (adot !== 'true' && adot !== 'false') problems.push(`adot: ${adot} is not true or false`);
  const queues = list('scaleOnQueues');
  for (const q of queues ?? []) {
    if (!(QUEUES as readonly string[]).includes(q)) problems.push(`scaleOnQueues: unknown queue ${q}`);
  }
  const props: JobsStackProps = {
    appEnv: appEnv as 'production' | 'staging',
    image: { repositoryName: str('ecrRepository') ?? '', tag: str('imageTag') ?? '' },
    cpuArchitecture: arch as 'ARM64' | 'X86_64',
    vpc: vpcId
      ? {
          vpcId,
          availabilityZones: list('vpcAvailabilityZones') ?? [],
          privateSubnetIds: list('vpcPrivateSubnetIds') ?? [],
          publicSubnetIds: list('vpcPublicSubnetIds') ?? [],
        }
      : undefined,
    loadBalancer: {
      certificateArn: str('certificateArn'),
      listenerArn: str('listenerArn'),
      securityGroupId: str('albSecurityGroupId'),
      priority: num('listenerPriority'),
    },
    database: {
      address: str('databaseAddress') ?? '',
      port: num('databasePort'),
      name: str('databaseName') ?? '',
      username: str('databaseUsername') ?? '',
      passwordSecretArn: str('databasePasswordSecretArn') ?? '',
      passwordSecretField: str('databasePasswordSecretField'),
      securityGroupId: str('databaseSecurityGroupId') ?? '',
      sslMode: str('databaseSslMode'),
    },
    publicBaseUrl: str('publicBaseUrl') ?? '',
    twilio: {
      accountSid: str('twilioAccountSid') ?? '',
      messagingServiceSid: str('twilioMessagingServiceSid'),
      from: str('twilioFrom'),
    },
    emailFrom: str('emailFrom') ?? '',
    sesConfigurationSet: str('sesConfigurationSet'),
    alarmTopicArn: str('alarmTopicArn'),
    s3BucketName: str('s3Bucket'),
    apiBaseUrl: str('apiBaseUrl'),
    ssmPrefix: str('ssmPrefix'),
    redisNodeType: str('redisNodeType'),
    adotCollector: adot === 'true',
    worker: {
      minCount: num('workerMin'),
      maxCount: num('workerMax'),
      backlogPerTask: num('backlogPerTask'),
      scaleOnQueues: queues as QueueName[] | undefined,
    },
  };
  if (vpcId && (!props.vpc!.availabilityZones.length || !props.vpc!.privateSubnetIds.length)) {
    problems.push('vpcId: give vpcAvailabilityZones and vpcPrivateSubnetIds too (no lookups at synthesis)');
  }
  if (problems.length > 0) throw new Error(`context: ${problems.join('; ')}`);
  return props;
}
