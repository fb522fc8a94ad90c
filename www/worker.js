// The worker owns the model: it loads the wasm, the checkpoint and the data, and answers the
// page's requests. Every message in: {id, type, ...}; every answer: {id, ok, value | error}.
import init, { Session, cpuTrainSeconds } from '../pkg/recforget.js';

const FILES = {
  wasm: '../pkg/recforget_bg.wasm',
  config: '../checkpoints/bert4rec-ml1m/config.json',
  meta: '../checkpoints/bert4rec-ml1m/meta.json',
  weights: '../checkpoints/bert4rec-ml1m/model.bpk',
  data: '../data/web/dataset.json',
};

let session = null;    // the session in use (WebGPU or CPU)
let cpu = null;        // a CPU session, kept for the parity check and as the fallback
let bytes = null;      // the loaded files, to build a fallback session
let applied = [];      // the genres forgotten so far, replayed on a fallback session
const retrained = new Map();  // genre -> {session, cpuTrainSeconds} of a shipped retrained model, or null
let backendChoice = 'auto';

// Fetches one of the page's own files, reporting bytes as they arrive.
async function load(name, path = FILES[name]) {
  const url = new URL(path, import.meta.url);
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`${name} (${url.pathname}) could not be loaded: HTTP ${response.status}. ` +
      'Start the page with the demo command, which prepares the data and the checkpoint.');
  }
  const total = Number(response.headers.get('Content-Length')) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    postMessage({ type: 'progress', file: name, loaded, total });
  }
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) { out.set(c, offset); offset += c.length; }
  return out;
}

const now = () => performance.now() / 1000;

async function start({ backend }) {
  backendChoice = backend;
  const t0 = now();
  const wasm = await load('wasm');
  await init({ module_or_path: wasm });
  const [config, meta, weights, data] = await Promise.all(['config', 'meta', 'weights', 'data'].map((name) => load(name)));
  bytes = { config, weights, data };
  const loadSeconds = now() - t0;
  const t1 = now();
  cpu = await Session.create({ backend: 'cpu' }, config, weights.slice(), data);
  session = backend === 'cpu' ? cpu : await Session.create({ backend: backend === 'webgpu' ? 'webgpu' : 'auto' }, config, weights.slice(), data);
  let parity = null;
  if (session !== cpu) {
    // The same fixed input on both paths must agree, or a silently wrong GPU is not shown.
    const [gpu, reference] = [await session.probe(), await cpu.probe()];
    let worst = 0, scale = 0;
    gpu.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - reference[i])); scale = Math.max(scale, Math.abs(reference[i])); });
    parity = { maxDifference: worst, ok: worst <= 1e-3 * Math.max(1, scale) };
    if (!parity.ok) session = cpu;
  }
  const catalog = JSON.parse(session.catalog());
  const users = JSON.parse(session.users());
  const checkpoint = { ...JSON.parse(new TextDecoder().decode(meta)), cpuTrainSeconds: cpuTrainSeconds(meta) };
  return {
    backend: session === cpu && backend !== 'cpu' && parity && !parity.ok ? 'CPU (wasm) — WebGPU failed the parity check' : session.backend,
    parity, catalog, users, checkpoint,
    timings: { loadSeconds, initSeconds: now() - t1 },
  };
}

// Runs a request on the current session; if the GPU fails mid-way, falls back to the CPU once.
async function run(call) {
  try {
    return await call(session);
  } catch (error) {
    if (session !== cpu && cpu) {
      session = cpu;
      postMessage({ type: 'fallback', reason: String(error?.message ?? error) });
      cpu.reset();
      for (const f of applied) await cpu.forget({ genre: f.genre, config: f.config }, () => {});
      return await call(session);
    }
    throw error;
  }
}

// The model retrained from scratch without `genre`, when the site ships one
// (checkpoints/retrain-<genre>/); null otherwise.
async function retrainedFor(genre) {
  if (retrained.has(genre)) return retrained.get(genre);
  const dir = `../checkpoints/retrain-${genre.toLowerCase().replace("'", '')}`;
  let entry = null;
  const probe = await fetch(new URL(`${dir}/meta.json`, import.meta.url), { method: 'HEAD' });
  if (probe.ok) {
    const [config, meta, weights] = await Promise.all(['config.json', 'meta.json', 'model.bpk'].map((f) => load(`retrained ${f}`, `${dir}/${f}`)));
    const kind = session === cpu ? 'cpu' : backendChoice === 'webgpu' ? 'webgpu' : 'auto';
    entry = { session: await Session.create({ backend: kind }, config, weights, bytes.data), cpuTrainSeconds: cpuTrainSeconds(meta) };
  }
  retrained.set(genre, entry);
  return entry;
}

const handlers = {
  init: start,
  recommend: (m) => run((s) => s.recommend({ history: m.history, edited: m.edited })),
  recommendRetrained: async (m) => {
    const r = await retrainedFor(m.genre);
    return r ? { recommendations: await r.session.recommend({ history: m.history, edited: false }), trainSeconds: r.cpuTrainSeconds } : null;
  },
  forget: async (m) => {
    const t0 = now();
    const reports = await run((s) => s.forget({ genre: m.genre, config: m.config }, (p) => postMessage({ type: 'stage', ...p })));
    applied.push({ genre: m.genre, config: m.config });
    // One report per method; the page shows the paper's (neurons) where it ran.
    const report = reports.find((r) => r.method === 'neurons') ?? reports[reports.length - 1];
    return { report, reports, seconds: now() - t0 };
  },
  reset: async () => { session.reset(); if (cpu && cpu !== session) cpu.reset(); applied = []; return true; },
  evaluate: (m) => run((s) => s.evaluate({ genre: m.genre, users: m.users })),
};

onmessage = async ({ data }) => {
  try {
    const value = await handlers[data.type](data);
    postMessage({ id: data.id, ok: true, value });
  } catch (error) {
    postMessage({ id: data.id, ok: false, error: String(error?.message ?? error) });
  }
};
