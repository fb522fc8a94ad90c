// The page: DOM and URL state only. The worker (worker.js) owns the model; the library (through
// the worker) owns every default, range, genre and claimed figure shown here.
import { clip, epochsOf, fold, matchTitles, scopeLabel, userKey, verdictParts } from './text.js';

const $ = (id) => document.getElementById(id);
const pending = new Map();
let nextId = 1;
let worker = startWorker();

const state = {
  defaults: null, backend: '', threadsParam: null, catalog: [], users: [], userIndex: new Map(), history: [], user: null,
  // Every forget since the last reset, in order: {genre, settings, config, reports, seconds}.
  forgets: [],
  before: null, deletedOnly: null, after: null, retrained: null, checkpoint: null, evaluation: null,
  deletedIds: new Set(), // the history's items the forgets deleted, as the library says
};
const forgotten = () => state.forgets.map((f) => f.genre);
const slug = (genre) => state.defaults.genres.find((g) => g.name === genre).slug;
const progress = {};

function call(type, payload = {}) {
  const id = nextId++;
  worker.postMessage({ id, type, ...payload });
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

function startWorker() {
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  w.onmessage = answer;
  return w;
}

// Cancel: the worker is stopped where it is, and a new one is brought back to the model as it
// was before the request (every forget since the last reset, replayed: each is seeded, so the
// model is the same to the last bit).
const CANCELLED = 'cancelled';
let restoring = false;
async function cancel() {
  worker.terminate();
  for (const p of pending.values()) p.reject(Object.assign(new Error('cancelled'), { reason: CANCELLED }));
  pending.clear();
  worker = startWorker();
  restoring = true;
  const earlier = state.forgets.length ? ` (${state.forgets.length} earlier forget${state.forgets.length > 1 ? 's' : ''})` : '';
  await busy(`cancelled; bringing the model back as it was${earlier}`, async () => {
    await call('init', { backend: state.backendParam, threads: state.threadsParam });
    for (const f of state.forgets) await call('forget', { genre: f.genre, config: f.config });
    await recommend();
  }).finally(() => { restoring = false; });
  $('stages').textContent = ''; $('loss-note').hidden = true; $('forget-progress').hidden = true;
  notify(`Cancelled: the model is as it was before the request${earlier}.`);
}

// A message that stays in view for a while wherever the page is scrolled (in the status box).
function notify(text) {
  $('notice').textContent = text;
  document.body.dataset.notice = 'true';
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => { delete document.body.dataset.notice; }, 8000);
}

function answer({ data }) {
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
}

function showError(error) {
  if (error?.reason === CANCELLED) return;
  $('error').hidden = false;
  $('error').textContent = String(error?.message ?? error);
}
// A value as a message quotes it: long ones cut with an ellipsis.
function clearError() { $('error').hidden = true; $('error').textContent = ''; }

// ---- one request at a time ---------------------------------------------------------------
// While the worker works, every control that would change what it works on is disabled, and the
// page says what it is doing (also to screen readers).
// `data-done` counts finished actions: a test waits for the count to pass what it read before
// its click, which no action is too short to miss.
let busyDepth = 0;
let actionsDone = 0;
let focusBefore = null;
function busy(label, work) { return oneAction(() => { setBusy(label); return work(); }); }
// One piece of work, however many steps (a typed user first, then the action): the page is
// done, and `data-done` moves, once all of it is.
async function oneAction(work) {
  if (busyDepth++ === 0) focusBefore = document.activeElement;
  try { return await work(); } finally { if (--busyDepth === 0) finish(); }
}
// Disabled while the page worked, the control a keyboard user pressed lost focus: it gets it
// back, unless the action moved focus somewhere on purpose (a heading, a summary).
function finish() {
  setBusy(null);
  const lost = !document.activeElement || document.activeElement === document.body;
  if (lost && focusBefore?.isConnected && !focusBefore.disabled) focusBefore.focus();
  focusBefore = null;
  document.body.dataset.done = String(++actionsDone);
}
function setBusy(label) {
  document.body.dataset.busy = label ? 'true' : 'false';
  $('cancel').hidden = !label || !document.body.dataset.ready || restoring;
  if (label) { $('notice').textContent = ''; delete document.body.dataset.notice; }
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
  $('eval-users').max = state.defaults.evalUsers.most;
  $('eval-users').value = state.defaults.evalUsers.default;
  $('paper-citation').textContent = state.defaults.paper;
  buildGlossary();
  $('method').addEventListener('change', methodNote);
}

// The settings that differ from the defaults, as [key, value] pairs (what the URL carries).
const changedSettings = () => paramKeys().filter((k) => $(k).value !== $(k).dataset.default).map((k) => [k, $(k).value]);

// The forget configuration of named settings, or an error naming each refused setting.
async function configOf(settings) {
  const { config, errors } = await call('parseSettings', { values: settings });
  if (errors.length) throw new Error(errors.map((e) => `${e.key}=${clip(e.value)}: ${e.message}`).join('\n'));
  return config;
}

