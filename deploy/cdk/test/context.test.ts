import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CONTEXT, propsFromContext } from '../lib/context';
import { JobsStack } from '../lib/jobs-stack';

const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8'));
const example: Record<string, string> = Object.fromEntries(
  Object.entries(cdkJson.context as Record<string, unknown>).filter(([k]) => k in CONTEXT) as [string, string][],
);

test('the example context in cdk.json synthesizes', () => {
  const props = propsFromContext((k) => example[k]);
  const stack = new JobsStack(new cdk.App(), 'jobs-production', props);
  Template.fromStack(stack).resourceCountIs('AWS::ECS::Service', 3);
});

test('every missing required value is named at once', () => {
  assert.throws(() => propsFromContext(() => undefined), (err: Error) => {
    for (const [k, v] of Object.entries(CONTEXT)) {
      assert.equal(err.message.includes(`${k}: required`), v.required, k);
    }
    return true;
  });
});

test('malformed values are refused', () => {
  const get = (over: Record<string, string>) => (k: string) => (k in over ? over[k] : example[k]);
  assert.throws(() => propsFromContext(get({ workerMax: 'ten' })), /workerMax: "ten" is not a whole number/);
  assert.throws(() => propsFromContext(get({ cpuArchitecture: 'arm' })), /cpuArchitecture: arm is not ARM64 or X86_64/);
  assert.throws(() => propsFromContext(get({ scaleOnQueues: 'emails,mail' })), /unknown queue mail/);
  assert.throws(() => propsFromContext(get({ vpcId: 'vpc-1' })), /vpcAvailabilityZones/);
});

test('comma-separated lists and numbers', () => {
  const props = propsFromContext((k) => ({ ...example, scaleOnQueues: 'emails, reports', workerMax: '4' } as Record<string, string>)[k]);
  assert.deepEqual(props.worker?.scaleOnQueues, ['emails', 'reports']);
  assert.equal(props.worker?.maxCount, 4);
});

test('cdk.json names only known context values, and the README documents each', () => {
  const unknown = Object.keys(cdkJson.context).filter((k) => !k.startsWith('@') && k !== '//' && !(k in CONTEXT));
  assert.deepEqual(unknown, []);
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const undocumented = Object.keys(CONTEXT).filter((k) => !readme.includes('`' + k + '`'));
  assert.deepEqual(undocumented, []);
});
