// The page's pure text functions (no DOM, no state): unit-tested with `node --test tests/js`.

// A value shown in a message, shortened to `n` characters.
export const clip = (value, n = 48) => (String(value).length > n ? String(value).slice(0, n - 1) + '…' : String(value));

// Case, accents and punctuation do not matter, the year is optional, and words may come in any
// order (typing "matrix the" finds a title stored as "Matrix, The" with its year).
export const fold = (text) => text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

// The items whose folded title (`folded[item.id]`) has a word starting with each typed word.
// Titles that start with what is typed come first, then the shorter ("godfather" finds the 1972
// film before Part II).
export function matchTitles(catalog, folded, query, limit = 12) {
  const words = fold(query).split(' ').filter(Boolean);
  if (!words.length) return [];
  const start = fold(query);
  return catalog
    .filter((item) => { const t = folded[item.id].split(' '); return words.every((w) => t.some((x) => x.startsWith(w))); })
    .map((item) => [folded[item.id].startsWith(start) ? 0 : 1, folded[item.id].length, item])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .slice(0, limit)
    .map(([, , item]) => item);
}

// A typed user: a bare MovieLens number is that user's key.
export const userKey = (typed) => (/^\d+$/.test(typed) ? `1m_${typed}` : typed);

// How long a checkpoint trained: the last epoch reached, and the one kept when they differ.
export const epochsOf = (r) => (r.trainedThrough > r.epochs ? `trained ${r.trainedThrough} epochs, the best kept (epoch ${r.epochs})` : `${r.epochs} epochs`);

// Whose history a request deletes, in words.
export const scopeLabel = (scope) => (scope === 'all' ? 'all their history' : `their ${scope} history`);

// A verdict sentence split where its reasons begin (after the first "; " or ": "), so that the
// verdict can stand out above them; the two parts read back as the sentence.
export function verdictParts(sentence) {
  const at = [sentence.indexOf('; '), sentence.indexOf(': ')].filter((i) => i >= 0);
  if (!at.length) return [sentence, ''];
  const i = Math.min(...at) + 1;
  return [sentence.slice(0, i), sentence.slice(i)];
}
