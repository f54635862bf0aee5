// The NestJS side of the ingest stream, exactly as the README shows it:
// ioredis XADDs to jobs:ingest, resends the same idempotency keys as a
// producer's retries do, and reads a dead entry back. node_test.go runs it
// against a real bridge and worker, then checks one task per key.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL);
after(() => redis.quit());

// --- as in the README: "Enqueuing from Node" ---
async function enqueue(kind, payload, idempotencyKey, extra = {}) {
  const fields = ['kind', kind, 'payload', JSON.stringify(payload)];
  if (idempotencyKey) fields.push('idempotency_key', idempotencyKey);
  for (const [name, value] of Object.entries(extra)) fields.push(name, value);
  return redis.xadd('jobs:ingest', '*', ...fields);
}

async function recentDeadEntries(count = 10) {
  const entries = await redis.xrevrange('jobs:ingest:dead', '+', '-', 'COUNT', count);
  return entries.map(([id, flat]) => {
    const e = { id };
    for (let i = 0; i < flat.length; i += 2) e[flat[i]] = flat[i + 1];
    return e;
  });
}
// --- end of the README's code ---

const sent = []; // { key, kind, queue, sends }

test('enqueues with idempotency keys, resending each as retries do', async () => {
  const jobs = [
    { kind: 'email:send', queue: 'emails', key: 'welcome:user-42',
      payload: { template: 'welcome', to: 'ana@example.com', data: { name: 'Ana' } } },
    { kind: 'report:generate', queue: 'reports', key: 'report:7', payload: { report_id: 7 } },
    { kind: 'upload:process', queue: 'sync', key: 'upload:9', payload: { upload_id: 9 },
      extra: { queue: 'sync', process_at: new Date(Date.now() + 1500).toISOString() } },
  ];
  for (let i = 0; i < 40; i++) {
    jobs.push({ kind: 'email:send', queue: 'emails', key: `notify:${i}`,
      payload: { template: 'notification', to: `user${i}@example.com`, data: { subject: 'Booked', message: `See you, #${i}` } } });
  }
  for (const job of jobs) {
    const id = await enqueue(job.kind, job.payload, job.key, job.extra);
    assert.match(id, /^\d+-\d+$/);
  }
  // The answer was lost: every XADD is retried, twice, concurrently.
  await Promise.all(jobs.flatMap((job) => [1, 2].map(() => enqueue(job.kind, job.payload, job.key, job.extra))));
  for (const job of jobs) sent.push({ key: job.key, kind: job.kind, queue: job.queue, sends: 3 });
});

test('a kind without fields needs no payload and no key', async () => {
  const id = await redis.xadd('jobs:ingest', '*', 'kind', 'sms:dispatch_reviews');
  assert.match(id, /^\d+-\d+$/);
});

test('an invalid entry lands in jobs:ingest:dead with its reason', async () => {
  await enqueue('email:sned', { to: 'ana@example.com' }, 'typo:1');
  let dead;
  for (let i = 0; i < 200 && !dead; i++) {
    dead = (await recentDeadEntries()).find((e) => e.idempotency_key === 'typo:1');
    if (!dead) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(dead, 'no dead entry for typo:1 within 10 s');
  assert.equal(dead.kind, 'email:sned');
  assert.equal(dead.payload, JSON.stringify({ to: 'ana@example.com' }));
  assert.match(dead.error, /unknown kind "email:sned"/);
  assert.ok(!Number.isNaN(Date.parse(dead.failed_at)), `failed_at ${dead.failed_at}`);
});

test('writes what it sent for the Go side', () => {
  writeFileSync(process.env.MANIFEST, JSON.stringify({ sent }));
});
