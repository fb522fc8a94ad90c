// The worker owns the model: it loads the wasm, the checkpoint and the data, and answers the
// page's requests one at a time, in the order they came. Every message in: {id, type, ...};
// every answer: {id, ok, value | error}.
import init, { Session, checkUpload, chooseBackend, defaults, parity, parseSettings, prepareData, trainingRecord } from '../pkg/recforget.js';

const FILES = {
  wasm: '../pkg/recforget_bg.wasm',
  config: '../checkpoints/bert4rec-ml1m/config.json',
  meta: '../checkpoints/bert4rec-ml1m/meta.json',
  weights: '../checkpoints/bert4rec-ml1m/model.bpk',
  data: '../data/web/dataset.json',
};

let wasmReady = null;  // the wasm module's initialisation, started once
let checkpoint = null; // the original checkpoint's files, loaded once
let session = null;    // the session in use (WebGPU or CPU)
let dataBytes = null;  // the page's dataset, shared with retrained models' sessions
// How the page's sessions are made: the backend and the build's Session class (threaded or not).
let sessionMaker = { kind: 'cpu', Class: Session };
const newSession = (config, meta, weights, data) => sessionMaker.Class.create({ backend: sessionMaker.kind }, config, meta, weights, data);
const retrained = new Map();  // genre slug -> {session, reference} of a shipped retrained model, or null
let deletionReference = null; // the training record of the model retrained without D once loaded, false when none is shipped

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

function loadWasm() {
  wasmReady ??= load('wasm').then((bytes) => init({ module_or_path: bytes }));
  return wasmReady;
}

// The WebGPU adapter the browser offers, as it describes itself (null: no WebGPU); the library
// names it, judges whether it is a software emulation and chooses the backend.
async function adapterInfo() {
  const gpu = await navigator.gpu?.requestAdapter().catch(() => null);
  if (!gpu) return null;
  const { vendor = '', architecture = '', description = '', isFallbackAdapter } = gpu.info ?? {};
  return { vendor, architecture, description, isFallbackAdapter: Boolean(isFallbackAdapter ?? gpu.isFallbackAdapter) };
}

// What the browser allows the CPU backend: threads need shared memory, which only a
// cross-origin-isolated page gets.
const cpuCores = (wanted) => ({ cores: navigator.hardwareConcurrency || 1, isolated: Boolean(self.crossOriginIsolated), wanted: wanted ?? null });
const pickBackend = async (choice, threads) =>
  chooseBackend({ choice, adapter: choice === 'cpu' ? null : await adapterInfo(), cpu: cpuCores(threads) });

// The CPU backend on several threads: the threaded build (rayon's pool on Web Workers sharing
// its memory), started once. Its Session builds the CPU sessions; everything else comes from the
// single-thread build, which WebGPU needs.
let threadedReady = null;
function loadThreaded(threads) {
  threadedReady ??= (async () => {
    const lib = await import('../pkg-threads/recforget.js');
    await lib.default({ module_or_path: await load('threaded wasm', '../pkg-threads/recforget_bg.wasm') });
    await lib.initThreadPool(threads);
    return lib;
  })();
  return threadedReady;
}

// The page's data sample: the one served with the page (the local demo), else the one prepared
// from the visitor's own file and kept in this browser; null when there is neither.
const KEPT = 'recforget-data';
const KEPT_KEY = new URL('kept/dataset.json', import.meta.url).href;
async function pageData() {
  // Offline without a kept copy of the served sample, the question fails: then there is none.
  const served = await fetch(new URL(FILES.data, import.meta.url), { method: 'HEAD' }).catch(() => null);
  if (served?.ok) return { bytes: await load('data'), origin: 'served' };
  const kept = await (await caches.open(KEPT)).match(KEPT_KEY);
  return kept ? { bytes: new Uint8Array(await kept.arrayBuffer()), origin: 'kept' } : null;
}

