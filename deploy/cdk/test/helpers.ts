import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { JobsStack } from '../lib/jobs-stack';
import { JobsStackProps } from '../lib/props';

/** Props of a test stack: a new VPC and a new ALB, every required value set. */
export function testProps(overrides: Partial<JobsStackProps> = {}): JobsStackProps {
  return {
    image: { repositoryName: 'jobs', tag: 'production' },
    database: {
      address: 'salon-db.abc123.us-east-1.rds.amazonaws.com',
      name: 'salon',
      username: 'jobs',
      passwordSecretArn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:rds-jobs-AbCdEf',
      securityGroupId: 'sg-0123456789abcdef0',
    },
    loadBalancer: { certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc' },
    publicBaseUrl: 'https://jobs.example.com',
    twilio: { accountSid: 'AC0123', messagingServiceSid: 'MG0123' },
    emailFrom: 'Salon <no-reply@example.com>',
    apiBaseUrl: 'https://api.example.com',
    ...overrides,
  };
}

export function synth(overrides: Partial<JobsStackProps> = {}): { stack: JobsStack; template: Template } {
  const app = new cdk.App();
  const stack = new JobsStack(app, 'jobs-test', testProps(overrides));
  return { stack, template: Template.fromStack(stack) };
}

/** A container definition as it appears in the template. */
export interface Container {
  Name: string;
  Command: string[];
  Environment: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
  StopTimeout?: number;
  LogConfiguration?: { LogDriver: string; Options: Record<string, unknown> };
  HealthCheck?: { Command: string[] };
}

/** containers returns every task definition's single container, by name. */
export function containers(template: Template): Record<string, { container: Container; task: Record<string, any> }> {
  const out: Record<string, { container: Container; task: Record<string, any> }> = {};
  for (const [, res] of Object.entries(template.findResources('AWS::ECS::TaskDefinition'))) {
    // The ADOT collector sidecar (context adot) is not a jobs container.
    const defs = (res.Properties.ContainerDefinitions as Container[]).filter((c) => c.Name !== 'aws-otel-collector');
    if (defs.length !== 1) throw new Error(`task definition with ${defs.length} containers`);
    out[defs[0].Name] = { container: defs[0], task: res.Properties };
  }
  return out;
}

/** env returns a container's plain variables. */
export function env(c: Container): Record<string, unknown> {
  return Object.fromEntries(c.Environment.map((e) => [e.Name, e.Value]));
}

/** logicalId follows a Ref or Fn::GetAtt to the resource it names. */
export function logicalId(v: unknown): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, any>;
  if (o.Ref) return o.Ref;
  if (o['Fn::GetAtt']) return o['Fn::GetAtt'][0];
  throw new Error(`not a reference: ${JSON.stringify(v)}`);
}

/** flat joins an Fn::Join into a string, pseudo parameters by name. */
export function flat(v: unknown): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, any>;
  if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(flat).join(o['Fn::Join'][0]);
  if (o.Ref) return `<${o.Ref}>`;
  if (o['Fn::GetAtt']) return `<${o['Fn::GetAtt'].join('.')}>`;
  return JSON.stringify(v);
}
