// The page offline after one visit: this service worker keeps a copy of the page's own files
// (the page, its scripts, the wasm, the checkpoints, the data sample where one is served) and
// answers from it when the network is gone. Online, every request goes to the network first and
// refreshes the copy, so an updated site is what a visitor sees; a new VERSION drops the old copy.
// It lives beside index.html because a service worker only controls the folder it is served from.
// The visitor's own prepared MovieLens sample is kept by the worker in its own cache
// (`recforget-data`), which this file never touches.
const VERSION = 'recforget-site-v3';
const CHECKPOINT_FILES = ['config.json', 'meta.json', 'model.bpk'];

// Fetched at install, so the first visit leaves everything a later offline visit needs, even the
// files the first visit never asked for. Missing ones (the static site ships no MovieLens data,
// nor the model retrained without D) are skipped. The models retrained without a genre are kept
// once the page, which has the library's genres, names them (the `precache` message below).
const FILES = [
  './', 'index.html', 'www/main.js', 'www/text.js', 'www/worker.js', 'www/style.css', 'pkg/recforget.js', 'pkg/recforget_bg.wasm',
  'pkg-threads/recforget.js', 'pkg-threads/recforget_bg.wasm',
  'data/web/dataset.json', 'results/comparison-pop100.svg',
  ...['bert4rec-ml1m', 'retrain-deletion-set'].flatMap((dir) => CHECKPOINT_FILES.map((f) => `checkpoints/${dir}/${f}`)),
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(VERSION);
    await Promise.allSettled(FILES.map((f) => cache.add(new Request(f, { cache: 'reload' }))));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('recforget-site-') && n !== VERSION).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

// `{ type: 'precache', dirs }` from the page: the checkpoint folders it may load (one per genre,
// from the library's list), each kept whole where the site has it and the copy does not yet.
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'precache') return;
  event.waitUntil((async () => {
    const cache = await caches.open(VERSION);
    await Promise.allSettled(event.data.dirs.map(async (dir) => {
      const files = CHECKPOINT_FILES.map((f) => `checkpoints/${dir}/${f}`);
      if ((await Promise.all(files.map((f) => cache.match(f)))).every(Boolean)) return;
      const probe = await fetch(`checkpoints/${dir}/meta.json`, { method: 'HEAD' });
      if (probe.ok) await cache.addAll(files);
    }));
  })());
});

// Network first; the kept copy when the network fails. HEAD requests (the page asks whether a
// file exists) are answered from the copy of the GET, headers only.
async function answer(request) {
  const cache = await caches.open(VERSION);
  try {
    const response = await fetch(request);
    if (request.method === 'GET' && response.ok && response.type === 'basic') await cache.put(request, response.clone());
    return response;
  } catch (offline) {
    const kept = await cache.match(request, { ignoreMethod: true, ignoreSearch: request.mode === 'navigate' });
    if (!kept) throw offline;
    return request.method === 'HEAD' ? new Response(null, { status: kept.status, headers: kept.headers }) : kept;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (new URL(request.url).origin !== self.location.origin) return;
  if (request.method !== 'GET' && request.method !== 'HEAD') return;
  event.respondWith(answer(request));
});