// ---- URL state: read once, validated; written back from what is shown ----------------------
const params = new URLSearchParams(location.search);
// The link's parameters the page reads beside the settings table's; `forget` may repeat.
const LINK_KEYS = ['backend', 'threads', 'user', 'history', 'genre', 'forget', 'eval-users'];
function saveUrl() {
  const q = new URLSearchParams();
  // Only an accepted backend other than the default is written back.
  if (state.backendParam && state.backendParam !== state.defaults.backends[0]) q.set('backend', state.backendParam);
  if (state.threadsParam) q.set('threads', String(state.threadsParam));
  if (state.user) q.set('user', state.user); else if (state.history.length) q.set('history', state.history.join('.'));
  q.set('genre', $('genre').value);
  // Each forget with its own settings, in order: `forget=Action;method=rows,distill;distill-steps=6`.
  for (const f of state.forgets) q.append('forget', [f.genre, ...Object.entries(f.settings).map(([k, v]) => `${k}=${v}`)].join(';'));
  for (const [k, v] of changedSettings()) q.set(k, v);
  if ($('eval-users').value !== String(state.defaults.evalUsers.default)) q.set('eval-users', $('eval-users').value);
  history.replaceState(null, '', '?' + q.toString());
}

// Applies the URL's settings to the controls; returns a message for each refused parameter.
async function applyUrlSettings() {
  const given = paramKeys().filter((k) => params.has(k)).map((k) => [k, params.get(k)]);
  const { errors } = await call('parseSettings', { values: given });
  const refused = new Set(errors.map((e) => e.key));
  for (const [k, v] of given) if (!refused.has(k)) $(k).value = v;
  return errors.map((e) => `${e.key}=${clip(e.value)}: ${e.message}; the default is used.`);
}

// Names the link's parameters the page does not know, and those given more than once.
function unknownOrRepeated() {
  const known = new Set([...LINK_KEYS, ...paramKeys()]);
  const keys = [...params.keys()];
  const notes = [...new Set(keys)].filter((k) => !known.has(k)).map((k) => `${clip(k)}: not a parameter of this page; ignored (it knows ${[...known].join(', ')}).`);
  for (const k of new Set(keys)) {
    const n = keys.filter((x) => x === k).length;
    if (known.has(k) && k !== 'forget' && n > 1) notes.push(`${k}: given ${n} times; the first (${clip(params.get(k))}) is used.`);
  }
  return notes;
}

// A typed but uncommitted user or title is committed, or refused, before an action runs: the
// action never runs for the previous user while the field shows another. Returns whether to go on.
async function commitInputs({ needHistory }) {
  const typed = userKey($('user-id').value.trim());
  if (typed && typed !== state.user) {
    if (!state.userIndex.has(typed)) { showError(`${unknownUser(typed)} Nothing was run.`); $('user-id').value = state.user ?? ''; return false; }
    await selectUser(typed);
  }
  const title = $('title-search').value;
  if (title && !$('add-row').hidden) {
    const id = typedItem();
    if (id === undefined) { showError(`No title matches ${clip(title)}: pick one from the suggestions. Nothing was run.`); return false; }
    if (!state.history.includes(id)) await addItem(id); else $('title-search').value = '';
  }
  if (needHistory && !state.history.length) { showError('The history is empty: pick a user or add a film first. Nothing was run.'); return false; }
  return true;
}

// ---- rendering ----------------------------------------------------------------------------
// What a marked line says in words as well as in colour (for screen readers and in print).
const TAGS = { entered: 'new', left: 'left', deleted: 'deleted' };

function itemLine(item, cls = '') {
  const li = document.createElement('li');
  if (cls) {
    li.className = cls;
    li.append(Object.assign(document.createElement('span'), { className: 'tag', textContent: TAGS[cls] }), ' ');
  }
  li.append(item.title + ' ');
  const g = document.createElement('span');
  g.className = 'genres';
  g.textContent = item.genres.join(', ');
  li.append(g);
  if (item.score != null) {
    const s = document.createElement('span');
    s.className = 'score';
    s.append(Object.assign(document.createElement('span'), { className: 'sr-only', textContent: 'score' }), ` ${item.score.toFixed(2)}`);
    li.append(' ', s);
  }
  return li;
}

// A forgotten genre's interactions count as deleted: the history shows them struck through, as
// the library left them out of the history it kept (recommend() asks it).
const deleted = (id) => state.deletedIds.has(id);

// The history; one built here can be edited: each film can move up or down or be removed.
function renderHistory() {
  const ol = $('history');
  const shown = state.history.slice(-50), offset = state.history.length - shown.length, own = !state.user;
  ol.replaceChildren(...shown.map((id, i) => {
    const li = itemLine(state.catalog[id], deleted(id) ? 'deleted' : '');
    if (own) li.append(' ', ...historyButtons(offset + i, state.catalog[id].title));
    return li;
  }));
  // Numbered as it stands in the whole history: the next film is number offset + 1.
  if (offset > 0) ol.prepend(Object.assign(document.createElement('li'), { className: 'more', value: offset, textContent: `… ${offset} earlier movies` }));
}

