// The page: DOM and URL state only. The worker (worker.js) owns the model; the library (through
// the worker) owns every default, range, genre and claimed figure shown here.
const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const pending = new Map();
let nextId = 1;

const state = {
  defaults: null, backend: '', catalog: [], users: [], userIndex: new Map(), history: [], user: null,
  // Every forget since the last reset, in order: {genre, settings, config, reports, seconds}.
  forgets: [],
  before: null, deletedOnly: null, after: null, retrained: null, checkpoint: null, evaluation: null,
};
const forgotten = () => state.forgets.map((f) => f.genre);
const slug = (genre) => state.defaults.genres.find((g) => g.name === genre).slug;
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
  const p = pending.get(data.id);
  if (!p) return;
  pending.delete(data.id);
  data.ok ? p.resolve(data.value) : p.reject(new Error(data.error));
};

function showError(error) {
  $('error').hidden = false;
  $('error').textContent = String(error?.message ?? error);
}
function clearError() { $('error').hidden = true; $('error').textContent = ''; }

// ---- one request at a time ---------------------------------------------------------------
// While the worker works, every control that would change what it works on is disabled, and the
// page says what it is doing (also to screen readers).
let busyDepth = 0;
async function busy(label, work) {
  if (busyDepth++ === 0) setBusy(label);
  try { return await work(); } finally { if (--busyDepth === 0) setBusy(null); }
}
function setBusy(label) {
  document.body.dataset.busy = label ? 'true' : 'false';
  $('busy').textContent = label ? `Working: ${label}…` : '';
  for (const el of document.querySelectorAll('main button, main input, main select')) {
    if (!el.dataset.always) el.disabled = Boolean(label);
  }
}

// ---- settings: built from the library's table, validated by the library -------------------
const paramKeys = () => state.defaults.params.map((p) => p.key);

function buildControls() {
  const { params, genres } = state.defaults;
  $('genre').replaceChildren(...genres.map((g) => new Option(g.name, g.name)));
  const method = params.find((p) => p.key === 'method');
  $('method').replaceChildren(...method.kind.options.map((o) => new Option(o.label, o.value)));
  $('method').value = method.default;
  $('method').dataset.default = method.default;
  $('advanced-grid').replaceChildren(...params.filter((p) => p.key !== 'method').map((p) => {
    const label = document.createElement('label');
    label.title = p.help;
    let control;
    if (p.kind.type === 'choice') {
      control = document.createElement('select');
      control.append(...p.kind.options.map((o) => new Option(o.label, o.value)));
    } else {
      control = Object.assign(document.createElement('input'), { type: 'number', min: p.kind.min, max: p.kind.max, step: p.kind.step ?? 1 });
    }
    control.id = p.key;
    control.value = p.default;
    control.dataset.default = p.default;
    label.append(`${p.label} `, control);
    return label;
  }));
  $('eval-users').max = state.defaults.evalUsers[0];
  $('eval-users').value = state.defaults.evalUsers[1];
}

// The settings that differ from the defaults, as [key, value] pairs (what the URL carries).
const changedSettings = () => paramKeys().filter((k) => $(k).value !== $(k).dataset.default).map((k) => [k, $(k).value]);

// The forget configuration of named settings, or an error naming each refused setting.
async function configOf(settings) {
  const { config, errors } = await call('parseSettings', { values: settings });
  if (errors.length) throw new Error(errors.map((e) => `${e.key}=${e.value}: ${e.message}`).join('\n'));
  return config;
}

// ---- URL state: read once, validated; written back from what is shown ----------------------
const params = new URLSearchParams(location.search);
function saveUrl() {
  const q = new URLSearchParams();
  if (params.get('backend')) q.set('backend', params.get('backend'));
  if (state.user) q.set('user', state.user); else if (state.history.length) q.set('history', state.history.join('.'));
  q.set('genre', $('genre').value);
  // Each forget with its own settings, in order: `forget=Action;method=rows,distill;distill-steps=6`.
  for (const f of state.forgets) q.append('forget', [f.genre, ...Object.entries(f.settings).map(([k, v]) => `${k}=${v}`)].join(';'));
  for (const [k, v] of changedSettings()) q.set(k, v);
  history.replaceState(null, '', '?' + q.toString());
}

