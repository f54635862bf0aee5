import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Container, containers, env, flat, logicalId, synth } from './helpers';

// One synthesis shared by the read-only tests below.
const { template } = synth();
const byName = containers(template);

describe('services', () => {
  test('three Fargate services from one image, with their commands and desired counts', () => {
    const services = template.findResources('AWS::ECS::Service');
    const got: Record<string, { command: string[]; desired: number }> = {};
    for (const svc of Object.values(services)) {
      assert.equal(svc.Properties.LaunchType, 'FARGATE');
      const task = template.toJSON().Resources[logicalId(svc.Properties.TaskDefinition)];
      const c = task.Properties.ContainerDefinitions[0] as Container;
      got[c.Name] = { command: c.Command, desired: svc.Properties.DesiredCount };
    }
    assert.deepEqual(got, {
      worker: { command: ['worker'], desired: 1 },
      scheduler: { command: ['scheduler'], desired: 2 },
      admin: { command: ['admin'], desired: 2 },
    });
    const image = (name: string) => flat((byName[name].container as any).Image);
    for (const name of ['worker', 'scheduler', 'admin']) assert.equal(image(name), image('worker'), `${name} runs the services' image`);
    assert.match(image('worker'), /\/jobs:production$/);
    // CI points this tag at a new build first, and production only after it migrated.
    assert.match(image('migrate'), /\/jobs:production-migrate$/);
    template.hasOutput('ImageTag', { Value: 'production' });
    template.hasOutput('MigrateImageTag', { Value: 'production-migrate' });
  });

  test('a migrate task definition, run by CI, with no service', () => {
    assert.deepEqual(byName.migrate.container.Command, ['migrate']);
    assert.equal(byName.migrate.container.HealthCheck, undefined, 'migrate exits: no health check');
    assert.deepEqual(Object.keys(byName).sort(), ['admin', 'migrate', 'scheduler', 'worker']);
    template.hasOutput('MigrateTaskFamily', { Value: 'jobs-production-migrate' });
    template.hasOutput('MigrateSecurityGroupId', {});
    template.hasOutput('PrivateSubnetIds', {});
  });

  test('every container stops after SHUTDOWN_TIMEOUT: stopTimeout 60 s against 30 s', () => {
    for (const [name, { container }] of Object.entries(byName)) {
      // Only the worker reads SHUTDOWN_TIMEOUT; the others close at once.
      assert.equal(env(container).SHUTDOWN_TIMEOUT, name === 'worker' ? '30s' : undefined, name);
      assert.equal(container.StopTimeout, 60, name);
    }
  });

  test('health checks through jobs healthcheck on the long-running roles', () => {
    for (const name of ['worker', 'scheduler', 'admin']) {
      assert.deepEqual(byName[name].container.HealthCheck?.Command, ['CMD', '/usr/local/bin/jobs', 'healthcheck'], name);
    }
  });

  test('one CPU architecture for every task, ARM64 by default', () => {
    for (const [name, { task }] of Object.entries(byName)) {
      assert.deepEqual(task.RuntimePlatform, { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' }, name);
    }
    const x86 = containers(synth({ cpuArchitecture: 'X86_64' }).template);
    for (const { task } of Object.values(x86)) assert.equal(task.RuntimePlatform.CpuArchitecture, 'X86_64');
  });

  test('logs go to a log group per role, with retention', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    assert.equal(Object.keys(groups).length, 4);
    for (const g of Object.values(groups)) assert.equal(g.Properties.RetentionInDays, 30);
    for (const [name, { container }] of Object.entries(byName)) {
      assert.equal(container.LogConfiguration?.LogDriver, 'awslogs', name);
      assert.ok(groups[logicalId(container.LogConfiguration?.Options['awslogs-group'])], `${name} logs to its group`);
    }
  });

  test('only the worker publishes the backlog metrics (METRICS_EMF)', () => {
    for (const [name, { container }] of Object.entries(byName)) {
      assert.equal(env(container).METRICS_EMF, name === 'worker' ? 'true' : undefined, name);
    }
  });
});

describe('secrets', () => {
  // The variables config.Describe marks secret, and ADMIN_USERS.
  const secretNames = ['DATABASE_PASSWORD', 'DATABASE_URL', 'REDIS_PASSWORD', 'REDIS_URL', 'TWILIO_AUTH_TOKEN', 'API_KEY', 'ADMIN_USERS'];

  test('come from Secrets Manager or SSM, never from plain environment', () => {
    for (const [name, { container }] of Object.entries(byName)) {
      const plain = Object.keys(env(container)).filter((v) => secretNames.includes(v));
      assert.deepEqual(plain, [], `${name}: secrets in plain environment`);
      // Each role only the secrets its command reads.
      const want: Record<string, string[]> = {
        worker: ['DATABASE_PASSWORD', 'REDIS_PASSWORD', 'TWILIO_AUTH_TOKEN', 'API_KEY'],
        scheduler: ['REDIS_PASSWORD'],
        admin: ['DATABASE_PASSWORD', 'REDIS_PASSWORD', 'TWILIO_AUTH_TOKEN', 'ADMIN_USERS'],
        migrate: ['DATABASE_PASSWORD'],
      };
      assert.deepEqual((container.Secrets ?? []).map((s) => s.Name).sort(), want[name].sort(), name);
      for (const s of container.Secrets ?? []) {
        const from = typeof s.ValueFrom === 'string' || (s.ValueFrom as any)['Fn::Join'] ? flat(s.ValueFrom) : '';
        const ref = from === '' ? template.toJSON().Resources[logicalId(s.ValueFrom)] : undefined;
        assert.ok(
          from.includes(':secretsmanager:') || from.includes(':ssm:') || ref?.Type === 'AWS::SecretsManager::Secret',
          `${name} ${s.Name} comes from ${from || ref?.Type}`,
        );
      }
    }
  });

  test('the migrate task gets the database like the services (the seeds forgot DATABASE_URL)', () => {
    const m = env(byName.migrate.container);
    for (const v of ['DATABASE_ADDRESS', 'DATABASE_PORT', 'DATABASE_NAME', 'DATABASE_USERNAME']) {
      assert.equal(m[v], env(byName.worker.container)[v], v);
    }
    const pw = byName.migrate.container.Secrets?.find((s) => s.Name === 'DATABASE_PASSWORD');
    assert.equal(pw?.ValueFrom, 'arn:aws:secretsmanager:us-east-1:111111111111:secret:rds-jobs-AbCdEf:password::');
  });

  test('SSM parameters under /jobs/<appEnv>/ and the Redis AUTH token never in the template', () => {
    const admin = byName.admin.container.Secrets!.find((s) => s.Name === 'ADMIN_USERS')!;
    assert.match(flat(admin.ValueFrom), /:ssm:.*:parameter\/jobs\/production\/ADMIN_USERS$/);
    const rg = Object.values(template.findResources('AWS::ElastiCache::ReplicationGroup'))[0];
    assert.match(flat(rg.Properties.AuthToken), /^\{\{resolve:secretsmanager:/);
  });
});

describe('admin behind the ALB', () => {
  test('an HTTPS listener rule for /admin/* and /webhooks/*', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc' }],
      DefaultActions: [Match.objectLike({ Type: 'fixed-response' })],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 10,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/admin', '/admin/*', '/webhooks/*'] } }],
      Actions: [Match.objectLike({ Type: 'forward' })],
    });
  });

  test('the target group checks /health/ready on 8080', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/health/ready',
      Matcher: { HttpCode: '200' },
      Port: 8080,
      Protocol: 'HTTP',
      TargetType: 'ip',
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      LoadBalancers: [{ ContainerName: 'admin', ContainerPort: 8080, TargetGroupArn: Match.anyValue() }],
    });
  });

  test("on the platform's existing ALB: a rule on its listener, no new load balancer", () => {
    const { template: t } = synth({
      loadBalancer: {
        listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/platform/abc/def',
        securityGroupId: 'sg-0aaaaaaaaaaaaaaaa',
        priority: 42,
      },
    });
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 0);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      ListenerArn: 'arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/platform/abc/def',
      Priority: 42,
    });
    assert.deepEqual(ingress(t).filter((r) => r.startsWith('admin')), ['admin <- sg-0aaaaaaaaaaaaaaaa tcp/8080']);
  });
});

describe('network', () => {
  test('security-group ingress exactly: tasks to Redis and RDS, ALB to admin only', () => {
    assert.deepEqual(ingress(template), [
      'admin <- alb tcp/8080',
      'alb <- 0.0.0.0/0 tcp/443',
      'redis <- admin tcp/6379',
      'redis <- scheduler tcp/6379',
      'redis <- worker tcp/6379',
      // The scheduler opens no Postgres connection (app.Needs{}).
      'sg-0123456789abcdef0 <- admin tcp/5432',
      'sg-0123456789abcdef0 <- migrate tcp/5432',
      'sg-0123456789abcdef0 <- worker tcp/5432',
    ]);
  });

  test('ElastiCache Redis in private subnets, TLS, with a replica', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'redis',
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      CacheSubnetGroupName: Match.anyValue(),
    });
    template.resourceCountIs('AWS::ElastiCache::SubnetGroup', 1);
    const w = env(byName.worker.container);
    assert.equal(w.REDIS_TLS, 'true');
    assert.deepEqual(w.REDIS_HOST, { 'Fn::GetAtt': [logicalId(Object.keys(template.findResources('AWS::ElastiCache::ReplicationGroup'))[0]), 'PrimaryEndPoint.Address'] });
  });

  test('a new VPC by default, an existing one without a lookup', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    const { template: t } = synth({
      vpc: {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
        publicSubnetIds: ['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2'],
      },
    });
    t.resourceCountIs('AWS::EC2::VPC', 0);
    t.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ Subnets: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'] }) },
    });
  });
});

describe('worker scaling on backlog', () => {
  test('a target-tracking policy on pending tasks per running worker', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
      ServiceNamespace: 'ecs',
    });
    const policies = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'));
    assert.equal(policies.length, 1, 'one scaling policy: backlog, not CPU');
    const cfg = policies[0].Properties.TargetTrackingScalingPolicyConfiguration;
    assert.equal(policies[0].Properties.PolicyType, 'TargetTrackingScaling');
    assert.equal(cfg.TargetValue, 50);
    assert.equal(cfg.PredefinedMetricSpecification, undefined);
    const metrics = cfg.CustomizedMetricSpecification.Metrics as any[];
    const pending = metrics.filter((m) => m.MetricStat?.Metric.MetricName === 'PendingTasks');
    assert.deepEqual(pending.map((m) => m.MetricStat.Metric.Dimensions), ['emails', 'uploads', 'sync', 'reports'].map((q) => [
      { Name: 'Environment', Value: 'production' },
      { Name: 'Queue', Value: q },
    ]));
    for (const m of pending) {
      assert.equal(m.MetricStat.Metric.Namespace, 'Jobs');
      assert.equal(m.MetricStat.Stat, 'Maximum', 'every worker publishes the same figure: never Sum');
    }
    const tasks = metrics.find((m) => m.Id === 'tasks');
    assert.equal(tasks.MetricStat.Metric.MetricName, 'RunningTaskCount');
    const out = metrics.filter((m) => m.ReturnData);
    assert.equal(out.length, 1);
    assert.equal(out[0].Expression, '(pending_emails + pending_uploads + pending_sync + pending_reports) / tasks');
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  test('bounds and queues are configurable', () => {
    const { template: t } = synth({ appEnv: 'staging', worker: { minCount: 2, maxCount: 20, backlogPerTask: 10, scaleOnQueues: ['sms'] } });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 20 });
    const cfg = Object.values(t.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'))[0].Properties.TargetTrackingScalingPolicyConfiguration;
    assert.equal(cfg.TargetValue, 10);
    assert.equal(cfg.CustomizedMetricSpecification.Metrics.find((m: any) => m.ReturnData).Expression, '(pending_sms) / tasks');
    assert.deepEqual(cfg.CustomizedMetricSpecification.Metrics[0].MetricStat.Metric.Dimensions[0], { Name: 'Environment', Value: 'staging' });
    t.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'jobs-staging-worker', DesiredCount: 2 });
  });
});

describe('mistakes stop the synthesis', () => {
  const cases: { name: string; overrides: Parameters<typeof synth>[0]; message: RegExp }[] = [
    { name: 'stopTimeout not above SHUTDOWN_TIMEOUT', overrides: { shutdownTimeoutSeconds: 60, stopTimeoutSeconds: 60 }, message: /stopTimeoutSeconds \(60\) must be above shutdownTimeoutSeconds/ },
    { name: 'no worker left to publish the backlog', overrides: { worker: { minCount: 0 } }, message: /minCount must be at least 1/ },
    { name: 'no load balancer', overrides: { loadBalancer: {} }, message: /certificateArn/ },
    { name: 'an http public origin', overrides: { publicBaseUrl: 'http://jobs.example.com' }, message: /publicBaseUrl/ },
    { name: 'no Twilio sender', overrides: { twilio: { accountSid: 'AC1' } }, message: /messagingServiceSid or from/ },
  ];
  for (const c of cases) {
    test(c.name, () => assert.throws(() => synth(c.overrides), c.message));
  }
});

/**
 * ingress lists every ingress rule as "group <- source proto/port", with
 * the stack's security groups by role and imported ones by ID.
 */
function ingress(t: Template): string[] {
  const role = (id: unknown): string => {
    if (typeof id === 'string' && !id.startsWith('{')) {
      if (/^sg-/.test(id) || id.includes('/')) return id;
    }
    const name = logicalId(id);
    const m = /^(AdminEndpointAlb|Redis|Worker|Scheduler|Admin|Migrate)SecurityGroup/.exec(name);
    if (!m) return name;
    return m[1] === 'AdminEndpointAlb' ? 'alb' : m[1].toLowerCase();
  };
  const rules: string[] = [];
  const add = (group: unknown, r: any) => {
    const src = r.CidrIp ?? r.CidrIpv6 ?? role(r.SourceSecurityGroupId);
    const port = r.FromPort === r.ToPort ? `${r.FromPort}` : `${r.FromPort}-${r.ToPort}`;
    rules.push(`${role(group)} <- ${src} ${r.IpProtocol}/${port}`);
  };
  for (const [id, sg] of Object.entries(t.findResources('AWS::EC2::SecurityGroup'))) {
    for (const r of sg.Properties.SecurityGroupIngress ?? []) add(id, r);
  }
  for (const r of Object.values(t.findResources('AWS::EC2::SecurityGroupIngress'))) add(r.Properties.GroupId, r.Properties);
  return rules.sort();
}
