// The operators' dashboard in headless Chromium, against a running
// `jobs admin` whose Redis holds the tasks described by EXPECTED_SIZES.
// browser_test.go starts both and runs this file with `node --test`; run.sh
// runs that. Environment:
//   DASHBOARD_URL        http://127.0.0.1:PORT
//   ADMIN_USER, ADMIN_PASSWORD, VIEWER_USER, VIEWER_PASSWORD
//   EXPECTED_SIZES       {"emails":3000,...}: each queue's size
//   ARCHIVED_TASK_ID     an archived task of queue "reports" to delete
//   ARTIFACTS_DIR        where dashboard.png and dashboard-timing.json go
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
const root = `${base}/admin/queues`;
const admin = { username: env('ADMIN_USER'), password: env('ADMIN_PASSWORD'), send: 'always' };
const viewer = { username: env('VIEWER_USER'), password: env('VIEWER_PASSWORD'), send: 'always' };
const sizes = JSON.parse(env('EXPECTED_SIZES'));
const archivedID = env('ARCHIVED_TASK_ID');
const artifacts = env('ARTIFACTS_DIR');
const total = Object.values(sizes).reduce((a, b) => a + b, 0);

let browser;
// Navigation timing of the first page load of the run: the only one that
// pays for checking the password with bcrypt (the server then remembers it).
let firstSignIn;
// Every Content-Security-Policy violation any page reports.
const violations = [];

before(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  // Playwright starts Chromium on a new empty profile directory of its own
  // (it refuses --user-data-dir in args); the flags keep Chromium from
  // calling home, which this machine's closed network refuses.
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
  const context = await browser.newContext({ httpCredentials: credentials, viewport: { width: 1400, height: 900 } });
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

// queueRows returns {queue: {state, size}} as the overview table shows it.
async function queueRows(page) {
  const table = page.getByRole('table', { name: 'queues overview table' });
  await table.locator('tbody tr').nth(Object.keys(sizes).length - 1).waitFor();
  const rows = await table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent.trim())));
  return Object.fromEntries(rows.map((c) => [c[0], { state: c[1], size: Number(c[2]) }]));
}

async function navTiming(page) {
  const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
  return {
    firstByteMs: Math.round(nav.responseStart),
    domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd),
    loadMs: Math.round(nav.loadEventEnd),
  };
}

async function apiQueue(context, qname) {
  const resp = await context.request.get(`${root}/api/queues/${qname}`);
  assert.equal(resp.status(), 200);
  return (await resp.json()).current;
}

test('admin sees the five queues and the internal sms_bulk with their sizes', async () => {
  const { context, page } = await open(admin);
  await page.goto(root);
  const rows = await queueRows(page);
  firstSignIn = await navTiming(page);
  const shown = Object.fromEntries(Object.entries(rows).map(([q, r]) => [q, r.size]));
  assert.deepEqual(shown, { ...sizes, sms_bulk: 0 }); // sms_bulk: registered by the worker, empty here
  for (const [q, r] of Object.entries(rows)) assert.equal(r.state, 'run', `queue ${q}`);
  await page.screenshot({ path: path.join(artifacts, 'dashboard.png'), fullPage: true });
  await context.close();
});

test('admin pauses and resumes a queue', async () => {
  const { context, page } = await open(admin);
  await page.goto(root);
  await queueRows(page);
  const row = page.getByRole('table', { name: 'queues overview table' }).locator('tbody tr', { hasText: 'reports' });
  const actions = row.locator('td').last();

  await actions.hover();
  await row.locator('button[title="Pause"]').click();
  await assert.doesNotReject(row.getByText('paused', { exact: true }).waitFor());
  assert.equal((await apiQueue(context, 'reports')).paused, true);

  // Leave the cell so that entering it again shows the icons afresh.
  await page.mouse.move(0, 0);
  await actions.hover();
  await row.locator('button[title="Resume"]').click();
  await assert.doesNotReject(row.getByText('run', { exact: true }).waitFor());
  assert.equal((await apiQueue(context, 'reports')).paused, false);
  await context.close();
});

test('admin deletes an archived task', async () => {
  const { context, page } = await open(admin);
  const taskURL = `${root}/api/queues/reports/tasks/${encodeURIComponent(archivedID)}`;
  assert.equal((await context.request.get(taskURL)).status(), 200, 'the task exists before');
  await page.goto(`${root}/queues/reports?status=archived`);
  const row = page.getByRole('table', { name: 'archived tasks table' }).locator('tbody tr', { hasText: archivedID });
  await row.waitFor();
  await row.locator('td').last().hover();
  await row.locator('button[title="Delete"]').click();
  await row.waitFor({ state: 'detached' });
  assert.equal((await context.request.get(taskURL)).status(), 404, 'the task is gone');
  await context.close();
});

test('payloads show masked phone numbers and emails', async () => {
  const { context, page } = await open(admin);
  for (const [qname, raw, masked] of [
    ['sms', /\+1555\d{7}/, /\+1\*{8}\d\d/],
    ['emails', /client\d+@example\.com/, /c\*\*\*@example\.com/],
  ]) {
    await page.goto(`${root}/queues/${qname}?status=pending`);
    await page.getByRole('table', { name: 'pending tasks table' }).locator('tbody tr').first().waitFor();
    const text = await page.locator('body').innerText();
    assert.match(text, masked, `${qname}: masked form shown`);
    assert.doesNotMatch(text, raw, `${qname}: raw value never shown`);
  }
  await context.close();
});

test('viewer sees no actions and the server refuses one', async () => {
  const { context, page } = await open(viewer);
  await page.goto(root);
  const rows = await queueRows(page);
  assert.equal(Object.keys(rows).length, 6);
  assert.equal(await page.getByRole('columnheader', { name: 'Actions' }).count(), 0, 'no Actions column');
  // What a hidden button would have sent, from the dashboard's own page.
  const status = await page.evaluate(async (url) =>
    (await fetch(url, { method: 'POST' })).status, `${root}/api/queues/sms:pause`);
  assert.equal(status, 403);
  assert.equal((await apiQueue(context, 'sms')).paused, false);
  await context.close();
});

test(`page load with ${total} tasks (first byte, full load, queues shown)`, async (t) => {
  const runs = [];
  for (let i = 0; i < 5; i++) {
    // A new context each time: empty cache, as after a browser restart.
    const { context, page } = await open(admin);
    const start = Date.now();
    await page.goto(root, { waitUntil: 'load' });
    await queueRows(page);
    const shown = Date.now() - start;
    runs.push({ ...(await navTiming(page)), queuesShownMs: shown });
    await context.close();
  }
  const median = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  const result = {
    tasks: total,
    firstSignIn,
    runs,
    median: Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(k)])),
  };
  fs.writeFileSync(path.join(artifacts, 'dashboard-timing.json'), JSON.stringify(result, null, 2) + '\n');
  t.diagnostic(`median of ${runs.length} loads with ${total} tasks: ${JSON.stringify(result.median)}`);
  assert.ok(result.median.loadMs > 0);
});

test('no Content-Security-Policy violation but the Google Fonts left out on purpose', () => {
  const unexpected = violations.filter((v) => !v.includes('https://fonts.googleapis.com/'));
  assert.deepEqual(unexpected, []);
});