// Applies the URL's settings to the controls; returns a message for each refused parameter.
async function applyUrlSettings() {
  const given = paramKeys().filter((k) => params.has(k)).map((k) => [k, params.get(k)]);
  const { errors } = await call('parseSettings', { values: given });
  const refused = new Set(errors.map((e) => e.key));
  for (const [k, v] of given) if (!refused.has(k)) $(k).value = v;
  return errors.map((e) => `${e.key}=${e.value}: ${e.message}; the default is used.`);
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
const deleted = (id) => forgotten().some((g) => state.catalog[id].genres.includes(g));

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

function renderColumn(name, recs, beforeIds, focus) {
  $(`${name}-column`).hidden = !recs;
  $(`recs-${name}`).replaceChildren(...(recs?.items ?? []).map((i) => itemLine(i, beforeIds.has(i.id) ? '' : 'entered')));
  if (recs) renderMix($(`mix-${name}`), recs.genreShare, focus); else $(`mix-${name}`).replaceChildren();
}

function renderRecs() {
  const focus = [$('genre').value, ...forgotten()];
  const before = state.before?.items ?? [];
  const afterIds = new Set((state.after?.items ?? []).map((i) => i.id));
  const beforeIds = new Set(before.map((i) => i.id));
  $('recs-before').replaceChildren(...before.map((i) => itemLine(i, state.after && !afterIds.has(i.id) ? 'left' : '')));
  if (state.before) renderMix($('mix-before'), state.before.genreShare, focus); else $('mix-before').replaceChildren();
  const methods = state.forgets.map((f) => `${f.genre} (${f.config.methods.join('+')})`).join(', ');
  $('forgotten-label').textContent = state.forgets.length ? `(without ${methods})` : '(nothing forgotten yet)';
  renderColumn('after', state.after, beforeIds, focus);
  $('after-column').hidden = false;
  renderColumn('deleted', state.deletedOnly, beforeIds, focus);
  renderColumn('retrained', state.retrained?.recommendations, beforeIds, focus);
  $('retrained-note').textContent = state.retrained ? referenceLine(state.retrained.reference) : '';
}

const referenceLine = (r) => `${r.checkpoint}: ${r.epochs} epochs, ${r.summary}`;

// Every column belongs to the current history and the current forgets: they are computed
// together, and an empty history clears them all.
async function recommend() {
  clearError();
  state.before = state.after = state.deletedOnly = state.retrained = null;
  if (!state.history.length) {
    renderRecs();
    showError('The history is empty: pick a user or add at least one movie.');
    return;
  }
  await busy('recommending', async () => {
    try {
      const before = await call('recommend', { history: state.history, edited: false });
      const after = state.forgets.length ? await call('recommend', { history: state.history, edited: true }) : null;
      // The original model given the history without the forgotten genres: deletion alone.
      const kept = state.history.filter((id) => !deleted(id));
      const deletedOnly = state.forgets.length && kept.length ? await call('recommend', { history: kept, edited: false }) : null;
      // With exactly one genre forgotten, the model retrained without it, where the site ships one.
      const retrained = state.forgets.length === 1 && kept.length
        ? await call('recommendRetrained', { slug: slug(state.forgets[0].genre), history: kept })
        : null;
      Object.assign(state, { before, after, deletedOnly, retrained });
    } catch (e) { showError(e); }
    renderRecs();
  });
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

// The paper's heat map: mean attribution per neuron (rows: layers L0…, columns: FFN neurons),
// with a legend and a text summary for those who cannot see it.
function drawHeatmap(genre, report) {
  const mean = report.meanAttribution, neurons = report.screening.neurons;
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
  for (const n of neurons) ctx.fillRect(n.index, n.layer * 12, 1, 3);
  const strongest = mean.map((row, l) => {
    const top = row.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 3);
    return `L${l}: ${top.map(([v, i]) => `${i} (${v.toExponential(1)})`).join(', ')}`;
  });
  const summary = `Mean attribution to ${genre} over ${report.sequences} sequences, ${layers} layers × ${width} FFN neurons. ` +
    `Strongest per layer — ${strongest.join('; ')}. Privacy neurons: ${neurons.map((n) => `L${n.layer}:${n.index}`).join(' ') || 'none'}.`;
  canvas.setAttribute('aria-label', summary);
  $('heatmap-summary').textContent = summary;
  $('heatmap-legend').hidden = false;
}

function describe(genre, r) {
  if (r.method === 'neurons') {
    const s = r.screening;
    return `the paper's method: ${s.neurons.length} privacy neurons for ${genre} at P = ${s.p}% ` +
      `(${s.converged ? 'in the band' : 'band not reached'}; ${r.sequences} sequences, seed ${r.config.seed}): ` + s.neurons.map((n) => `L${n.layer}:${n.index}`).join(' ');
  }
  if (r.method === 'rows') return `reset the rows of ${r.items} ${genre} items (output bias ${r.bias.toFixed(2)})`;
  if (r.method === 'distill') return `distilled ${r.losses.length} steps of ${r.config.batchSize} sequences (loss ${r.losses[0].toFixed(3)} → ${r.losses.at(-1).toFixed(3)})`;
  return `output filter: ${r.items} ${genre} items hidden — the model itself is unchanged, this only hides them`;
}

// Forgets `genre` with the named settings (those that differ from the defaults).
async function forget(genre, settings) {
  clearError();
  await busy(`forgetting ${genre}`, async () => {
    $('stages').textContent = '';
    try {
      const config = await configOf(settings);
      const { reports, seconds } = await call('forget', { genre, config });
      state.forgets.push({ genre, settings: Object.fromEntries(settings), config, reports, seconds });
      renderHistory();
      $('stages').textContent += `\ndone in ${seconds.toFixed(2)} s: ` + reports.map((r) => `${r.method} ${r.times.total.toFixed(2)} s`).join(', ');
      $('neurons').textContent = reports.map((r) => describe(genre, r)).join('\n');
      const paper = reports.find((r) => r.method === 'neurons');
      if (paper) drawHeatmap(genre, paper); else { $('heatmap').hidden = true; $('heatmap-legend').hidden = true; $('heatmap-summary').textContent = ''; }
      state.evaluation = null;
      $('claims').replaceChildren();
      saveUrl();
      await recommend();
    } catch (e) { showError(e); }
    $('forget-progress').hidden = true;
  });
}

async function reset() {
  clearError();
  await busy('resetting', async () => {
    await call('reset');
    state.forgets = []; state.evaluation = null;
    renderHistory();
    $('stages').textContent = ''; $('neurons').textContent = ''; $('heatmap').hidden = true; $('heatmap-legend').hidden = true;
    $('heatmap-summary').textContent = ''; $('claims').replaceChildren();
    saveUrl();
    await recommend();
  });
}

// ---- the claims, each with a verdict -------------------------------------------------------
function table(rows) {
  $('claims').replaceChildren(...rows.map((row, i) => {
    const tr = document.createElement('tr');
    tr.append(...row.map((c) => Object.assign(document.createElement(i ? 'td' : 'th'), { textContent: c })));
    return tr;
  }));
}

async function evaluate() {
  clearError();
  const genre = forgotten().at(-1) ?? $('genre').value;
  await busy(`measuring ${genre}`, async () => {
    try {
      const users = Number($('eval-users').value);
      const r = await call('evaluate', { genre, users });
      const lastForget = state.forgets.findLast((f) => f.genre === genre) ?? null;
      const reference = lastForget ? await call('retrainedReference', { slug: slug(genre) }) : null;
      const [o, d, a] = ['original', 'deletion only', 'after'].map((n) => r.measurement.models.find((m) => m.name === n).served);
      const p = (x) => (100 * x).toFixed(1) + '%';
      const auc = (f, k) => f.membership[k].toFixed(3);
      const removal = (f, i) => (f.removal.length ? p(f.removal[i].rate) : '');
      const hr = (f) => f.overall.pop100.hr[2], ndcg = (f) => f.overall.pop100.ndcg[2];
      const measures = [
        ['HR@10 (pop100)', (f) => hr(f).toFixed(4)],
        ['NDCG@10 (pop100)', (f) => ndcg(f).toFixed(4)],
        [`${genre} share of top-10`, (f) => p(f.share)],
        [`membership AUC per user: the model tells which ${genre} films a user watched (0.5 = cannot tell)`, (f) => auc(f, 'userAuc')],
        [`membership AUC per item: which users watched a ${genre} film`, (f) => auc(f, 'itemAuc')],
        [`deleted ${genre} interactions still in the top-10 (HR@10, full ranking)`, (f) => p(f.deleted.hr10)],
      ];
      const condition = `${genre}, ${r.users} sample users (${r.measurement.forgetSetUsers} in the forget set), pop100, ${state.backend}`;
      const verdicts = [];
      if (!lastForget) {
        // Nothing forgotten: the original's figures only, and no claim can be checked.
        table([['', 'original'], ...measures.map(([name, f]) => [name, f(o)])]);
        $('claims-note').textContent = `Nothing forgotten yet: forget ${genre} to check the paper's claims. ${condition}.`;
      } else {
        const methods = lastForget.config.methods.join('+');
        const speedup = reference?.cpuTrainSeconds ? reference.cpuTrainSeconds / lastForget.seconds : null;
        const ours = {
          hrKept: 100 * hr(a) / hr(o),
          ndcgKept: 100 * ndcg(a) / ndcg(o),
          removal: a.removal.length ? 100 * a.removal[2].rate : null,
          speedup,
        };
        for (const c of state.defaults.claims) {
          const value = ours[c.kind] ?? null;
          const verdict = value == null
            ? (c.kind === 'speedup' ? `no model retrained without ${genre} is shipped: no speedup` : 'not measurable')
            : (value >= c.low ? 'reproduced' : 'not reproduced') + (methods === 'neurons' ? '' : ` (by ${methods}, not the paper's method)`);
          verdicts.push({ claim: c.kind, statement: c.statement, ours: value, paper: { low: c.low, high: c.high, unit: c.unit }, verdict, method: methods });
        }
        const after = `after forgetting (${methods})`;
        table([
          ['', 'original', 'deletion only', after],
          ...measures.map(([name, f]) => [name, f(o), f(d), f(a)]),
          [`removal rate, ${genre} (pop100)`, '', removal(d, 2), removal(a, 2)],
          [`removal rate, ${genre} (full ranking)`, '', removal(d, 0), removal(a, 0)],
        ]);
        const figure = (x, unit) => (x == null ? '–' : unit === '×' ? `×${x.toFixed(0)}` : `${x.toFixed(1)}%`);
        const range = ({ low, high, unit }) => (unit === '×' ? `×${low}–${high}` : `${low}–${high}%`);
        const claimRows = verdicts.map((v) => [v.statement, figure(v.ours, v.paper.unit), range(v.paper), v.verdict]);
        const tr = document.createElement('tr');
        tr.append(Object.assign(document.createElement('th'), { textContent: 'the paper\'s claim' }),
          ...['ours', 'paper', 'verdict'].map((t) => Object.assign(document.createElement('th'), { textContent: t })));
        $('claims').append(tr, ...claimRows.map((row) => {
          const r2 = document.createElement('tr');
          r2.className = 'claim';
          r2.append(...row.map((c) => Object.assign(document.createElement('td'), { textContent: c })));
          return r2;
        }));
        $('claims-note').textContent = `Condition: ${condition}; forget time ${lastForget.seconds.toFixed(1)} s here. ` +
          (reference ? `Speedup against ${referenceLine(reference)} (CPU-equivalent ${reference.cpuTrainSeconds?.toFixed(0)} s).` : `No model retrained without ${genre} is shipped, so no speedup.`);
      }
      state.evaluation = { genre, users: r.users, condition, measurement: r.measurement, reference, verdicts };
    } catch (e) { showError(e); }
  });
}

// Asks for the visitor's MovieLens-1M (a picker and drag-and-drop), has the worker prepare and
// keep it, and resolves with the started page once a file was accepted.
function askForData(request) {
  $('data-panel').hidden = false;
  $('load').textContent = 'Waiting for your copy of MovieLens-1M';
  setBusy(null);
  return new Promise((resolve) => {
    const take = async (fileList) => {
      const files = [...fileList];
      if (!files.length) return;
      clearError();
      $('data-status').textContent = `Preparing ${files.map((f) => f.name).join(', ')}…`;
      try {
        const prepared = await busy('preparing your MovieLens-1M', () => call('provideData', { files }));
        $('data-status').textContent = `Prepared in ${prepared.seconds.toFixed(1)} s and kept in this browser.`;
        state.dataSeconds = prepared.seconds;
        setBusy('loading');
        const info = await call('init', request);
        $('data-panel').hidden = true;
        resolve(info);
      } catch (e) {
        $('data-status').textContent = '';
        showError(e);
      }
    };
    $('data-file').addEventListener('change', () => take($('data-file').files));
    const drop = $('data-drop');
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); take(e.dataTransfer.files); });
  });
}

