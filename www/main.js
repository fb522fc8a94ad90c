// The page: DOM and URL state only. The worker (worker.js) owns the model.
const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const pending = new Map();
let nextId = 1;

const GENRES = ['Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama',
  'Fantasy', 'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western'];
const PAPER = { hrPercent: '94.03–96.49%', ndcgPercent: '90.15–94.25%', removal: '70.53–74.82%', speedup: '×10.1–11.0' };

const state = {
  catalog: [], users: [], userIndex: new Map(), history: [], user: null,
  forgotten: [], lastForget: null, before: null, deletedOnly: null, after: null, retrained: null, checkpoint: null,
  evaluation: null,
};
const progress = {};

function call(type, payload = {}) {
  const id = nextId++;
  worker.postMessage({ id, type, ...payload });
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

worker.onmessage = ({ data }) => {
  if (data.type === 'progress') {
    if (document.body.dataset.ready) return; // later loads (a retrained model) are quick and quiet
    progress[data.file] = data;
    const parts = Object.values(progress).map((p) => `${p.file} ${(p.loaded / 1048576).toFixed(1)}${p.total ? '/' + (p.total / 1048576).toFixed(1) : ''} MB`);
    $('load').textContent = 'Loading: ' + parts.join(', ');
    return;
  }
  if (data.type === 'stage') return showStage(data);
  if (data.type === 'fallback') {
    $('backend').textContent = 'CPU (wasm) — the GPU failed: ' + data.reason;
    return;
  }
  const p = pending.get(data.id);
  if (!p) return;
  pending.delete(data.id);
  data.ok ? p.resolve(data.value) : p.reject(new Error(data.error));
};

function showError(error) {
  $('error').hidden = false;
  $('error').textContent = String(error?.message ?? error);
}
function clearError() { $('error').hidden = true; }

// ---- URL state --------------------------------------------------------------------------
const params = new URLSearchParams(location.search);
function settings() {
  return {
    methods: $('method').value.split(','),
    distill: { steps: Number($('distill-steps').value), batchSize: Number($('distill-batch').value) },
    sequences: Number($('sequences').value), seed: 7,
    ig: { steps: Number($('steps').value), riemann: 'right', objective: 'probability', chunk: 16 },
    screening: { ratio: Number($('ratio').value), p_start: Number($('p-start').value), p_step: 5,
      band: [Number($('band-low').value), Number($('band-high').value)], max_rounds: 20 },
    edit: $('edit').value,
  };
}
function saveUrl() {
  const q = new URLSearchParams();
  if (params.get('backend')) q.set('backend', params.get('backend'));
  if (state.user) q.set('user', state.user); else if (state.history.length) q.set('history', state.history.join('.'));
  q.set('genre', $('genre').value);
  if (state.forgotten.length) q.set('forgot', state.forgotten.join('.'));
  for (const id of ['method', 'distill-steps', 'distill-batch', 'steps', 'ratio', 'p-start', 'band-low', 'band-high', 'sequences', 'edit']) {
    if ($(id).value !== $(id).defaultValue && !($(id).tagName === 'SELECT' && $(id).selectedIndex === 0)) q.set(id, $(id).value);
  }
  history.replaceState(null, '', '?' + q.toString());
}

// ---- rendering ----------------------------------------------------------------------------
function itemLine(item, cls = '') {
  const li = document.createElement('li');
  if (cls) li.className = cls;
  li.append(item.title + ' ');
  const g = document.createElement('span');
  g.className = 'genres';
  g.textContent = item.genres.join(', ');
  li.append(g);
  if (item.score != null) {
    const s = document.createElement('span');
    s.className = 'score';
    s.textContent = item.score.toFixed(2);
    li.append(s);
  }
  return li;
}

// A forgotten genre's interactions count as deleted: the history shows them struck through.
const deleted = (id) => state.forgotten.some((g) => state.catalog[id].genres.includes(g));

function renderHistory() {
  const ol = $('history');
  ol.replaceChildren(...state.history.slice(-50).map((id) => itemLine(state.catalog[id], deleted(id) ? 'deleted' : '')));
  if (state.history.length > 50) ol.prepend(Object.assign(document.createElement('p'), { textContent: `… ${state.history.length - 50} earlier movies` }));
}

function renderMix(el, share, focus) {
  el.replaceChildren(...share.filter(([, v]) => v > 0).map(([g, v]) => {
    const row = document.createElement('div');
    row.className = 'bar';
    const fill = document.createElement('span');
    fill.className = 'fill' + (focus.includes(g) ? ' focus' : '');
    fill.style.width = `${Math.round(v * 120)}px`;
    row.append(fill, `${g} ${Math.round(v * 100)}%`);
    return row;
  }));
}

function renderRecs() {
  const focus = [$('genre').value, ...state.forgotten];
  const before = state.before?.items ?? [];
  const after = state.after?.items ?? [];
  const beforeIds = new Set(before.map((i) => i.id));
  const afterIds = new Set(after.map((i) => i.id));
  $('recs-before').replaceChildren(...before.map((i) => itemLine(i, state.after && !afterIds.has(i.id) ? 'left' : '')));
  $('recs-after').replaceChildren(...after.map((i) => itemLine(i, beforeIds.has(i.id) ? '' : 'entered')));
  if (state.before) renderMix($('mix-before'), state.before.genreShare, focus); else $('mix-before').replaceChildren();
  if (state.after) renderMix($('mix-after'), state.after.genreShare, focus); else $('mix-after').replaceChildren();
  $('forgotten-label').textContent = state.forgotten.length ? `(without ${state.forgotten.join(', ')})` : '(nothing forgotten yet)';
  const retrained = state.retrained?.recommendations;
  $('deleted-column').hidden = !state.deletedOnly;
  if (state.deletedOnly) {
    $('recs-deleted').replaceChildren(...state.deletedOnly.items.map((i) => itemLine(i, beforeIds.has(i.id) ? '' : 'entered')));
    renderMix($('mix-deleted'), state.deletedOnly.genreShare, focus);
  }
  $('retrained-column').hidden = !retrained;
  if (retrained) {
    $('recs-retrained').replaceChildren(...retrained.items.map((i) => itemLine(i, beforeIds.has(i.id) ? '' : 'entered')));
    renderMix($('mix-retrained'), retrained.genreShare, focus);
  }
}

async function recommend() {
  clearError();
  if (!state.history.length) {
    state.before = state.after = state.deletedOnly = null;
    renderRecs();
    showError('The history is empty: pick a user or add at least one movie.');
    return;
  }
  try {
    state.before = await call('recommend', { history: state.history, edited: false });
    state.after = state.forgotten.length ? await call('recommend', { history: state.history, edited: true }) : null;
    // The original model given the history without the forgotten genres: deletion alone.
    const kept = state.history.filter((id) => !deleted(id));
    state.deletedOnly = state.forgotten.length && kept.length ? await call('recommend', { history: kept, edited: false }) : null;
    // With exactly one genre forgotten, the model retrained without it, where the site ships one.
    state.retrained = state.forgotten.length === 1
      ? await call('recommendRetrained', { genre: state.forgotten[0], history: state.history.filter((id) => !deleted(id)) })
      : null;
    renderRecs();
  } catch (e) { showError(e); }
}

function showStage(p) {
  const bar = $('forget-progress');
  if (p.stage === 'training') { bar.hidden = false; bar.max = p.steps; bar.value = p.step; }
  if (p.stage === 'attribution') { bar.hidden = false; bar.max = p.sequences; bar.value = p.sequencesDone; }
  const lines = $('stages').textContent.split('\n').filter((l) => l && !l.startsWith(p.stage));
  const text = p.stage === 'attribution'
    ? `attribution: ${p.sequencesDone}/${p.sequences} sequences, layer L${p.layer}`
    : p.stage === 'training'
      ? `training: step ${p.step}/${p.steps}, loss ${p.loss.toFixed(3)}`
      : `${p.stage}…`;
  $('stages').textContent = [...lines, text].join('\n');
}

function drawHeatmap(mean, neurons) {
  const canvas = $('heatmap');
  const layers = mean.length, width = mean[0].length;
  canvas.width = width; canvas.height = layers * 12; canvas.hidden = false;
  const ctx = canvas.getContext('2d');
  const max = Math.max(...mean.flat().map(Math.abs), 1e-12);
  mean.forEach((row, l) => row.forEach((v, i) => {
    const t = Math.min(1, Math.abs(v) / max);
    ctx.fillStyle = v >= 0 ? `rgba(200,40,40,${t})` : `rgba(40,80,200,${t})`;
    ctx.fillRect(i, l * 12, 1, 12);
  }));
  ctx.fillStyle = '#000';
  for (const n of neurons) ctx.fillRect(n.layer === undefined ? 0 : n.index, n.layer * 12, 1, 3);
}

async function forget() {
  clearError();
  const genre = $('genre').value;
  $('stages').textContent = '';
  $('forget').disabled = true;
  try {
    const { report, reports, seconds } = await call('forget', { genre, config: settings() });
    $('forget-progress').hidden = true;
    state.forgotten.push(genre);
    state.lastForget = { genre, settings: settings(), reports, seconds };
    renderHistory();
    $('stages').textContent += `\ndone in ${seconds.toFixed(2)} s: ` + reports.map((r) => `${r.method} ${r.times.total.toFixed(2)} s`).join(', ');
    const lines = reports.map((r) => {
      if (r.method === 'neurons') {
        const s = r.screening;
        return `the paper's method: ${s.neurons.length} privacy neurons for ${genre} at P = ${s.p}% ` +
          `(${s.converged ? 'in the band' : 'band not reached'}; ${r.sequences} sequences): ` + s.neurons.map((n) => `L${n.layer}:${n.index}`).join(' ');
      }
      if (r.method === 'rows') return `reset the rows of ${r.items} ${genre} items (output bias ${r.bias.toFixed(2)})`;
      if (r.method === 'distill') return `distilled ${r.losses.length} steps of ${r.config.batchSize} sequences (loss ${r.losses[0].toFixed(3)} → ${r.losses.at(-1).toFixed(3)})`;
      return `output filter: ${r.items} ${genre} items hidden — the model itself is unchanged, this only hides them`;
    });
    $('neurons').textContent = lines.join('\n');
    if (report.method === 'neurons') drawHeatmap(report.meanAttribution, report.screening.neurons); else $('heatmap').hidden = true;
    saveUrl();
    await recommend();
  } catch (e) { showError(e); }
  $('forget').disabled = false;
  $('forget-progress').hidden = true;
}

async function reset() {
  await call('reset');
  state.forgotten = []; state.after = null; state.deletedOnly = null; state.retrained = null; state.lastForget = null; state.evaluation = null;
  renderHistory();
  $('stages').textContent = ''; $('neurons').textContent = ''; $('heatmap').hidden = true;
  saveUrl();
  await recommend();
}

async function evaluate() {
  clearError();
  const genre = state.forgotten.at(-1) ?? $('genre').value;
  $('evaluate').disabled = true;
  try {
    const r = await call('evaluate', { genre, users: Number($('eval-users').value) });
    state.evaluation = r;
    // One measurement (the CLI's and the report's): the original, deletion alone, the edited model.
    const [o, d, a] = ['original', 'deletion only', 'after'].map((n) => r.measurement.models.find((m) => m.name === n).served);
    const pct = (x, y) => (y ? (100 * x / y).toFixed(1) + '%' : '–');
    const p = (x) => (100 * x).toFixed(1) + '%';
    const auc = (f, k) => f.membership[k].toFixed(3);
    const removal = (f, i) => (f.removal.length ? p(f.removal[i].rate) : '');
    const forgotten = state.forgotten.length > 0;
    // The retraining time (on the CPU) of the shipped retrained model if there is one, else the original's.
    const retrain = state.retrained?.trainSeconds ?? state.checkpoint?.cpuTrainSeconds;
    const forgetSeconds = state.lastForget?.seconds;
    const after = forgotten ? 'after forgetting' : 'nothing forgotten yet';
    const rows = [
      ['', 'original', after, 'after ÷ original', 'paper', 'deletion only'],
      ['HR@10 (pop100)', o.overall.pop100.hr[2].toFixed(4), a.overall.pop100.hr[2].toFixed(4), pct(a.overall.pop100.hr[2], o.overall.pop100.hr[2]), PAPER.hrPercent, d.overall.pop100.hr[2].toFixed(4)],
      ['NDCG@10 (pop100)', o.overall.pop100.ndcg[2].toFixed(4), a.overall.pop100.ndcg[2].toFixed(4), pct(a.overall.pop100.ndcg[2], o.overall.pop100.ndcg[2]), PAPER.ndcgPercent, d.overall.pop100.ndcg[2].toFixed(4)],
      [`removal rate, ${genre} (pop100)`, '', removal(a, 2), '', PAPER.removal, removal(d, 2)],
      [`removal rate, ${genre} (full)`, '', removal(a, 0), '', '', removal(d, 0)],
      [`${genre} share of top-10`, p(o.share), p(a.share), '', '', p(d.share)],
      [`the model still tells which ${genre} films a user watched (membership AUC per user; 0.5 = cannot tell)`, auc(o, 'userAuc'), auc(a, 'userAuc'), '', '', auc(d, 'userAuc')],
      [`… which users watched a ${genre} film (membership AUC per item)`, auc(o, 'itemAuc'), auc(a, 'itemAuc'), '', '', auc(d, 'itemAuc')],
      [`deleted ${genre} interactions still in the top-10 (HR@10, full ranking)`, p(o.deleted.hr10), p(a.deleted.hr10), '', '', p(d.deleted.hr10)],
      [state.retrained ? 'forget time here vs retraining (native CPU)' : 'forget time here vs training the original (native CPU)', retrain ? `${retrain.toFixed(0)} s training` : '', forgetSeconds ? `${forgetSeconds.toFixed(1)} s` : 'forget first', retrain && forgetSeconds ? `×${(retrain / forgetSeconds).toFixed(0)}` : '', PAPER.speedup, ''],
      ['users (forget set)', `${r.users} (${r.measurement.forgetSetUsers})`, '', '', '', ''],
    ];
    $('claims').replaceChildren(...rows.map((row, i) => {
      const tr = document.createElement('tr');
      tr.append(...row.map((c) => Object.assign(document.createElement(i ? 'td' : 'th'), { textContent: c })));
      return tr;
    }));
  } catch (e) { showError(e); }
  $('evaluate').disabled = false;
}

function selectUser(key) {
  const user = state.userIndex.get(key);
  if (!user) return showError(`No user ${key} in the page's sample; pick one from the list.`);
  state.user = key;
  state.history = user.history.slice();
  $('user-id').value = key;
  $('add-row').hidden = true;
  renderHistory();
  saveUrl();
  recommend();
}

function exportJson() {
  // The result: what was forgotten and how (neurons, settings, timings), the recommendations, and
  // the metrics of the last "Check the claims" run.
  const blob = new Blob([JSON.stringify({ user: state.user, history: state.history, forgotten: state.forgotten,
    lastForget: state.lastForget, before: state.before, deletedOnly: state.deletedOnly, after: state.after, metrics: state.evaluation }, null, 2)], { type: 'application/json' });
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: 'recforget-result.json' });
  a.click();
}

