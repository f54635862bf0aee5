import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { propsFromContext } from '../lib/context';
import { ADOT_CONTAINER, ADOT_IMAGE } from '../lib/otel';
import { env, logicalId, synth } from './helpers';

/** The task definitions' full container lists, by the jobs container's name. */
function tasks(template: ReturnType<typeof synth>['template']): Record<string, { defs: any[]; role: string }> {
  const out: Record<string, { defs: any[]; role: string }> = {};
  for (const [, res] of Object.entries(template.findResources('AWS::ECS::TaskDefinition'))) {
    const defs = res.Properties.ContainerDefinitions as any[];
    const main = defs.find((c) => c.Name !== ADOT_CONTAINER);
    out[main.Name] = { defs, role: logicalId(res.Properties.TaskRoleArn) };
  }
  return out;
}

test('without the adot flag no task has a collector or OTEL variables', () => {
  const { template } = synth();
  for (const [name, t] of Object.entries(tasks(template))) {
    assert.equal(t.defs.length, 1, `${name} has ${t.defs.length} containers`);
    assert.ok(!Object.keys(env(t.defs[0])).some((k) => k.startsWith('OTEL_')), `${name} has OTEL_ variables`);
  }
});

test('the adot flag adds the collector to the worker and the scheduler, pointed at by OTEL_*', () => {
  const { template } = synth({ adotCollector: true });
  const all = tasks(template);
  for (const name of ['worker', 'scheduler']) {
    const { defs } = all[name];
    assert.equal(defs.length, 2, `${name}: ${defs.map((d) => d.Name)}`);
    const collector = defs.find((d) => d.Name === ADOT_CONTAINER);
    const main = defs.find((d) => d.Name === name);
    assert.equal(collector.Image, ADOT_IMAGE);
    assert.equal(collector.Essential, false);
    assert.deepEqual(main.DependsOn, [{ ContainerName: ADOT_CONTAINER, Condition: 'START' }]);
    const vars = env(main);
    assert.equal(vars.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://localhost:4318');
    assert.match(String(vars.OTEL_SERVICE_NAME), new RegExp(`-${name}$`));
  }
  for (const name of ['admin', 'migrate']) {
    assert.equal(all[name].defs.length, 1, `${name} must not get the collector`);
  }
  // The worker's and the scheduler's roles may write to X-Ray.
  for (const name of ['worker', 'scheduler']) {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: {
        Roles: Match.arrayWith([{ Ref: all[name].role }]),
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['xray:PutTraceSegments']) })]) },
      },
    });
    assert.equal(Object.keys(policies).length, 1, `${name}'s role has no X-Ray policy`);
  }
});

test('the adot context value is true or false', () => {
  const base: Record<string, string> = {
    ecrRepository: 'jobs', imageTag: 'production', databaseAddress: 'db', databaseName: 'salon', databaseUsername: 'jobs',
    databasePasswordSecretArn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:x-AbCdEf', databaseSecurityGroupId: 'sg-1',
    publicBaseUrl: 'https://jobs.example.com', twilioAccountSid: 'AC1', emailFrom: 'a@example.com',
  };
  assert.equal(propsFromContext((k) => ({ ...base, adot: 'true' })[k]).adotCollector, true);
  assert.equal(propsFromContext((k) => base[k]).adotCollector, false);
  assert.throws(() => propsFromContext((k) => ({ ...base, adot: 'yes' })[k]), /adot: yes is not true or false/);
});