function selectUser(key) {
  const user = state.userIndex.get(key);
  if (!user) return showError(`No user ${key} in the page's sample; pick one from the list.`);
  state.user = key;
  state.history = user.history.slice();
  $('user-id').value = key;
  $('add-row').hidden = true;
  renderHistory();
  renderMePanel();
  saveUrl();
  return recommend();
}

// ---- forget me: one person's deletion -------------------------------------------------------
const scopeLabel = (scope) => (scope === 'all' ? 'all their history' : `their ${scope} history`);

// What the deletion set D holds for the current user, and the scopes they can ask for.
function renderMePanel() {
  const user = state.user ? state.userIndex.get(state.user) : null;
  const inSet = user?.inDeletionSet;
  $('me-status').textContent = !user
    ? 'A history built here was never trained on: Forget me says what that means.'
    : inSet
      ? `${user.key} is in the deletion set D and deletes ${scopeLabel(inSet)}: a model retrained without D is the exact reference for that request.`
      : `${user.key} is not in the deletion set D: the audit compares with the original only (no model was retrained without this request).`;
  const wanted = inSet ?? 'all';
  const options = [['all', 'all my history'], ...state.defaults.genres.map((g) => [g.name, `my ${g.name} history`])];
  $('me-scope').replaceChildren(...options.map(([value, label]) => Object.assign(document.createElement('option'), { value, textContent: label })));
  $('me-scope').value = wanted;
}

