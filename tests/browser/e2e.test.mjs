// End-to-end tests of the page in headless Chromium. WebGPU runs for real here: Chromium with
// --enable-unsafe-webgpu exposes a SwiftShader adapter on machines without a GPU.
// Needs: RECFORGET_BIN (the built CLI), the page built (scripts/build-web.sh), /usr/bin/chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const artifacts = join(root, 'tests', 'browser', 'artifacts');
const port = 18000 + Math.floor(Math.random() * 1000);
const origin = `http://127.0.0.1:${port}`;
// Small settings: the paper's method on 8 sequences × 4 IG steps; distillation 6 steps of 8.
const SETTINGS = 'sequences=8&steps=4&distill-steps=6&distill-batch=8';
let server, browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = spawn(process.env.RECFORGET_BIN ?? 'recforget', ['serve', '--port', String(port), '--root', root], { stdio: 'inherit' });
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(origin + '/')).ok) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

// Opens the page, records every request, waits until the model is ready.
async function open(query) {
  const page = await browser.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${origin}/?${query}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 240_000 });
  await page.waitForFunction(() => document.querySelectorAll('#recs-before li').length === 10, null, { timeout: 240_000 });
  return { page, requests, errors };
}

const list = (page, id) => page.$$eval(`#${id} li`, (lis) => lis.map((li) => li.textContent));
const share = (page, genre) => page.evaluate((g) => window.recforget.state[g === 'before' ? 'before' : 'after'], genre);

test('WebGPU: forget Action changes the recommendations, reset restores them', { timeout: 900_000 }, async () => {
  // backend=webgpu: WebGPU or an error, never a silent fallback (the retrained model shares the device).
  const { page, requests, errors } = await open(`backend=webgpu&genre=Action&method=neurons&${SETTINGS}`);
  assert.match(await page.textContent('#backend'), /WebGPU/);
  assert.match(await page.textContent('#parity'), /✓/);
  const before = await list(page, 'recs-before');
  const shareBefore = (await share(page, 'before')).genreShare.find(([g]) => g === 'Action')[1];
  await page.screenshot({ path: join(artifacts, 'webgpu-before.png'), fullPage: true });

  await page.click('#forget');
  await page.waitForFunction(() => document.querySelectorAll('#recs-after li').length === 10, null, { timeout: 600_000 });
  const afterForget = await list(page, 'recs-after');
  const shareAfter = (await share(page, 'after')).genreShare.find(([g]) => g === 'Action')[1];
  assert.match(await page.textContent('#neurons'), /privacy neurons for Action/);
  assert.notDeepEqual(afterForget, before, 'forgetting left the top-10 (titles and scores) unchanged');
  // Whether the genre's share moves for this one user is the method's result, not the page's:
  // the page must show the figures; the test logs them. Deleting Action's interactions alone
  // (the original model, no edit) is shown beside the method's column.
  assert.ok(Number.isFinite(shareBefore) && Number.isFinite(shareAfter));
  assert.equal(await page.isVisible('#deleted-column'), true);
  const shareDeleted = (await page.evaluate(() => window.recforget.state.deletedOnly)).genreShare.find(([g]) => g === 'Action')[1];
  console.log(`Action share of the top-10: ${shareBefore} -> deletion only ${shareDeleted}, the paper's method ${shareAfter}`);
  // The repository ships a BERT4Rec retrained without Action: its column appears beside them.
  await page.waitForFunction(() => document.querySelectorAll('#recs-retrained li').length === 10, null, { timeout: 120_000 });
  assert.equal(await page.isVisible('#retrained-column'), true);
  assert.equal(await page.isVisible('#error'), false, await page.textContent('#error'));
  // The native report's model comparison chart is on the page (same origin).
  assert.ok(await page.$eval('#comparison img', (img) => img.complete && img.naturalWidth > 0), 'comparison chart missing');
  await page.screenshot({ path: join(artifacts, 'webgpu-after-forget.png'), fullPage: true });

  await page.click('#reset');
  await page.waitForFunction(() => document.querySelectorAll('#recs-after li').length === 0);
  assert.deepEqual(await list(page, 'recs-before'), before, 'reset did not restore the original top-10');
  assert.deepEqual(errors, []);
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')), [],
    'a request left the origin');
  await page.close();
});

test('the CPU fallback gives the same top-10 as WebGPU', { timeout: 600_000 }, async () => {
  const gpu = await open('');
  const cpu = await open('backend=cpu');
  assert.match(await cpu.page.textContent('#backend'), /CPU/);
  const strip = (items) => items.map((t) => t.replace(/-?\d+\.\d\d$/, ''));
  assert.deepEqual(strip(await list(cpu.page, 'recs-before')), strip(await list(gpu.page, 'recs-before')));
  await cpu.page.screenshot({ path: join(artifacts, 'cpu.png'), fullPage: true });
  await gpu.page.close();
  await cpu.page.close();
});

