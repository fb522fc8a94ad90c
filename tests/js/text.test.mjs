// Unit tests of the page's pure text functions (www/text.js), in Node without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clip, epochsOf, fold, matchTitles, scopeLabel, userKey, verdictParts } from '../../www/text.js';

test('fold ignores case, accents and punctuation', () => {
  assert.equal(fold('Amélie (Fabuleux destin d\'Amélie Poulain, Le) (2001)'), 'amelie fabuleux destin d amelie poulain le 2001');
  assert.equal(fold('  Matrix, The  '), 'matrix the');
});

test('titles are found by word prefixes in any order, those starting with the query first, then the shorter', () => {
  const catalog = [
    { id: 0, title: 'Godfather: Part II, The (1974)' },
    { id: 1, title: 'Godfather, The (1972)' },
    { id: 2, title: 'Matrix, The (1999)' },
    { id: 3, title: 'Big Lebowski, The (1998)' },
  ];
  const folded = catalog.map((i) => fold(i.title));
  assert.deepEqual(matchTitles(catalog, folded, 'godfather').map((i) => i.id), [1, 0]);
  assert.deepEqual(matchTitles(catalog, folded, 'the matr').map((i) => i.id), [2]);
  assert.deepEqual(matchTitles(catalog, folded, 'godfather', 1).map((i) => i.id), [1]);
  assert.deepEqual(matchTitles(catalog, folded, ' ,, '), []);
  assert.deepEqual(matchTitles(catalog, folded, 'xyz'), []);
});

test('a bare number is a MovieLens user key; anything else is kept', () => {
  assert.equal(userKey('46'), '1m_46');
  assert.equal(userKey('1m_46'), '1m_46');
  assert.equal(userKey('46a'), '46a');
});

test('clip shortens long values with an ellipsis', () => {
  assert.equal(clip('short'), 'short');
  assert.equal(clip('x'.repeat(60)).length, 48);
  assert.ok(clip('x'.repeat(60)).endsWith('…'));
  assert.equal(clip(12345, 3), '12…');
});

test('a checkpoint that trained past its kept epoch says both', () => {
  assert.equal(epochsOf({ epochs: 160, trainedThrough: 185 }), 'trained 185 epochs, the best kept (epoch 160)');
  assert.equal(epochsOf({ epochs: 185, trainedThrough: 185 }), '185 epochs');
  assert.equal(epochsOf({ epochs: 185 }), '185 epochs');
});

test('a request scope reads as whose history it deletes', () => {
  assert.equal(scopeLabel('all'), 'all their history');
  assert.equal(scopeLabel('Action'), 'their Action history');
});

test('a verdict stands apart from its reasons, and the parts read back as the sentence', () => {
  const sentences = [
    'reached only by not forgetting (beyond the paper\'s range); above 100%: the model keeps more',
    'not measurable: no model retrained without the genre is shipped',
    'reproduced',
  ];
  assert.deepEqual(verdictParts(sentences[0]), ['reached only by not forgetting (beyond the paper\'s range);', ' above 100%: the model keeps more']);
  assert.deepEqual(verdictParts(sentences[1]), ['not measurable:', ' no model retrained without the genre is shipped']);
  assert.deepEqual(verdictParts(sentences[2]), ['reproduced', '']);
  for (const s of sentences) assert.equal(verdictParts(s).join(''), s);
});