function auditTable(audit) {
  const head = (c) => (c.model === 'original' ? 'Original' : c.model === 'retrained' ? 'Retrained without D' : `After ${c.model}`);
  const rows = [
    ['Judged “was in training” by a membership test', (c) => `${c.judgedMembers} of ${c.pairs}`],
    ['Deleted films still in the top 10', (c) => `${Math.round(c.hr10 * 100)}%`],
    ['Mean rank of the deleted films', (c) => c.meanRank.toFixed(0)],
    ['Everyone else’s test HR@10', (c) => `${(c.othersHr10 * 100).toFixed(1)}%`],
  ];
  const caption = Object.assign(document.createElement('caption'), { textContent: `Audit of ${audit.user}'s request (${audit.deleted} training interactions deleted)` });
  const th = (text, scope) => Object.assign(document.createElement('th'), { textContent: text, scope });
  const header = document.createElement('tr');
  header.append(th('', 'col'), ...audit.columns.map((c) => th(head(c), 'col')));
  const body = rows.map(([label, cell]) => {
    const tr = document.createElement('tr');
    tr.append(th(label, 'row'), ...audit.columns.map((c) => Object.assign(document.createElement('td'), { textContent: cell(c) })));
    return tr;
  });
  $('me-audit').replaceChildren(caption, header, ...body);
  $('me-audit').hidden = false;
}

