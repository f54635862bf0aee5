#!/usr/bin/env node
// The CDK app: `npx cdk deploy` (context in cdk.json or -c name=value), or
// `npx tsx bin/app.ts` to synthesize into cdk.out without the CDK CLI.
import * as cdk from 'aws-cdk-lib';
import { propsFromContext } from '../lib/context';
import { JobsStack } from '../lib/jobs-stack';

const app = new cdk.App();
const props = propsFromContext((key) => app.node.tryGetContext(key));
new JobsStack(app, `jobs-${props.appEnv}`, {
  ...props,
  description: 'jobs: background workers, scheduler and dashboard on ECS Fargate',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
