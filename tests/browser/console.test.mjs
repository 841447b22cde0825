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
  // A damaged item needs a photo of it and of its packaging before the seller is asked.
  await upload(c.id, 'buyer-1', 'photo', 'crack.png');
  await upload(c.id, 'buyer-1', 'packaging', 'box.png');
  await api('POST', `/v1/complaints/${c.id}/proposals`, seller, {
    kind: 'partial_refund', refund_amount: { amount: 3000000, currency: 'IDR' },
  });
  await api('POST', `/v1/complaints/${c.id}/escalate`, buyer, { reason: 'not enough' });
  return c.id;
}

/// A PNG the service takes as a photo: the smallest valid image.
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

async function upload(id, who, kind, name) {
  const form = new FormData();
  form.append('kind', kind);
  form.append('description', kind === 'photo' ? 'the crack' : 'the box');
  form.append('file', new Blob([png], { type: 'image/png' }), name);
  const res = await fetch(`${base}/v1/complaints/${id}/evidence`, {
    method: 'POST', headers: { authorization: `Bearer ${token(who)}` }, body: form,
  });
  assert.equal(res.status, 201, await res.text());
}

async function signIn(page, id) {
  await page.goto(`${base}/console/login`);
  await page.getByLabel('Staff id').fill(id);
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Under review' }).waitFor();
}

/// Fills the decision form with a split of 90 000 to the buyer.
async function fillSplit(page) {
  await page.getByRole('radio', { name: 'Split' }).check();
  await page.getByLabel(/Refund to the buyer, for a split/).fill('90,000');
  await page.getByLabel('Reason code').selectOption('item_damaged');
  await page.getByLabel(/Rationale/).fill('The photo shows the crack; the seller pays most of it.');
}

/// A page that fails its test on any console error or CSP violation.
/// `answered` lists the error statuses a page of the test is meant to be
/// answered with (Chromium logs each as a console error).
async function watchedPage(answered = []) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  const meant = (text) => answered.some((status) => text.includes(`the server responded with a status of ${status} `));
  page.on('console', (m) => { if (m.type() === 'error' && !meant(m.text())) problems.push(m.text()); });
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
  run(['staff', 'add', 'dewi', '--name', 'Dewi Lestari', '--time-zone', 'Asia/Jakarta'], 'correct horse battery staple\n');
  run(['staff', 'add', 'budi', '--name', 'Budi Santoso'], 'correct horse battery staple\n');
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
  assert.match(await row.innerText(), /IDR 150,000\.00/);
  assert.match(await row.innerText(), /Unassigned/);
  assert.match(await row.innerText(), /Partial refund: IDR 30,000\.00/, "the seller's last offer");
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

test('an agent takes the next case, reads both offers and the evidence, and decides a split', { timeout: 90000 }, async () => {
  const id = await underReview('ord-browser-2');
  const { page, problems, context } = await watchedPage();
  await signIn(page, 'dewi');

  // Next case: the most urgent unassigned one, taken and opened.
  await page.getByRole('button', { name: 'Next case' }).click();
  await page.getByRole('heading', { name: new RegExp(`Complaint ${id}`) }).waitFor();
  await page.getByText('The case is yours.').waitFor();
  const offers = page.getByRole('region', { name: 'Offers' });
  assert.match(await offers.innerText(), /Buyer[\s\S]*Full refund[\s\S]*Seller[\s\S]*Partial refund: IDR 30,000\.00/);
  const photo = page.getByRole('img', { name: /Photo · the crack · Buyer/ });
  await photo.waitFor();
  assert.ok(await photo.evaluate((img) => img.complete && img.naturalWidth > 0), 'the picture loads through the service');
  await noSeriousFindings(page);
  await page.screenshot({ path: join(shots, 'console-case.png'), fullPage: true });

  // d opens the decision form; the payouts follow what the agent types.
  await page.keyboard.press('d');
  await page.getByRole('heading', { name: /Decision/ }).waitFor();
  await fillSplit(page);
  await page.locator('#payout-buyer').filter({ hasText: 'IDR 90,000.00' }).waitFor();
  assert.equal(await page.locator('#payout-seller').innerText(), 'IDR 60,000.00');
  await page.getByLabel(/Refund to the buyer, for a split/).fill('200,000');
  await page.locator('#payouts .problem').waitFor();
  await page.getByLabel(/Refund to the buyer, for a split/).fill('90,000');
  await page.getByLabel(new RegExp(`Buyer · Photo · crack.png`)).check();
  await page.getByLabel('Seller at fault').check();
  await noSeriousFindings(page);
  await page.getByRole('button', { name: 'Review decision' }).click();

  // The confirm step says what will happen before anything does.
  await page.getByRole('heading', { name: /Confirm the decision/ }).waitFor();
  assert.equal(await page.locator('#payout-buyer').innerText(), 'IDR 90,000.00');
  assert.equal(await page.locator('#payout-seller').innerText(), 'IDR 60,000.00');
  await page.screenshot({ path: join(shots, 'console-decision-confirm.png'), fullPage: true });
  await page.getByRole('button', { name: 'Confirm decision' }).click();
  await page.getByText('Decided.').waitFor();
  assert.match(await page.locator('.facts').innerText(), /Buyer gets IDR 90,000\.00 · Seller gets IDR 60,000\.00/);
  assert.equal(await page.getByRole('link', { name: 'Decide' }).count(), 0, 'nothing left to decide');
  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  await context.close();
});