async function forgetMe() {
  clearError();
  const scope = $('me-scope').value;
  await busy('forgetting you', async () => {
    try {
      const view = await call('forgetMe', { user: state.user, scope, method: $('me-method').value });
      state.forgetMe = view;
      $('me-summary').textContent = view.audit ? view.audit.summary : view.note;
      if (view.audit) auditTable(view.audit); else $('me-audit').hidden = true;
      $('me-recs').hidden = !view.before;
      $('me-before').replaceChildren(...(view.before?.items ?? []).map((i) => itemLine(i)));
      $('me-after').replaceChildren(...(view.after?.items ?? []).map((i) => itemLine(i)));
      $('me-after-note').textContent = view.note ?? '';
      $('me-summary').focus();
    } catch (e) { showError(e); }
  });
}

function exportJson() {
  // The result: the backend, every forget in order (settings, reports, timings), the
  // recommendations, and the last measurement with its genre, its reference and its verdicts.
  const blob = new Blob([JSON.stringify({
    backend: state.backend, user: state.user, history: state.history, forgets: state.forgets,
    recommendations: { before: state.before, deletedOnly: state.deletedOnly, after: state.after, retrained: state.retrained },
    evaluation: state.evaluation, forgetMe: state.forgetMe,
  }, null, 2)], { type: 'application/json' });
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: 'recforget-result.json' });
  a.click();
}