// ---- start ----------------------------------------------------------------------------------
async function main() {
  $('genre').replaceChildren(...GENRES.map((g) => Object.assign(document.createElement('option'), { value: g, textContent: g })));
  for (const id of ['method', 'distill-steps', 'distill-batch', 'steps', 'ratio', 'p-start', 'band-low', 'band-high', 'sequences', 'edit']) if (params.get(id)) $(id).value = params.get(id);
  $('genre').value = params.get('genre') ?? 'Action';
  const backend = ['webgpu', 'cpu'].includes(params.get('backend')) ? params.get('backend') : 'auto';
  const info = await call('init', { backend: backend === 'auto' && !navigator.gpu ? 'cpu' : backend });
  $('backend').textContent = info.backend;
  $('parity').textContent = info.parity ? `GPU/CPU parity: max |Δ| ${info.parity.maxDifference.toExponential(1)} ${info.parity.ok ? '✓' : '✗ (using the CPU)'}` : '';
  $('load').textContent = `Loaded in ${info.timings.loadSeconds.toFixed(1)} s, model ready in ${info.timings.initSeconds.toFixed(1)} s`;
  document.body.dataset.ready = 'true';
  state.catalog = info.catalog;
  state.users = info.users;
  state.checkpoint = info.checkpoint;
  state.userIndex = new Map(info.users.map((u) => [u.key, u]));
  $('user-list').replaceChildren(...info.users.map((u) => Object.assign(document.createElement('option'), { value: u.key })));
  $('title-list').replaceChildren(...info.catalog.map((i) => Object.assign(document.createElement('option'), { value: i.title })));
  const titleIndex = new Map(info.catalog.map((i) => [i.title, i.id]));

  $('user-id').addEventListener('change', () => selectUser($('user-id').value.trim()));
  $('random-user').addEventListener('click', () => selectUser(state.users[Math.floor(Math.random() * state.users.length)].key));
  $('own-history').addEventListener('click', () => { state.user = null; state.history = []; $('add-row').hidden = false; renderHistory(); recommend(); });
  $('add-title').addEventListener('click', () => {
    const id = titleIndex.get($('title-search').value);
    if (id === undefined) return showError('No such title: pick one from the suggestions.');
    state.history.push(id); $('title-search').value = ''; renderHistory(); saveUrl(); recommend();
  });
  $('forget').addEventListener('click', forget);
  $('reset').addEventListener('click', reset);
  $('evaluate').addEventListener('click', evaluate);
  $('export').addEventListener('click', exportJson);
  $('genre').addEventListener('change', () => { saveUrl(); renderRecs(); });

  if (params.get('history')) {
    state.history = params.get('history').split('.').map(Number).filter((i) => i >= 0 && i < state.catalog.length);
    $('add-row').hidden = false; renderHistory(); await recommend();
  } else {
    selectUser(params.get('user') && state.userIndex.has(params.get('user')) ? params.get('user') : state.users[0].key);
  }
  for (const g of (params.get('forgot') ?? '').split('.').filter((g) => GENRES.includes(g))) {
    $('genre').value = g;
    await forget();
  }
}

// For the end-to-end tests: read-only access to what the page shows.
window.recforget = { state };

main().catch(showError);