test('a second browser decided the same case first', { timeout: 90000 }, async () => {
  const id = await underReview('ord-browser-3');
  // The loser's form is answered 409 Conflict, with the case as it is now.
  const first = await watchedPage([409]);
  const second = await watchedPage();
  await signIn(first.page, 'dewi');
  await signIn(second.page, 'budi');
  for (const { page } of [first, second]) {
    await page.goto(`${base}/console/complaints/${id}/decision`);
    await fillSplit(page);
    await page.getByRole('button', { name: 'Review decision' }).click();
    await page.getByRole('button', { name: 'Confirm decision' }).waitFor();
  }
  await second.page.getByRole('button', { name: 'Confirm decision' }).click();
  await second.page.getByText('Decided.').waitFor();
  await first.page.getByRole('button', { name: 'Confirm decision' }).click();
  await first.page.getByRole('alert').filter({ hasText: 'Someone acted on this case first' }).waitFor();
  assert.match(await first.page.getByRole('heading', { level: 1 }).innerText(), /Resolved/, 'the new state is shown');
  const decided = await api('GET', `/v1/complaints/${id}/timeline`, token('staff-9', 'staff'));
  assert.equal(decided.data.filter((e) => e.type === 'decided').length, 1, 'one decision');
  assert.deepEqual([...first.problems, ...second.problems], []);
  await first.context.close();
  await second.context.close();
});

test('the keyboard alone works the queue', { timeout: 60000 }, async () => {
  const id = await underReview('ord-browser-4');
  const { page, problems, context } = await watchedPage();
  await signIn(page, 'budi');
  await page.keyboard.press('?');
  const keys = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await keys.waitFor();
  assert.match(await keys.innerText(), /move down \/ up the queue/);
  await noSeriousFindings(page);
  await page.keyboard.press('Escape');
  await keys.waitFor({ state: 'hidden' });

  // j to the row, a to take it; the case is Budi's.
  await page.goto(`${base}/console?q=${id}`);
  await page.keyboard.press('j');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), id);
  await page.keyboard.press('a');
  await page.getByRole('heading', { name: 'Mine', level: 2 }).waitFor();
  // j, Enter opens it; n writes an internal note.
  await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: new RegExp(`Complaint ${id}`) }).waitFor();
  await page.keyboard.press('n');
  await page.keyboard.type('Called the courier: the parcel was dropped.');
  // Tab past the choice of readers (an internal note is the default) to Post.
  for (let i = 0; i < 4 && (await page.evaluate(() => document.activeElement.textContent)) !== 'Post'; i++) {
    await page.keyboard.press('Tab');
  }
  await page.keyboard.press('Enter');
  await page.getByText('Posted.').waitFor();
  const entry = page.locator('.entry.internal').filter({ hasText: 'Called the courier' });
  await entry.waitFor();
  assert.match(await entry.innerText(), /Internal/);
  const buyerView = await api('GET', `/v1/complaints/${id}/timeline`, token('buyer-1'));
  assert.ok(!JSON.stringify(buyerView).includes('Called the courier'), 'the note stays with staff');
  assert.deepEqual(problems, []);
  await context.close();
});
