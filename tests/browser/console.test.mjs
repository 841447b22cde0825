// The staff console in a real browser: Debian's Chromium driven by
// playwright-core, against the service binary on a fresh embedded database.
// Every test fails on a console error or a CSP violation, and the pages must
// have no serious or critical accessibility findings (axe-core).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

const root = resolve(import.meta.dirname, '../..');
const bin = process.env.RC_BIN ?? join(root, 'target/debug/resolution-center');
const shots = join(root, 'target/screenshots');
const secret = 'browser-test-secret-browser-test-secret';
const dir = mkdtempSync(join(tmpdir(), 'rc-browser-'));
const env = { ...process.env, RC_DATA_DIR: dir, RC_JWT_SECRET: secret, RUST_BACKTRACE: '0' };
let service, base, browser;

const freePort = () => new Promise((ok) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); });
});
const run = (args, input) => execFileSync(bin, args, { env, input, encoding: 'utf8' });
const token = (sub, role) => run(['token', '--sub', sub, ...(role ? ['--role', role] : [])]).trim();

async function api(method, path, who, body) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${who}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/// A complaint under review: opened, countered, escalated.
async function underReview(order) {
  const [market, buyer, seller] = [token('market', 'service'), token('buyer-1'), token('seller-1')];
  await api('PUT', `/v1/orders/${order}`, market, {
    buyer_id: 'buyer-1', seller_id: 'seller-1', amount: { amount: 15000000, currency: 'IDR' }, status: 'delivered',
  });
  const c = await api('POST', '/v1/complaints', buyer, {
    order_id: order, reason: 'damaged', description: 'the screen is cracked', requested_solution: { kind: 'full_refund' },
  });
  await api('POST', `/v1/complaints/${c.id}/proposals`, seller, {
    kind: 'partial_refund', refund_amount: { amount: 3000000, currency: 'IDR' },
  });
  await api('POST', `/v1/complaints/${c.id}/escalate`, buyer, { reason: 'not enough' });
  return c.id;
}

/// A page that fails its test on any console error or CSP violation.
async function watchedPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  return { page, problems, context };
}

async function noSeriousFindings(page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.deepEqual(serious.map((v) => `${v.id}: ${v.help}`), []);
}

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  run(['staff', 'add', 'dewi', '--name', 'Dewi Lestari', '--locale', 'id'], 'correct horse battery staple\n');
  service = spawn(bin, ['serve'], { env: { ...env, RC_LISTEN: `127.0.0.1:${port}` }, stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/readyz`)).ok) break; } catch {}
    if (i > 200) throw new Error('the service did not become ready');
    await new Promise((r) => setTimeout(r, 50));
  }
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], timeout: 30000 });
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  service?.kill('SIGTERM');
});

test('an agent signs in, sees the queue and signs out', { timeout: 60000 }, async () => {
  const id = await underReview('ord-browser-1');
  const { page, problems, context } = await watchedPage();

  await page.goto(`${base}/console`);
  assert.equal(new URL(page.url()).pathname, '/console/login', 'no session: the sign-in form');
  await noSeriousFindings(page);
  await page.screenshot({ path: join(shots, 'console-sign-in.png') });

  await page.getByLabel('Staff id').fill('dewi');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong staff id or password.' }).waitFor();

  // The keyboard alone: the id field has the focus; Tab to the password, Enter to send.
  await page.getByLabel('Staff id').fill('dewi');
  await page.getByLabel('Staff id').focus();
  await page.keyboard.press('Tab');
  await page.keyboard.type('correct horse battery staple');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Under review' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/console');

  const row = page.getByRole('row').filter({ hasText: id });
  await row.waitFor();
  assert.match(await row.innerText(), /IDR 150000\.00/);
  assert.match(await row.innerText(), /unassigned/);
  await noSeriousFindings(page);

  // Take it: the case moves to Mine.
  await page.getByRole('button', { name: `Take ${id}` }).click();
  await page.getByRole('heading', { name: 'Mine', level: 2 }).waitFor();
  const mine = page.getByRole('row').filter({ hasText: id });
  assert.match(await mine.innerText(), /dewi/);
  assert.equal(await page.getByRole('link', { name: /Unassigned 0/ }).count(), 1);
  await noSeriousFindings(page);
  await page.screenshot({ path: join(shots, 'console-queue.png'), fullPage: true });

  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'rc_console');
  assert.ok(session?.httpOnly && session.sameSite === 'Strict', JSON.stringify(session));

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.goto(`${base}/console`);
  assert.equal(new URL(page.url()).pathname, '/console/login', 'signed out for good');
  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  await context.close();
});
