// The operations pages in headless Chromium, against a running
// `jobs admin` over the data admintest.SeedOps wrote. ops_test.go starts
// both and runs this file with `node --test`; run.sh runs that.
// Environment:
//   DASHBOARD_URL                          http://127.0.0.1:PORT
//   ADMIN_USER, ADMIN_PASSWORD, VIEWER_USER, VIEWER_PASSWORD
//   SEED                                   admintest.Ops as JSON
//   ARTIFACTS_DIR                          where the ops-*.png go
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; run this through run.sh`);
  return v;
};
const base = env('DASHBOARD_URL');
const admin = { username: env('ADMIN_USER'), password: env('ADMIN_PASSWORD'), send: 'always' };
const viewer = { username: env('VIEWER_USER'), password: env('VIEWER_PASSWORD'), send: 'always' };
const seed = JSON.parse(env('SEED'));
const artifacts = env('ARTIFACTS_DIR');
// What no page may show: the reset token of the archived task and of a
// dead letter, the recipients whole.
const secrets = ['reset-token-7c1e', 'josé.client@example.com', '+33612345678', '33612345678'];
const pages = ['/admin', '/admin/ops/campaigns', '/admin/ops/sms', '/admin/ops/emails', '/admin/ops/dead-letters', '/admin/ops/schedules'];

let browser;
const violations = [];

before(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

async function open(credentials) {
  const context = await browser.newContext({ httpCredentials: credentials, viewport: { width: 1500, height: 900 } });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.text().startsWith('CSP violation:')) violations.push(m.text());
  });
  return { context, page };
}

async function noSecrets(page, where) {
  const html = await page.content();
  for (const s of secrets) assert.ok(!html.includes(s), `${where} shows ${s}`);
}

// act clicks the button of a row's form and waits for the page it
// redirects back to, which says what happened.
async function act(page, row, button, done) {
  await Promise.all([page.waitForNavigation(), row.getByRole('button', { name: button, exact: true }).click()]);
  await assert.doesNotReject(page.getByRole('status').filter({ hasText: done }).waitFor(), `${button}: "${done}" shown`);
}

test('the landing page links the dashboard and every page', async () => {
  const { context, page } = await open(admin);
  const resp = await page.goto(`${base}/admin`);
  assert.equal(resp.status(), 200);
  for (const name of ['Queues (asynqmon)', 'Campaigns', 'Texts needing attention', 'Emails needing attention', 'Ingest dead letters', 'Schedules']) {
    assert.equal(await page.locator('main').getByRole('link', { name, exact: true }).count(), 1, `link ${name}`);
  }
  await page.screenshot({ path: path.join(artifacts, 'ops-landing.png'), fullPage: true });
  await page.locator('main').getByRole('link', { name: 'Campaigns', exact: true }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/ops/campaigns');
  await context.close();
});

test('an admin pauses a sending campaign', async () => {
  const { context, page } = await open(admin);
  await page.goto(`${base}/admin/ops/campaigns`);
  const row = page.locator(`tr[data-campaign="${seed.Sending}"]`);
  assert.match(await row.innerText(), /sending/);
  assert.match(await row.innerText(), /20 waiting until/);
  await act(page, row, 'Pause', `Campaign ${seed.Sending} paused.`);
  assert.match(await page.locator(`tr[data-campaign="${seed.Sending}"]`).innerText(), /paused/);
  await noSecrets(page, 'campaigns');
  await page.screenshot({ path: path.join(artifacts, 'ops-campaigns.png'), fullPage: true });
  await context.close();
});

test('an admin marks an unknown text sent', async () => {
  const { context, page } = await open(admin);
  await page.goto(`${base}/admin/ops/sms`);
  const row = page.locator(`tr[data-text="${seed.Unknown}"]`);
  assert.match(await row.innerText(), /unknown/);
  await row.getByRole('textbox').fill('SM' + 'ab'.repeat(16));
  await act(page, row, 'Mark sent', `Text ${seed.Unknown} marked sent.`);
  assert.equal(await page.locator(`tr[data-text="${seed.Unknown}"]`).count(), 0, 'the text no longer needs attention');
  await noSecrets(page, 'texts');
  await page.screenshot({ path: path.join(artifacts, 'ops-sms.png'), fullPage: true });
  await context.close();
});

test('an admin requeues an email whose outcome was lost', async () => {
  const { context, page } = await open(admin);
  await page.goto(`${base}/admin/ops/emails`);
  const row = page.locator(`tr[data-email="${seed.EmailUnknown}"]`);
  assert.match(await row.innerText(), /outcome unknown/);
  await act(page, row, 'Requeue', `Email ${seed.EmailUnknown} requeued`);
  await noSecrets(page, 'emails');
  await page.screenshot({ path: path.join(artifacts, 'ops-emails.png'), fullPage: true });
  await context.close();
});

test('an admin replays a dead letter', async () => {
  const { context, page } = await open(admin);
  await page.goto(`${base}/admin/ops/dead-letters`);
  assert.match(await page.locator(`tr[data-dead="${seed.DeadSecret}"]`).innerText(), /\[redacted\]/);
  const row = page.locator(`tr[data-dead="${seed.DeadReplayable}"]`);
  await act(page, row, 'Replay', `Dead letter ${seed.DeadReplayable} replayed`);
  assert.equal(await page.locator(`tr[data-dead="${seed.DeadReplayable}"]`).count(), 0);
  await noSecrets(page, 'dead letters');
  await page.screenshot({ path: path.join(artifacts, 'ops-dead-letters.png'), fullPage: true });
  await context.close();
});

test('the schedules page shows the entries, the last tick and the leader', async () => {
  const { context, page } = await open(admin);
  await page.goto(`${base}/admin/ops/schedules`);
  assert.match(await page.locator('main').innerText(), new RegExp(seed.Leader));
  const row = page.locator(`tr[data-schedule="${seed.Schedule}"]`);
  assert.match(await row.innerText(), new RegExp(seed.ScheduleTask));
  assert.equal(await page.locator('tr[data-schedule]').count(), 5);
  await page.screenshot({ path: path.join(artifacts, 'ops-schedules.png'), fullPage: true });
  await context.close();
});

test('a viewer sees every page without actions, and the server refuses one', async () => {
  const { context, page } = await open(viewer);
  for (const p of pages) {
    const resp = await page.goto(`${base}${p}`);
    assert.equal(resp.status(), 200, p);
    assert.equal(await page.getByRole('button', { name: /Pause|Resume|Cancel|Mark|Requeue|Replay|Delete/ }).count(), 0, `${p}: no action`);
    await noSecrets(page, p);
  }
  await page.goto(`${base}/admin/ops/sms`);
  await page.screenshot({ path: path.join(artifacts, 'ops-sms-viewer.png'), fullPage: true });
  const refused = await context.request.post(`${base}/admin/ops/campaigns`, {
    form: { id: String(seed.Scheduled), action: 'cancel' }, maxRedirects: 0,
  });
  assert.equal(refused.status(), 403);
  await context.close();
});

test('no Content-Security-Policy violation', () => {
  assert.deepEqual(violations, []);
});