// ---- start ----------------------------------------------------------------------------------
async function main() {
  state.defaults = await call('defaults');
  buildControls();
  setBusy('loading');
  const notes = await applyUrlSettings();
  const genres = state.defaults.genres.map((g) => g.name);
  const genre = params.get('genre') ?? 'Action';
  if (genres.includes(genre)) $('genre').value = genre; else notes.push(`genre=${genre}: not a MovieLens genre; one of ${genres.join(', ')} is allowed.`);
  const backend = params.get('backend') ?? 'auto';
  if (!['auto', 'webgpu', 'cpu'].includes(backend)) notes.push(`backend=${backend}: one of auto, webgpu, cpu is allowed; auto is used.`);
  const request = { backend: ['webgpu', 'cpu'].includes(backend) ? backend : 'auto' };
  let info = await call('init', request);
  if (info.needData) info = await askForData(request);
  $('data-origin').textContent = info.dataOrigin === 'kept' ? 'MovieLens: your copy, kept in this browser' : '';
  $('forget-data').hidden = info.dataOrigin !== 'kept';
  state.backend = info.backend;
  $('backend').textContent = info.backend;
  $('parity').textContent = info.parity ? `GPU/CPU parity: max |Δ| ${info.parity.maxDifference.toExponential(1)} ${info.parity.ok ? '✓' : '✗ (using the CPU)'}` : '';
  $('load').textContent = `Loaded in ${info.timings.loadSeconds.toFixed(1)} s, model ready in ${info.timings.initSeconds.toFixed(1)} s`;
  state.catalog = info.catalog;
  state.users = info.users;
  state.checkpoint = info.checkpoint;
  state.userIndex = new Map(info.users.map((u) => [u.key, u]));
  $('user-list').replaceChildren(...info.users.map((u) => Object.assign(document.createElement('option'), { value: u.key })));
  $('title-list').replaceChildren(...info.catalog.map((i) => Object.assign(document.createElement('option'), { value: i.title })));
  const titleIndex = new Map(info.catalog.map((i) => [i.title, i.id]));
  document.body.dataset.ready = 'true';

  const addTitle = () => {
    const id = titleIndex.get($('title-search').value);
    if (id === undefined) return showError('No such title: pick one from the suggestions.');
    state.history.push(id); $('title-search').value = ''; renderHistory(); saveUrl(); return recommend();
  };
  $('user-id').addEventListener('change', () => selectUser($('user-id').value.trim()));
  const methods = state.defaults.deletionMethods;
  $('me-method').replaceChildren(...methods.map((m) => Object.assign(document.createElement('option'), { value: m.value, textContent: m.name })));
  const methodNote = () => { $('me-method-note').textContent = methods.find((m) => m.value === $('me-method').value)?.description ?? ''; };
  $('me-method').addEventListener('change', methodNote);
  methodNote();
  $('forget-me').addEventListener('click', forgetMe);
  $('me-summary').tabIndex = -1;
  $('random-user').addEventListener('click', () => selectUser(state.users[Math.floor(Math.random() * state.users.length)].key));
  $('own-history').addEventListener('click', () => { state.user = null; state.history = []; $('add-row').hidden = false; renderHistory(); renderMePanel(); saveUrl(); recommend(); });
  $('add-title').addEventListener('click', addTitle);
  $('title-search').addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); addTitle(); } });
  $('forget').addEventListener('click', () => forget($('genre').value, changedSettings()));
  $('reset').addEventListener('click', reset);
  $('evaluate').addEventListener('click', evaluate);
  $('export').addEventListener('click', exportJson);
  $('forget-data').addEventListener('click', async () => { await call('forgetData'); location.reload(); });
  $('genre').addEventListener('change', () => { saveUrl(); renderRecs(); });
  for (const k of paramKeys()) $(k).addEventListener('change', saveUrl);

  // The link's user or history and its forgets, as one piece of work: the page is busy until
  // everything the link asks for is shown.
  busyDepth++;
  try { await openLink(notes, genre, genres); } finally { busyDepth--; setBusy(null); }
}