function historyButtons(at, title) {
  const button = (text, label, change) => {
    const b = Object.assign(document.createElement('button'), { textContent: text, className: 'edit' });
    b.setAttribute('aria-label', `${label} ${title}`);
    b.addEventListener('click', () => { change(); renderHistory(); saveUrl(); $('title-search').focus(); recommend(); });
    return b;
  };
  const move = (to) => () => { const [id] = state.history.splice(at, 1); state.history.splice(to, 0, id); };
  return [
    ...(at > 0 ? [button('↑', 'Move up', move(at - 1))] : []),
    ...(at < state.history.length - 1 ? [button('↓', 'Move down', move(at + 1))] : []),
    button('✕', 'Remove', () => state.history.splice(at, 1)),
  ];
}

function renderMix(el, share, focus) {
  const head = Object.assign(document.createElement('h4'), { textContent: 'Genres of the top 10' });
  el.replaceChildren(head, ...share.filter(([, v]) => v > 0).map(([g, v]) => {
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
  if (state.retrained?.error) $('retrained-column').hidden = false; // it says why it is empty
  renderReference($('retrained-note'), state.retrained?.reference, state.forgets[0]?.genre, state.retrained?.error);
  // Forgets compose: a second one works on the model the first left.
  $('stack-note').hidden = !state.forgets.length;
  $('stack-note').textContent = state.forgets.length
    ? `The model has already forgotten ${methods}: Forget now works on top of that (the claims are judged on one forget). To compare methods from the original model, press Reset first.`
    : '';
  $('announce').textContent = announcement();
}

// What changed, in words, for the live region: the new top 3, and what entered and left.
function announcement() {
  if (!state.before) return '';
  const titles = (items) => items.map((i) => i.title).join('; ');
  const who = state.user ?? 'your history';
  const first = `Recommendations for ${who}: ${titles(state.before.items.slice(0, 3))}, and ${state.before.items.length - 3} more.`;
  if (!state.after) return first;
  const beforeIds = new Set(state.before.items.map((i) => i.id)), afterIds = new Set(state.after.items.map((i) => i.id));
  const entered = state.after.items.filter((i) => !beforeIds.has(i.id)), left = state.before.items.filter((i) => !afterIds.has(i.id));
  return `${first} After forgetting ${forgotten().join(', ')}: ${entered.length} new (${titles(entered) || 'none'}); ${left.length} left (${titles(left) || 'none'}).`;
}


// How long a retrained model trained, and which epoch was kept.

// The retrained model in one sentence; its training record one click away.
function renderReference(el, r, genre, error) {
  if (error) return el.replaceChildren(`No retrained column: ${error}`);
  if (!r) return el.replaceChildren();
  const record = document.createElement('details');
  record.append(Object.assign(document.createElement('summary'), { textContent: 'Its training record' }), r.summary);
  el.replaceChildren(`Trained from scratch without ${genre}, on the original's schedule (${r.checkpoint}: ${epochsOf(r)}). `, record);
}

// ---- words: the glossary, and a "?" beside each term that links to its entry ---------------
function buildGlossary() {
  $('glossary').replaceChildren(...state.defaults.glossary.flatMap((t) => [
    Object.assign(document.createElement('dt'), { id: `g-${t.slug}`, textContent: t.term }),
    Object.assign(document.createElement('dd'), { textContent: t.meaning }),
  ]));
}

// `el` followed by a link to the glossary's entry `slug`.
function withTerm(el, slug) {
  const entry = state.defaults.glossary.find((t) => t.slug === slug);
  if (!entry) return el;
  const a = Object.assign(document.createElement('a'), { href: `#g-${slug}`, className: 'term', textContent: '?', title: entry.meaning });
  a.setAttribute('aria-label', `What is ${entry.term}?`);
  el.append(' ', a);
  return el;
}

const glossaryBack = Object.assign(document.createElement('button'), { type: 'button', id: 'glossary-back', className: 'glossary-back', textContent: '↩ Back to where you were', hidden: true });
// Any term link (built here or written in index.html): its entry gets a way back to the link
// that led there (the next Tab reaches it).
// The jump moves focus to the entry and leaves the page's URL as it was (no `#g-…`).
document.addEventListener('click', (event) => {
  const a = event.target.closest?.('a.term');
  const entry = a && document.querySelector(a.getAttribute('href'));
  if (!entry) return;
  event.preventDefault();
  state.glossaryFrom = a;
  entry.nextElementSibling?.append(glossaryBack);
  glossaryBack.hidden = false;
  entry.tabIndex = -1;
  entry.scrollIntoView({ block: 'center' });
  entry.focus();
});
glossaryBack.addEventListener('click', () => {
  const from = state.glossaryFrom;
  glossaryBack.hidden = true;
  from?.scrollIntoView({ block: 'center' });
  from?.focus();
});

// What the chosen genre methods do, in the glossary's words.
const methodMeaning = (name) => state.defaults.glossary.find((t) => t.slug === `method-${name}`)?.meaning ?? '';
function methodNote() {
  const names = $('method').value.split(',');
  $('method-note').textContent = names.map(methodMeaning).join(' Then: ');
}

// Every column belongs to the current history and the current forgets: they are computed
// together, and an empty history clears them all.
async function recommend() {
  clearError();
  state.before = state.after = state.deletedOnly = state.retrained = null;
  if (!state.history.length) {
    renderRecs();
    if (state.user === null && !$('add-row').hidden) { // a history being built: nothing to show yet
      notify('Your history is empty: add a film with the search box to see recommendations.');
      return;
    }
    showError('The history is empty: pick a user or add at least one movie.');
    return;
  }
  await busy('recommending', async () => {
    try {
      const before = await call('recommend', { history: state.history, edited: false });
      const after = state.forgets.length ? await call('recommend', { history: state.history, edited: true }) : null;
      // The original model given the history without the forgotten genres: deletion alone.
      const kept = state.forgets.length ? await call('keptHistory', { history: state.history }) : state.history;
      const keptIds = new Set(kept);
      state.deletedIds = new Set(state.history.filter((id) => !keptIds.has(id)));
      renderHistory();
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

// A stage's progress, with an estimate of the time left from the steps measured so far.
const stageStart = {};
function showStage(p) {
  const bar = $('forget-progress');
  const [done, total] = p.stage === 'training' ? [p.step, p.steps] : p.stage === 'attribution' ? [p.sequencesDone, p.sequences] : [0, 0];
  if (total) { bar.hidden = false; bar.max = total; bar.value = done; }
  if (!stageStart[p.stage] || done <= 1) stageStart[p.stage] = { t: performance.now(), done };
  const start = stageStart[p.stage];
  const rate = (performance.now() - start.t) / 1000 / Math.max(1, done - start.done);
  const left = done > start.done && total > done ? `, about ${Math.ceil(rate * (total - done))} s left` : '';
  const lines = $('stages').textContent.split('\n').filter((l) => l && !l.startsWith(p.stage));
  const text = p.stage === 'attribution'
    ? `attribution: ${p.sequencesDone}/${p.sequences} sequences${left}`
    : p.stage === 'training'
      ? `training: step ${p.step}/${p.steps}, loss ${p.loss.toFixed(3)}${left}`
      : `${p.stage}…`;
  $('stages').textContent = [...lines, text].join('\n');
  $('loss-note').hidden = p.stage !== 'training';
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
      $('neurons').textContent = reports.map((r) => r.summary).join('\n');
      $('neurons-why').textContent = reports.some((r) => r.method === 'neurons') ? `Why: ${methodMeaning('neurons')}` : '';
      const paper = reports.find((r) => r.method === 'neurons');
      if (paper) drawHeatmap(genre, paper); else { $('heatmap').hidden = true; $('heatmap-legend').hidden = true; $('heatmap-summary').textContent = ''; }
      state.evaluation = null;
      $('claims').replaceChildren(); $('verdicts')?.remove();
      saveUrl();
      await recommend();
      $('after-heading').focus();
    } catch (e) { showError(e); }
    $('forget-progress').hidden = true;
  });
}

async function reset() {
  clearError();
  await busy('resetting', async () => {
    await call('reset');
    state.forgets = []; state.evaluation = null; state.deletedIds = new Set();
    renderHistory();
    $('stages').textContent = ''; $('neurons').textContent = ''; $('neurons-why').textContent = ''; $('heatmap').hidden = true; $('heatmap-legend').hidden = true;
    $('heatmap-summary').textContent = ''; $('claims').replaceChildren(); $('verdicts')?.remove();
    saveUrl();
    await recommend();
  });
}

// ---- the claims, each judged by the library on the paper's condition ------------------------
function table(caption, rows) {
  const head = (text, scope) => Object.assign(document.createElement('th'), { textContent: text, scope });
  $('claims').replaceChildren(Object.assign(document.createElement('caption'), { textContent: caption }), ...rows.map((row, i) => {
    const tr = document.createElement('tr');
    tr.append(...row.map((c, j) => (i === 0 ? head(c, 'col') : j === 0 ? head(c, 'row') : Object.assign(document.createElement('td'), { textContent: c }))));
    return tr;
  }));
}

// The claims as the library judged and formatted them.
function claimsTable(judgements) {
  const t = document.createElement('table');
  t.id = 'verdicts';
  const head = (text) => Object.assign(document.createElement('th'), { textContent: text, scope: 'col' });
  const header = document.createElement('tr');
  header.append(...['the paper\'s claim', 'paper', 'ours', 'retain users', 'deletion only', 'retrained', 'verdict'].map(head));
  for (const [i, term] of [[3, 'retain-users'], [4, 'deletion-only'], [5, 'retrained']]) withTerm(header.cells[i], term);
  t.append(Object.assign(document.createElement('caption'), { textContent: 'The paper\'s claims, each on its own condition' }), header,
    ...judgements.map((j) => {
      const tr = document.createElement('tr');
      tr.className = 'claim';
      const claim = Object.assign(document.createElement('th'), { scope: 'row', textContent: j.claim.statement });
      if (j.condition) claim.append(Object.assign(document.createElement('span'), { className: 'condition', textContent: ` (${j.condition})` }));
      const { paper, ours, retain, deletionOnly, retrained } = j.shown;
      const [verdict, reasons] = verdictParts(j.sentence);
      const judged = document.createElement('td');
      judged.append(Object.assign(document.createElement('strong'), { textContent: verdict }), Object.assign(document.createElement('span'), { className: 'reasons', textContent: reasons }));
      tr.append(claim, ...[paper, ours, retain, deletionOnly, retrained].map((c) => Object.assign(document.createElement('td'), { textContent: c })), judged);
      return tr;
    }));
  return t;
}

// The measured table, as the library formats it: each model (as served and, where an output
// filter hides the genre, from its weights too) on each measure. Returns the condition.
function measuredTable(r) {
  const { condition, columns, rows } = r.table;
  const measured = `${condition}, ${state.backend}`;
  table(`Measured here: ${measured}`, [['', ...columns], ...rows.map((row) => [row.measure, ...row.cells])]);
  rows.forEach((row, i) => withTerm($('claims').rows[i + 1].cells[0], row.term));
  return measured;
}

// Under the claims: the forget's time, the retrained yardstick, and the settings that differ
// from the methods' defaults (as the library lists them).
function claimsNote(r, genre) {
  if (r.notJudged) return r.notJudged;
  if (!r.forget) return `Nothing forgotten yet: forget ${genre} to check the paper's claims.`;
  const changed = r.forget.changedSettings ?? [];
  return `Forget time ${r.forget.seconds < 1 ? r.forget.seconds.toPrecision(2) : r.forget.seconds.toFixed(1)} s here. ` +
    (r.reference ? `Retrained: ${r.reference.checkpoint}, ${epochsOf(r.reference)}, ${r.reference.cpuTrainSeconds == null ? 'no CPU-equivalent training time (none of its epochs ran on a CPU)' : `CPU-equivalent ${r.reference.cpuTrainSeconds.toFixed(0)} s of training`}. ` : `No model retrained without ${genre} is shipped. `) +
    (changed.length ? `Settings changed from the defaults: ${changed.join(', ')} — the verdicts are for these settings, not the defaults.` : 'Default settings.');
}

async function evaluate() {
  clearError();
  const genre = forgotten().at(-1) ?? $('genre').value;
  const users = Number($('eval-users').value);
  // How long it will take, from the seconds per user (and per model) the last measurement took.
  const modelCount = 3 + (state.forgets.length ? 2 : 0);
  const estimate = state.evalRate ? `, about ${Math.ceil(state.evalRate * users * modelCount)} s` : '';
  await busy(`measuring ${genre}${estimate}`, async () => {
    try {
      const started = performance.now();
      const r = await call('evaluate', { genre, slug: slug(genre), users });
      state.evalRate = (performance.now() - started) / 1000 / users / modelCount;
      const condition = measuredTable(r);
      $('verdicts')?.remove();
      if (r.judgements.length) $('claims').after(claimsTable(r.judgements));
      $('claims-note').textContent = claimsNote(r, genre);
      $('announce').textContent = `Measured on ${r.users} users${r.judgements.length ? `: ${r.judgements.length} claims judged, in the table below the measurements` : ''}. ${$('claims-note').textContent}`;
      state.evaluation = { genre, users: r.users, condition, measurement: r.measurement, reference: r.reference, claimInputs: r.claimInputs, judgements: r.judgements };
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

// ---- your own history: a search-as-you-type picker over the titles ------------------------
const matches = (query, limit = 12) => matchTitles(state.catalog, state.foldedTitles, query, limit);

// The picker's suggestions for what is typed; the highlighted one is added on Enter.
function suggest() {
  const list = $('title-options');
  state.suggestions = matches($('title-search').value);
  state.highlighted = state.suggestions.length ? 0 : -1;
  list.replaceChildren(...state.suggestions.map((item, i) => {
    const li = Object.assign(document.createElement('li'), { id: `title-option-${i}`, textContent: item.title });
    li.setAttribute('role', 'option');
    li.addEventListener('mousedown', (e) => { e.preventDefault(); addItem(item.id); });
    return li;
  }));
  const typed = $('title-search').value.trim();
  if (!state.suggestions.length && typed) {
    const none = Object.assign(document.createElement('li'), { textContent: `No film in MovieLens-1M matches “${clip(typed)}”.`, className: 'none' });
    none.setAttribute('role', 'option');
    none.setAttribute('aria-disabled', 'true');
    list.append(none);
  }
  list.hidden = !typed;
  $('title-search').setAttribute('aria-expanded', String(!list.hidden));
  highlight(state.highlighted);
}

function highlight(i) {
  state.highlighted = i;
  [...$('title-options').children].forEach((li, j) => li.setAttribute('aria-selected', String(j === i)));
  if (i >= 0) $('title-search').setAttribute('aria-activedescendant', `title-option-${i}`); else $('title-search').removeAttribute('aria-activedescendant');
  $(`title-option-${i}`)?.scrollIntoView({ block: 'nearest' });
}

function closeSuggestions() {
  $('title-options').hidden = true;
  $('title-search').setAttribute('aria-expanded', 'false');
}

// The film the search field names: its exact title, else the one suggestion (or the highlighted).
function typedItem() {
  const typed = $('title-search').value;
  const exact = state.catalog.find((i) => state.foldedTitles[i.id] === fold(typed));
  if (exact) return exact.id;
  const found = matches(typed, 2);
  if (found.length === 1) return found[0].id;
  return state.suggestions?.[state.highlighted]?.id;
}

function addItem(id) {
  closeSuggestions();
  $('title-search').focus();
  if (!$('title-search').value.trim() && id === undefined) return showError('Type part of a title first, then pick one of the suggestions.');
  if (id === undefined) return showError(`No title matches ${clip($('title-search').value)}: pick one from the suggestions. Nothing was added.`);
  if (state.history.includes(id)) return showError(`${state.catalog[id].title} is already in the history. Nothing was added.`);
  clearError();
  state.history.push(id); $('title-search').value = ''; renderHistory(); saveUrl(); return recommend();
}

const addTitle = () => addItem(typedItem());

function pickerKeys(e) {
  const n = state.suggestions?.length ?? 0;
  if (e.key === 'ArrowDown' && n) { e.preventDefault(); highlight((state.highlighted + 1) % n); }
  else if (e.key === 'ArrowUp' && n) { e.preventDefault(); highlight((state.highlighted - 1 + n) % n); }
  else if (e.key === 'Escape') closeSuggestions();
  else if (e.key === 'Enter') { e.preventDefault(); addTitle(); }
}

// A user key, as typed: `15` is read as `1m_15`, the key MovieLens-1M's users have here.
const unknownUser = (key) => `No user ${clip(key)} in the page's sample of ${state.users.length} (keys look like ${state.users[0].key}; pick one from the list or click Random user).`;

function selectUser(typed) {
  if (!typed) {
    $('user-id').value = state.user ?? '';
    return showError(`Type a user's number (keys look like ${state.users[0].key}) or click Random user.${state.user ? ` The page keeps ${state.user}.` : ''}`);
  }
  const key = userKey(typed);
  const user = state.userIndex.get(key);
  if (!user) { $('user-id').value = state.user ?? ''; return showError(unknownUser(key)); }
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

// What the deletion set D holds for the current user, and the scopes they can ask for.
function renderMePanel() {
  // An audit of someone else is not this user's: it goes.
  if (state.forgetMe && state.forgetMe.user !== state.user) {
    state.forgetMe = null;
    $('me-summary').textContent = ''; $('me-audit').hidden = true; $('me-recs').hidden = true; renderReference($('me-reference'), null);
  }
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

// The audit as the library formats it: a column per model, a row per measure.
function auditTable(audit) {
  const th = (text, scope) => Object.assign(document.createElement('th'), { textContent: text, scope });
  const header = document.createElement('tr');
  header.append(th('', 'col'), ...audit.table.headers.map((h) => th(h, 'col')));
  const body = audit.table.rows.map((row) => {
    const tr = document.createElement('tr');
    tr.append(withTerm(th(row.measure, 'row'), row.term), ...row.cells.map((c) => Object.assign(document.createElement('td'), { textContent: c })));
    return tr;
  });
  $('me-audit').replaceChildren(Object.assign(document.createElement('caption'), { textContent: audit.caption }), header, ...body);
  $('me-audit').hidden = false;
}

async function forgetMe() {
  clearError();
  const scope = $('me-scope').value;
  await busy('forgetting you', async () => {
    try {
      const view = await call('forgetMe', { user: state.user, scope, method: $('me-method').value });
      state.forgetMe = { ...view, user: state.user };
      $('me-summary').textContent = view.audit ? view.audit.summary : view.note;
      if (view.audit) auditTable(view.audit); else $('me-audit').hidden = true;
      renderReference($('me-reference'), view.audit?.exactReference ? view.reference : null, "the deletion set D's interactions");
      $('me-recs').hidden = !view.before;
      $('me-before').replaceChildren(...(view.before?.items ?? []).map((i) => itemLine(i)));
      $('me-after').replaceChildren(...(view.after?.items ?? []).map((i) => itemLine(i)));
      $('me-after-note').textContent = view.note ?? '';
      $('me-summary').focus();
    } catch (e) { showError(e); }
  });
}

// ---- the guided tour: the library's steps, run with the page's own controls -----------------
const tour = { step: -1 };

function showTourStep() {
  const steps = state.defaults.tour, step = steps[tour.step];
  $('tour-panel').hidden = tour.step < 0;
  document.body.classList.toggle('touring', tour.step >= 0);  // room below the page for the tour's box
  if (tour.step < 0) return;
  $('tour-count').textContent = step ? `Step ${tour.step + 1} of ${steps.length}` : 'The end of the tour';
  $('tour-title').textContent = step?.title ?? 'Now it is yours';
  $('tour-sentence').textContent = step?.sentence ?? 'Pick another person, genre or method; “Words used here” at the bottom explains every term.';
  $('tour-do').hidden = !step;
  $('tour-do').textContent = step?.button ?? '';
  $('tour-skip').textContent = step ? 'Skip the tour' : 'Close';
  $('tour-title').focus();
}

// Runs the current step's action, shows where to look, and moves to the next step.
async function runTourStep() {
  const { action } = state.defaults.tour[tour.step];
  let look = 'recs-panel';
  if (action.type === 'recommend') {
    // Someone in the deletion set D, so that the last step has an exact reference to audit against.
    if (!state.userIndex.get(state.user)?.inDeletionSet) await selectUser(state.users.find((u) => u.inDeletionSet)?.key ?? state.users[0].key);
  } else if (action.type === 'forget') {
    if (state.forgets.length) await reset();
    $('genre').value = action.genre; $('method').value = action.method; methodNote();
    await forget(action.genre, changedSettings());
  } else if (action.type === 'evaluate') {
    await evaluate(); look = 'claims-panel';
  } else if (action.type === 'compare') {
    look = 'retrained-column';
  } else if (action.type === 'forgetMe') {
    await forgetMe(); look = 'forget-me-panel';
  }
  $(look).scrollIntoView({ block: 'start' });
  tour.step += 1;
  showTourStep();
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
// The link's genre, evaluation size and backend, each checked; a note for each refused value.
function readLinkChoices(notes) {
  const genres = state.defaults.genres.map((g) => g.name);
  const genre = params.get('genre') ?? 'Action';
  if (genres.includes(genre)) $('genre').value = genre; else notes.push(`genre=${clip(genre)}: not a MovieLens genre; one of ${genres.join(', ')} is allowed; ${$('genre').value} is used.`);
  notes.push(...unknownOrRepeated());
  if (params.has('eval-users')) {
    const n = Number(params.get('eval-users')), most = state.defaults.evalUsers.most;
    if (Number.isInteger(n) && n >= 1 && n <= most) $('eval-users').value = String(n);
    else notes.push(`eval-users=${clip(params.get('eval-users'))}: a whole number from 1 to ${most} is allowed; ${$('eval-users').value} is used.`);
  }
  const backend = params.get('backend') ?? state.defaults.backends[0];
  const backends = state.defaults.backends;
  if (!backends.includes(backend)) notes.push(`backend=${clip(backend)}: one of ${backends.join(', ')} is allowed; ${backends[0]} is used.`);
  state.backendParam = backends.includes(backend) ? backend : backends[0];
  if (params.has('threads')) {
    const n = Number(params.get('threads'));
    if (Number.isInteger(n) && n >= 1) state.threadsParam = n;
    else notes.push(`threads=${clip(params.get('threads'))}: a whole number from 1 is allowed; every core is used.`);
  }
  return { genre, genres };
}

// Starts the worker's session (asking for the visitor's data where the site carries none) and
// shows what it loaded.
async function startSession() {
  const request = { backend: state.backendParam, threads: state.threadsParam };
  let info = await call('init', request);
  if (info.needData) info = await askForData(request);
  $('data-origin').textContent = info.dataOrigin === 'kept' ? 'MovieLens: your copy, kept in this browser' : '';
  $('forget-data').hidden = info.dataOrigin !== 'kept';
  state.backend = info.backend;
  state.software = info.software;
  $('backend').textContent = info.backend;
  $('parity').textContent = info.parity ? `GPU/CPU parity: max |Δ| ${info.parity.maxDifference.toExponential(1)} ${info.parity.ok ? '✓' : '✗ (using the CPU)'}` : '';
  $('load').textContent = `Loaded in ${info.timings.loadSeconds.toFixed(1)} s, model ready in ${info.timings.initSeconds.toFixed(1)} s`;
  state.catalog = info.catalog;
  state.users = info.users;
  state.checkpoint = info.checkpoint;
  state.userIndex = new Map(info.users.map((u) => [u.key, u]));
  $('user-list').replaceChildren(...info.users.map((u) => Object.assign(document.createElement('option'), { value: u.key })));
  state.foldedTitles = info.catalog.map((i) => fold(i.title));
  document.body.dataset.ready = 'true';
}

// The forget-me panel's methods, each with its description from the library.
function buildMePanel() {
  const methods = state.defaults.deletionMethods;
  $('me-method').replaceChildren(...methods.map((m) => Object.assign(document.createElement('option'), { value: m.value, textContent: m.name })));
  const meMethodNote = () => { $('me-method-note').textContent = methods.find((m) => m.value === $('me-method').value)?.description ?? ''; };
  $('me-method').addEventListener('change', meMethodNote);
  meMethodNote();
  $('me-summary').tabIndex = -1;
}

// Every control's event; an action first commits what is typed.
function wireEvents() {
  // One action at a time: a second click before the first has disabled the buttons does nothing.
  const committed = (needHistory, action) => async () => {
    if (state.acting) return;
    state.acting = true;
    try { await oneAction(async () => { if (await commitInputs({ needHistory })) await action(); }); } finally { state.acting = false; }
  };
  // A typed user is committed when the field changes (Enter, or the focus leaving it), except
  // when the focus goes to an action button, by mouse or keyboard: the action commits it itself,
  // and committing first would disable the button before its click or Enter lands. Once the focus
  // settles elsewhere (a press released off the button, Tab past it), the typed user is committed.
  const actionButtons = ['forget-me', 'forget', 'evaluate'].map($);
  let pressing = false;  // a pointer is down on an action button (some browsers do not focus it)
  const commitTypedUser = () => {
    const typed = $('user-id').value.trim();
    if (userKey(typed) !== (state.user ?? '')) selectUser(typed);
  };
  const commitUnlessAnAction = () => setTimeout(() => {
    if (!pressing && !state.acting && !actionButtons.includes(document.activeElement)) commitTypedUser();
  });
  document.addEventListener('pointerdown', (e) => { pressing = actionButtons.some((b) => b.contains(e.target)); }, true);
  document.addEventListener('pointerup', () => { if (pressing) { pressing = false; commitUnlessAnAction(); } }, true);
  $('user-id').addEventListener('change', commitUnlessAnAction);
  for (const button of actionButtons) button.addEventListener('focusout', commitUnlessAnAction);
  $('forget-me').addEventListener('click', committed(true, forgetMe));
  $('random-user').addEventListener('click', () => selectUser(state.users[Math.floor(Math.random() * state.users.length)].key));
  $('own-history').addEventListener('click', () => { state.user = null; state.history = []; $('user-id').value = ''; $('add-row').hidden = false; renderHistory(); renderMePanel(); saveUrl(); recommend(); });
  $('add-title').addEventListener('click', addTitle);
  $('title-search').addEventListener('input', suggest);
  $('title-search').addEventListener('keydown', pickerKeys);
  $('title-search').addEventListener('blur', closeSuggestions);
  $('forget').addEventListener('click', committed(true, () => forget($('genre').value, changedSettings())));
  $('reset').addEventListener('click', reset);
  $('evaluate').addEventListener('click', committed(false, evaluate));
  $('export').addEventListener('click', exportJson);
  $('tour-start').addEventListener('click', () => { tour.step = 0; showTourStep(); });
  $('tour-skip').addEventListener('click', () => { tour.step = -1; showTourStep(); $('tour-start').focus(); });
  $('tour-do').addEventListener('click', () => runTourStep().catch(showError));
  $('forget-data').addEventListener('click', async () => { await call('forgetData'); location.reload(); });
  $('cancel').addEventListener('click', cancel);
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !$('cancel').hidden) cancel(); });
  $('genre').addEventListener('change', () => { saveUrl(); renderRecs(); });
  for (const k of paramKeys()) $(k).addEventListener('change', saveUrl);
}

async function main() {
  state.defaults = await call('defaults');
  buildControls();
  setBusy('loading');
  const notes = await applyUrlSettings();
  methodNote();
  const { genre, genres } = readLinkChoices(notes);
  await startSession();
  buildMePanel();
  wireEvents();
  // The link's user or history and its forgets, as one piece of work: the page is busy until
  // everything the link asks for is shown.
  await oneAction(() => openLink(notes, genre, genres));
  keepRetrainedOffline().catch((e) => console.warn('retrained models not kept offline:', e));
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
    if (user && !state.userIndex.has(user)) notes.push(`user=${clip(user)}: not in the page's sample of ${state.users.length} users; the first user is shown.`);
    await selectUser(user && state.userIndex.has(user) ? user : state.users[0].key);
  }
  // The link's forgets, in order, each with its own settings.
  for (const entry of params.getAll('forget')) {
    const [g, ...pairs] = entry.split(';');
    const settings = pairs.map((kv) => [kv.slice(0, kv.indexOf('=') >>> 0), kv.slice(kv.indexOf('=') + 1)]);
    if (!genres.includes(g)) { notes.push(`forget=${clip(entry)}: ${clip(g)} is not a MovieLens genre; skipped.`); continue; }
    const { errors } = await call('parseSettings', { values: settings });
    if (errors.length) { notes.push(`forget=${clip(entry)}: ${errors.map((e) => `${e.key}=${clip(e.value)}: ${e.message}`).join('; ')}; skipped.`); continue; }
    await forget(g, settings);
  }
  saveUrl();
  if (notes.length) showError('Some of the link\'s parameters were refused:\n' + notes.join('\n'));
}

// For the end-to-end tests: read-only access to what the page shows.
window.recforget = { state };

// Offline after one visit: the service worker beside index.html keeps the page's files.
// Only over http(s) (a file:// page has none); a refusal leaves the page working online.
// It is told which retrained models to keep: one folder per genre of the library's list.
if ('serviceWorker' in navigator && location.protocol.startsWith('http')) {
  navigator.serviceWorker.register(new URL('../sw.js', import.meta.url), { scope: new URL('../', import.meta.url).pathname })
    .catch((e) => console.warn('offline copy unavailable:', e));
}
async function keepRetrainedOffline() {
  if (!('serviceWorker' in navigator) || !location.protocol.startsWith('http')) return;
  const registration = await navigator.serviceWorker.ready;
  registration.active?.postMessage({ type: 'precache', dirs: state.defaults.genres.map((g) => `retrain-${g.slug}`) });
}

main().catch(showError);
