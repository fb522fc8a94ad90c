// Benchmark of the page (not a test): load time, time to first recommendation, and forget time,
// on WebGPU (SwiftShader on a GPU-less machine) and on the CPU backend, the latter on one thread
// and on every core (the threaded build), with the speedup. Prints one line per run.
// SEQUENCES, STEPS (the paper's forget settings), METHOD (default neurons; e.g. distill) and
// BACKENDS ("webgpu cpu") choose what runs.
// Needs RECFORGET_BIN and the built page; run through scripts/bench-web.sh.
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const port = 19000 + Math.floor(Math.random() * 1000);
const origin = `http://127.0.0.1:${port}`;
const sequences = Number(process.env.SEQUENCES ?? 32);
const steps = Number(process.env.STEPS ?? 20);
const backends = (process.env.BACKENDS ?? 'webgpu cpu').split(/\s+/).filter(Boolean);
const method = process.env.METHOD ?? 'neurons';
const server = spawn(process.env.RECFORGET_BIN ?? 'recforget', ['serve', '--port', String(port), '--root', root], { stdio: 'ignore' });
for (let i = 0; i < 100; i++) {
  try { if ((await fetch(origin + '/')).ok) break; } catch { /* not up yet */ }
  await new Promise((r) => setTimeout(r, 100));
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'],
});
try {
  const runs = backends.flatMap((backend) => (backend === 'cpu' ? [{ backend, threads: 1 }, { backend }] : [{ backend }]));
  const cpuSeconds = {};
  for (const { backend, threads } of runs) {
    const page = await browser.newPage();
    const t0 = Date.now();
    const threadParam = threads ? `&threads=${threads}` : '';
    await page.goto(`${origin}/?backend=${backend}${threadParam}&genre=Action&method=${method}&sequences=${sequences}&steps=${steps}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 600_000 });
    await page.waitForFunction(() => document.querySelectorAll('#recs-before li').length === 10, null, { timeout: 600_000 });
    const firstRecs = (Date.now() - t0) / 1000;
    const label = await page.textContent('#backend');
    const load = await page.textContent('#load');
    const t1 = Date.now();
    await page.click('#forget');
    await page.waitForSelector('body[data-busy="true"]');
    await page.waitForSelector('body[data-busy="false"]', { timeout: 1_800_000 });
    const forget = (Date.now() - t1) / 1000;
    const inPage = await page.evaluate(() => window.recforget.state.forgets.at(-1)?.seconds);
    console.log(`${backend.padEnd(6)} [${label}] ${load}; first recommendations after ${firstRecs.toFixed(1)} s; ` +
      `forget Action (${method === 'neurons' ? `${sequences} sequences, 2 layers, ${steps} steps` : method + ', the page defaults'}) ${inPage?.toFixed(1)} s in the worker, ${forget.toFixed(1)} s to new recommendations`);
    await page.close();
    if (backend === 'cpu') {
      const cores = Number(label.match(/(\d+) threads/)?.[1] ?? 1);
      cpuSeconds[threads ? 'one' : 'all'] = { seconds: inPage, cores };
    }
  }
  const { one, all } = cpuSeconds;
  if (one && all && all.cores > 1) {
    const speedup = one.seconds / all.seconds;
    console.log(`cpu    speedup on ${all.cores} threads: ${speedup.toFixed(2)}× (${(speedup / all.cores).toFixed(2)} per thread)`);
  } else if (one && all) {
    console.log('cpu    every core is one thread here: the page is not cross-origin isolated or the browser reports one core');
  }
} finally {
  await browser.close();
  server.kill();
}