async function openLink(notes, genre, genres) {
  const user = params.get('user');
  if (params.has('history')) {
    const parts = params.get('history').split('.');
    const valid = parts.filter((s) => /^\d+$/.test(s) && Number(s) < state.catalog.length);
    if (valid.length < parts.length) {
      notes.push(`history: ${parts.filter((s) => !valid.includes(s)).join(', ')} ${parts.length - valid.length === 1 ? 'is not an item id' : 'are not item ids'} (0–${state.catalog.length - 1}); the other ${valid.length} are kept.`);
    }
    state.history = valid.map(Number);
    $('add-row').hidden = false; renderHistory(); saveUrl(); await recommend();
  } else {
    if (user && !state.userIndex.has(user)) notes.push(`user=${user}: not in the page's sample of ${state.users.length} users; the first user is shown.`);
    await selectUser(user && state.userIndex.has(user) ? user : state.users[0].key);
  }
  // The link's forgets, in order, each with its own settings.
  for (const entry of params.getAll('forget')) {
    const [g, ...pairs] = entry.split(';');
    const settings = pairs.map((kv) => [kv.slice(0, kv.indexOf('=') >>> 0), kv.slice(kv.indexOf('=') + 1)]);
    if (!genres.includes(g)) { notes.push(`forget=${entry}: ${g} is not a MovieLens genre; skipped.`); continue; }
    const { errors } = await call('parseSettings', { values: settings });
    if (errors.length) { notes.push(`forget=${entry}: ${errors.map((e) => `${e.key}=${e.value}: ${e.message}`).join('; ')}; skipped.`); continue; }
    await forget(g, settings);
  }
  saveUrl();
  if (notes.length) showError('Some of the link\'s parameters were refused:\n' + notes.join('\n'));
}

// For the end-to-end tests: read-only access to what the page shows.
window.recforget = { state };

main().catch(showError);