test('CPU: distillation forgets, the claims are measured live, the result exports, genres are forgotten in turn', { timeout: 900_000 }, async () => {
  const fresh = await open('backend=cpu');
  assert.equal(await fresh.page.inputValue('#method'), 'rows', 'the page forgets with a method that forgets by default');
  await fresh.page.close();
  const { page, requests, errors } = await open(`backend=cpu&genre=Action&method=rows,distill&${SETTINGS}`);
  const shareBefore1 = (await share(page, 'before')).genreShare.find(([g]) => g === 'Action')[1];
  await page.click('#forget');
  await page.waitForFunction(() => window.recforget.state.forgotten.length === 1 && document.querySelectorAll('#recs-after li').length === 10,
    null, { timeout: 300_000 });
  const shareAfter1 = (await share(page, 'after')).genreShare.find(([g]) => g === 'Action')[1];
  console.log(`this user's Action share of the top-10: ${shareBefore1} -> ${shareAfter1}`);
  assert.ok(shareBefore1 > 0, 'the first sample user has Action in the top-10');
  assert.ok(shareAfter1 < shareBefore1, 'distillation left the Action share of this user\'s top-10 where it was');
  const deletedOnly = await page.evaluate(() => window.recforget.state.deletedOnly);
  const shareDeleted1 = deletedOnly ? deletedOnly.genreShare.find(([g]) => g === 'Action')[1] : 0;
  assert.ok(shareAfter1 <= shareDeleted1, 'the method left more Action than deleting the history alone');
  assert.match(await page.textContent('#neurons'), /distilled 6 steps of 8 sequences/);
  assert.equal(await page.isVisible('#forget-progress'), false, 'the progress bar stays after the forget');
  // The history shows Action's interactions as deleted.
  assert.ok((await page.$$('#history li.deleted')).length > 0, 'no history item is shown as deleted');

  await page.fill('#eval-users', '100');
  await page.click('#evaluate');
  await page.waitForFunction(() => document.querySelectorAll('#claims tr').length > 3, null, { timeout: 300_000 });
  const rows = await page.$$eval('#claims tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  const row = (label) => rows.find((r) => r[0].startsWith(label)) ?? assert.fail(`no "${label}" row in ${JSON.stringify(rows)}`);
  const [, shareBefore, shareAfter, , , shareDeleted] = row('Action share of top-10');
  console.log(`Action share of the top-10 over 100 users: ${shareBefore} -> ${shareAfter} (deletion only ${shareDeleted})`);
  assert.notEqual(shareAfter, shareBefore, 'forgetting Action left its share of the top-10 unchanged');
  // The claims panel reads the one measurement: membership, as the CLI reports it.
  const [, aucBefore, aucAfter] = row('the model still tells which Action films a user watched');
  console.log(`membership AUC per user: ${aucBefore} -> ${aucAfter}`);
  assert.match(aucAfter, /^0\.\d{3}$/);
  assert.match(row('HR@10 (pop100)')[3], /^\d+\.\d%$/);
  assert.match(row('removal rate, Action (pop100)')[2], /^-?\d+\.\d%$/);
  assert.match(row('forget time here vs retraining')[3], /^×\d+$/);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const result = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(result.lastForget.genre, 'Action');
  assert.deepEqual(result.lastForget.reports.map((r) => r.method), ['rows', 'distill']);
  assert.equal(result.lastForget.settings.distill.steps, 6);
  assert.equal(result.metrics.users, 100);

  // The second genre with the paper's method composes with the first forget.
  await page.selectOption('#genre', 'Comedy');
  await page.selectOption('#method', 'neurons');
  await page.click('#forget');
  // The label and the lists are drawn together, once the new recommendations are in.
  await page.waitForFunction(() => document.querySelector('#forgotten-label').textContent.includes('Comedy'), null, { timeout: 300_000 });
  assert.equal(await page.textContent('#forgotten-label'), '(without Action, Comedy)');
  assert.equal((await list(page, 'recs-after')).length, 10);
  assert.match(page.url(), /forgot=Action\.Comedy/);
  assert.deepEqual(errors, []);
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')), [],
    'a request left the origin');
  await page.close();
});

test('an empty history is a clear message, not a crash', { timeout: 300_000 }, async () => {
  const { page } = await open('backend=cpu');
  await page.click('#own-history');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /history is empty/);
  await page.close();
});