// Prepares the visitor's MovieLens-1M files in wasm, checks them against the checkpoint, and
// keeps the sample in this browser for the next visit.
// The picked files arrive as File objects: each is sized up before it is read into memory.
async function provideData({ files: picked }) {
  await loadWasm();
  for (const file of picked) checkUpload(file.name, file.size);
  const files = await Promise.all(picked.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
  const meta = checkpoint?.meta ?? await load('meta');
  const t0 = now();
  const sample = prepareData(files, meta);
  const seconds = now() - t0;
  await (await caches.open(KEPT)).put(KEPT_KEY, new Response(sample, { headers: { 'Content-Type': 'application/json' } }));
  return { seconds, bytes: sample.length };
}

async function forgetData() {
  return caches.delete(KEPT);
}

async function loadCheckpoint() {
  const [config, meta, weights] = await Promise.all(['config', 'meta', 'weights'].map((name) => load(name)));
  return { config, meta, weights };
}

// The same fixed input on the GPU session and on a CPU one must agree, or a silently wrong GPU
// is not shown: the page then runs on the CPU session.
async function checkParity(config, meta, weights, data) {
  const cpu = await Session.create({ backend: 'cpu' }, config, meta, weights.slice(), data);
  const verdict = parity(await session.probe(), await cpu.probe());
  if (verdict.ok) {
    cpu.free();
  } else {
    session.free();
    session = cpu;
    sessionMaker = { kind: 'cpu', Class: Session };
  }
  return verdict;
}

// The Session class for the choice: the threaded build's when it has threads and starts, else the
// single-thread build's (the label then says why).
async function sessionClass(chosen) {
  if (chosen.kind !== 'cpu' || chosen.threads <= 1) return { Class: Session, label: chosen.label };
  try {
    return { Class: (await loadThreaded(chosen.threads)).Session, label: chosen.label };
  } catch (error) {
    threadedReady = null;
    return { Class: Session, label: `CPU (wasm, one thread: the threaded build did not start, ${error?.message ?? error})` };
  }
}

async function start({ backend, threads }) {
  const t0 = now();
  await loadWasm();
  // Without data there is nothing to run: ask for it before loading the model.
  const found = await pageData();
  if (!found) return { needData: true };
  checkpoint ??= await loadCheckpoint();
  const { config, meta, weights } = checkpoint;
  const data = found.bytes;
  dataBytes = data;
  const chosen = await pickBackend(backend, threads);
  const { Class, label: chosenLabel } = await sessionClass(chosen);
  const loadSeconds = now() - t0;
  const t1 = now();
  let label = chosenLabel;
  let parity = null;
  sessionMaker = { kind: chosen.kind, Class };
  session = await newSession(config, meta, weights.slice(), data);
  // References belong to a session: a new one loads them again.
  for (const entry of retrained.values()) entry?.session.free();
  retrained.clear();
  deletionReference = null;
  if (chosen.kind === 'webgpu') {
    parity = await checkParity(config, meta, weights, data);
    if (!parity.ok) label = `CPU (wasm, one thread) — ${chosen.label} failed the parity check`;
  }
  return {
    backend: label,
    software: chosen.software,
    parity,
    catalog: JSON.parse(session.catalog()),
    users: JSON.parse(session.users()),
    checkpoint: trainingRecord(meta),
    dataOrigin: found.origin,
    timings: { loadSeconds, initSeconds: now() - t1 },
  };
}

// The model retrained from scratch without `genre`, when the site ships one
// (checkpoints/retrain-<slug>/), with its training record as the reference; null otherwise, and
// `{ error }` when it is shipped but cannot be used (the rest of the page goes on without it).
async function retrainedFor(slug) {
  if (retrained.has(slug)) return retrained.get(slug);
  const dir = `../checkpoints/retrain-${slug}`;
  let entry = null;
  const probe = await fetch(new URL(`${dir}/meta.json`, import.meta.url), { method: 'HEAD' }).catch(() => null);
  if (probe?.ok) {
    try {
      const [config, meta, weights] = await Promise.all(['config.json', 'meta.json', 'model.bpk'].map((f) => load(`retrained ${f}`, `${dir}/${f}`)));
      // The page's session judges the claims beside it; a session of its own recommends with it.
      session.setGenreReference(config, meta, weights);
      entry = {
        session: await newSession(config, meta, weights, dataBytes),
        reference: { checkpoint: `checkpoints/retrain-${slug}`, ...trainingRecord(meta) },
      };
    } catch (e) {
      entry = { error: `checkpoints/retrain-${slug} could not be used: ${e?.message ?? e}` };
    }
  }
  retrained.set(slug, entry);
  return entry;
}

// The model retrained without the deletion set D, when the site ships it: the session takes it
// as the exact reference of D's requests (and refuses a model retrained without anything else).
async function ensureDeletionReference() {
  if (deletionReference !== null) return deletionReference;
  const dir = '../checkpoints/retrain-deletion-set';
  deletionReference = false;
  const probe = await fetch(new URL(`${dir}/meta.json`, import.meta.url), { method: 'HEAD' }).catch(() => null);
  if (probe?.ok) {
    const [config, meta, weights] = await Promise.all(['config.json', 'meta.json', 'model.bpk'].map((f) => load(`retrained ${f}`, `${dir}/${f}`)));
    session.setDeletionReference(config, meta, weights);
    deletionReference = { checkpoint: dir.replace('../', ''), ...trainingRecord(meta) };
  }
  return deletionReference;
}

const handlers = {
  defaults: async () => { await loadWasm(); return defaults(); },
  parseSettings: async (m) => { await loadWasm(); return parseSettings(m.values); },
  init: start,
  provideData,
  forgetData,
  recommend: (m) => session.recommend({ history: m.history, edited: m.edited }),
  keptHistory: (m) => Array.from(session.keptHistory(Uint32Array.from(m.history))),
  recommendRetrained: async (m) => {
    const r = await retrainedFor(m.slug);
    if (!r || r.error) return r;
    return { recommendations: await r.session.recommend({ history: m.history, edited: false }), reference: r.reference };
  },
  retrainedReference: async (m) => (await retrainedFor(m.slug))?.reference ?? null,
  forget: async (m) => {
    const t0 = now();
    const reports = await session.forget({ genre: m.genre, config: m.config }, (p) => postMessage({ type: 'stage', ...p }));
    return { reports, seconds: now() - t0 };
  },
  reset: async () => { session.reset(); return true; },
  forgetMe: async (m) => {
    const reference = await ensureDeletionReference();
    return { ...(await session.forgetMe({ user: m.user, scope: m.scope, method: m.method })), reference: reference || null };
  },
  evaluate: async (m) => {
    const reference = (await retrainedFor(m.slug))?.reference ?? null;
    return { ...(await session.evaluate({ genre: m.genre, users: m.users })), reference };
  },
};

// One request at a time: a request waits for the one before it, whatever its outcome.
let queue = Promise.resolve();
onmessage = ({ data }) => {
  queue = queue.then(async () => {
    try {
      const value = await handlers[data.type](data);
      postMessage({ id: data.id, ok: true, value });
    } catch (error) {
      postMessage({ id: data.id, ok: false, error: String(error?.message ?? error) });
    }
  });
};
