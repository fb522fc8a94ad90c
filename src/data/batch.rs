//! Turning item sequences into model inputs: typed tokens, left padding, and the two training
//! objectives' targets (cloze masking for BERT4Rec, shifted next items for GRU4Rec and Caser).
//!
//! Sequences are left-padded to a fixed length, so the newest item (or the [MASK] that asks for
//! the next one) is always at the last position. Padding is a boolean mask, never inferred from
//! token id 0, and a masked first item is a real training target. A batch may drop the leading
//! columns that are padding in every row ([`SequenceBatch::trim_padding`]); it then records the
//! position of its first column, so every token keeps its position.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::data::ItemId;

/// A model input token. Its embedding row is [`Token::index`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    /// Padding before a short history; masked out of attention.
    Pad,
    /// The cloze mask: "predict the item here".
    Mask,
    /// An item of the vocabulary.
    Item(ItemId),
}

impl Token {
    /// Row of the token embedding: PAD is 0, items are 1..=n, MASK is n+1.
    pub fn index(self, num_items: usize) -> i64 {
        match self {
            Token::Pad => 0,
            Token::Item(id) => id.0 as i64 + 1,
            Token::Mask => num_items as i64 + 1,
        }
    }

    /// Number of embedding rows needed for `num_items` items.
    pub fn vocabulary_size(num_items: usize) -> usize {
        num_items + 2
    }
}

/// A batch of left-padded token sequences, as host data.
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceBatch {
    /// Number of sequences.
    pub batch: usize,
    /// Length of every sequence (the model's `max_len`, less the trimmed columns).
    pub len: usize,
    /// The position of column 0 among the model's `max_len` positions: 0, or the number of
    /// leading padding columns [`SequenceBatch::trim_padding`] dropped.
    pub first_position: usize,
    /// Token indices, row-major `[batch, len]`.
    pub tokens: Vec<i64>,
    /// `true` at padding positions, row-major `[batch, len]`.
    pub padding: Vec<bool>,
    /// Who each sequence belongs to, `[batch]`: [`UNKNOWN_USER`] or a user index + 1 (only
    /// Caser's user embedding reads it).
    pub users: Vec<i64>,
}

/// Row-major `[rows, len]` values without their first `cut` columns.
fn keep_columns<T: Copy>(values: &[T], len: usize, cut: usize) -> Vec<T> {
    values.chunks(len).flat_map(|row| row[cut..].iter().copied()).collect()
}

/// The user row for histories that belong to no known user (e.g. typed in on the page).
const UNKNOWN_USER: i64 = 0;

/// The embedding row of user `index` (see [`SequenceBatch::users`]).
fn user_row(index: usize) -> i64 {
    index as i64 + 1
}

impl SequenceBatch {
    /// Builds a batch from rows of tokens; each row is truncated to its last `len` tokens and
    /// left-padded.
    pub fn from_rows(rows: &[Vec<Token>], len: usize, num_items: usize) -> SequenceBatch {
        let mut tokens = Vec::with_capacity(rows.len() * len);
        let mut padding = Vec::with_capacity(rows.len() * len);
        for row in rows {
            let row = &row[row.len().saturating_sub(len)..];
            let pad = len - row.len();
            tokens.extend(std::iter::repeat_n(Token::Pad.index(num_items), pad));
            padding.extend(std::iter::repeat_n(true, pad));
            tokens.extend(row.iter().map(|t| t.index(num_items)));
            padding.extend(row.iter().map(|t| *t == Token::Pad));
        }
        SequenceBatch { batch: rows.len(), len, first_position: 0, tokens, padding, users: vec![UNKNOWN_USER; rows.len()] }
    }

    /// Leading columns that are padding in every row (at most `len - 1`: one column stays).
    fn leading_padding(&self) -> usize {
        let mut cut = self.len.saturating_sub(1);
        for row in self.padding.chunks(self.len.max(1)) {
            cut = cut.min(row.iter().take_while(|&&p| p).count());
        }
        cut
    }

    /// Drops `cut` leading columns.
    fn drop_columns(self, cut: usize) -> SequenceBatch {
        if cut == 0 {
            return self;
        }
        let (len, new_len) = (self.len, self.len - cut);
        SequenceBatch {
            len: new_len,
            first_position: self.first_position + cut,
            tokens: keep_columns(&self.tokens, len, cut),
            padding: keep_columns(&self.padding, len, cut),
            ..self
        }
    }

    /// The same batch without the leading columns that are padding in every row; the columns
    /// left keep their positions ([`SequenceBatch::first_position`]). For BERT4Rec this changes
    /// no real token's hidden state (no query attends to a padding key) while attention and the
    /// FFNs shrink to the longest sequence of the batch.
    pub fn trim_padding(self) -> SequenceBatch {
        let cut = self.leading_padding();
        self.drop_columns(cut)
    }

    /// Records whose sequences these are (user indices into the dataset, one per row).
    pub fn with_users(mut self, users: &[usize]) -> SequenceBatch {
        assert_eq!(users.len(), self.batch, "one user per sequence");
        self.users = users.iter().map(|&u| user_row(u)).collect();
        self
    }

    /// Next-item queries: each history (its last `len - 1` items) followed by [MASK], which
    /// lands at the last position.
    pub fn next_item_queries(histories: &[&[ItemId]], len: usize, num_items: usize) -> Self {
        let rows: Vec<Vec<Token>> = histories
            .iter()
            .map(|h| {
                let h = &h[h.len().saturating_sub(len - 1)..];
                h.iter().map(|&i| Token::Item(i)).chain(std::iter::once(Token::Mask)).collect()
            })
            .collect();
        SequenceBatch::from_rows(&rows, len, num_items)
    }
}

/// How training sequences are masked (the cloze task).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClozeConfig {
    /// Probability that each item is replaced by [MASK]; at least one item always is.
    pub mask_prob: f64,
    /// Probability that a sequence masks only its last item, which mirrors next-item prediction.
    pub last_only_prob: f64,
}

impl Default for ClozeConfig {
    fn default() -> Self {
        ClozeConfig { mask_prob: 0.2, last_only_prob: 0.1 }
    }
}

/// A training batch: input sequences, and the item each scored position must predict.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingBatch {
    /// The input sequences.
    pub input: SequenceBatch,
    /// Flat positions `b * len + t` whose hidden state is scored, `[targets]`.
    pub positions: Vec<i64>,
    /// The item each of those positions must predict, `[targets]`.
    pub targets: Vec<ItemId>,
}

impl TrainingBatch {
    /// Next-item training (GRU4Rec, Caser): each sequence (cut to its last `len` items) is the
    /// input as it is, and every position but the last predicts the item after it.
    pub fn next_items(sequences: &[&[ItemId]], users: &[usize], len: usize, num_items: usize) -> TrainingBatch {
        let mut rows = Vec::with_capacity(sequences.len());
        let mut positions = Vec::new();
        let mut targets = Vec::new();
        for (b, seq) in sequences.iter().enumerate() {
            let seq = &seq[seq.len().saturating_sub(len)..];
            let offset = len - seq.len();
            for t in 0..seq.len().saturating_sub(1) {
                positions.push((b * len + offset + t) as i64);
                targets.push(seq[t + 1]);
            }
            rows.push(seq.iter().map(|&i| Token::Item(i)).collect::<Vec<_>>());
        }
        TrainingBatch { input: SequenceBatch::from_rows(&rows, len, num_items).with_users(users), positions, targets }
    }

    /// The cloze task (BERT4Rec): masks items of each sequence (already cut to at most `len`
    /// items); the masked positions predict the items they hide.
    pub fn cloze(
        sequences: &[&[ItemId]],
        users: &[usize],
        len: usize,
        num_items: usize,
        config: ClozeConfig,
        rng: &mut impl Rng,
    ) -> TrainingBatch {
        let masks: Vec<Vec<bool>> = sequences
            .iter()
            .map(|seq| {
                let n = seq.len().min(len);
                let mut masked: Vec<bool> = if rng.random_bool(config.last_only_prob) {
                    (0..n).map(|t| t + 1 == n).collect()
                } else {
                    (0..n).map(|_| rng.random_bool(config.mask_prob)).collect()
                };
                if !masked.iter().any(|&m| m) && n > 0 {
                    let t = rng.random_range(0..n);
                    masked[t] = true;
                }
                masked
            })
            .collect();
        TrainingBatch::masked_at(sequences, &masks, users, len, num_items)
    }

    /// A cloze batch with the masks given: each sequence is cut to its last `len` items, and
    /// `masks[b][t]` (over the cut sequence) replaces item `t` by [MASK] and scores it.
    pub fn masked_at(sequences: &[&[ItemId]], masks: &[Vec<bool>], users: &[usize], len: usize, num_items: usize) -> TrainingBatch {
        let mut rows = Vec::with_capacity(sequences.len());
        let mut positions = Vec::new();
        let mut targets = Vec::new();
        for (b, (seq, masked)) in sequences.iter().zip(masks).enumerate() {
            let seq = &seq[seq.len().saturating_sub(len)..];
            assert_eq!(seq.len(), masked.len(), "one mask flag per item of the cut sequence");
            let offset = len - seq.len();
            let mut row = Vec::with_capacity(seq.len());
            for (t, (&item, &m)) in seq.iter().zip(masked).enumerate() {
                if m {
                    row.push(Token::Mask);
                    positions.push((b * len + offset + t) as i64);
                    targets.push(item);
                } else {
                    row.push(Token::Item(item));
                }
            }
            rows.push(row);
        }
        TrainingBatch { input: SequenceBatch::from_rows(&rows, len, num_items).with_users(users), positions, targets }
    }

    /// The same batch without the leading columns that are padding in every row (see
    /// [`SequenceBatch::trim_padding`]); the scored positions follow their columns.
    pub fn trim_padding(self) -> TrainingBatch {
        let (len, cut) = (self.input.len as i64, self.input.leading_padding() as i64);
        if cut == 0 {
            return self;
        }
        let new_len = len - cut;
        let positions = self
            .positions
            .iter()
            .map(|&p| {
                debug_assert!(p % len >= cut, "a scored position is never padding");
                p / len * new_len + p % len - cut
            })
            .collect();
        TrainingBatch { input: self.input.drop_columns(cut as usize), positions, targets: self.targets }
    }

    /// Splits the batch into at most `parts` batches of consecutive sequences (for data-parallel
    /// steps). Together they hold exactly the same sequences, masks and targets.
    pub fn split(&self, parts: usize) -> Vec<TrainingBatch> {
        let (batch, len) = (self.input.batch, self.input.len);
        let per = batch.div_ceil(parts.max(1)).max(1);
        (0..batch)
            .step_by(per)
            .map(|start| {
                let end = (start + per).min(batch);
                let (lo, hi) = ((start * len) as i64, (end * len) as i64);
                let (positions, targets) =
                    self.positions.iter().zip(&self.targets).filter(|(p, _)| (lo..hi).contains(*p)).map(|(p, t)| (p - lo, *t)).unzip();
                TrainingBatch {
                    input: SequenceBatch {
                        batch: end - start,
                        len,
                        first_position: self.input.first_position,
                        tokens: self.input.tokens[start * len..end * len].to_vec(),
                        padding: self.input.padding[start * len..end * len].to_vec(),
                        users: self.input.users[start..end].to_vec(),
                    },
                    positions,
                    targets,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn queries_are_left_padded_with_mask_last() {
        let h = [ItemId(0), ItemId(4)];
        let b = SequenceBatch::next_item_queries(&[&h], 5, 10);
        assert_eq!(b.tokens, vec![0, 0, 1, 5, 11]);
        assert_eq!(b.padding, vec![true, true, false, false, false]);
    }

    #[test]
    fn trimming_drops_only_shared_padding_and_keeps_positions() {
        let (a, b) = ([ItemId(0), ItemId(4)], [ItemId(1), ItemId(2), ItemId(3)]);
        let q = SequenceBatch::next_item_queries(&[&a, &b], 6, 10).trim_padding();
        assert_eq!((q.len, q.first_position), (4, 2));
        assert_eq!(q.tokens, vec![0, 1, 5, 11, 2, 3, 4, 11]);
        assert_eq!(q.padding, vec![true, false, false, false, false, false, false, false]);
        // A full-length row leaves nothing to trim; an all-padding batch keeps one column.
        let full = SequenceBatch::next_item_queries(&[&a, &[ItemId(1); 9]], 6, 10).trim_padding();
        assert_eq!((full.len, full.first_position), (6, 0));
        let empty = SequenceBatch::from_rows(&[vec![], vec![]], 4, 10).trim_padding();
        assert_eq!((empty.len, empty.first_position), (1, 3));

        let mut rng = rand::rngs::StdRng::seed_from_u64(8);
        let seqs: Vec<Vec<ItemId>> = (0..3).map(|u| (0..3 + u).map(ItemId).collect()).collect();
        let refs: Vec<&[ItemId]> = seqs.iter().map(|s| s.as_slice()).collect();
        let batch = TrainingBatch::cloze(&refs, &[0, 1, 2], 9, 10, ClozeConfig::default(), &mut rng);
        let trimmed = batch.clone().trim_padding();
        assert_eq!((trimmed.input.len, trimmed.input.first_position), (5, 4));
        assert_eq!(trimmed.targets, batch.targets);
        let at = |b: &TrainingBatch| -> Vec<(usize, usize, i64)> {
            let len = b.input.len;
            b.positions.iter().map(|&p| (p as usize / len, b.input.first_position + p as usize % len, b.input.tokens[p as usize])).collect()
        };
        // Same row, same position, same [MASK] token.
        assert_eq!(at(&trimmed), at(&batch));
    }

    #[test]
    fn split_keeps_every_mask() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let seqs: Vec<Vec<ItemId>> = (0..5).map(|u| (0..4 + u).map(ItemId).collect()).collect();
        let refs: Vec<&[ItemId]> = seqs.iter().map(|s| s.as_slice()).collect();
        let batch = TrainingBatch::cloze(&refs, &[0, 1, 2, 3, 4], 8, 10, ClozeConfig::default(), &mut rng);
        let parts = batch.split(2);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].input.batch + parts[1].input.batch, 5);
        let targets: Vec<ItemId> = parts.iter().flat_map(|p| p.targets.clone()).collect();
        let users: Vec<i64> = parts.iter().flat_map(|p| p.input.users.clone()).collect();
        assert_eq!(users, vec![1, 2, 3, 4, 5]);
        assert_eq!(targets, batch.targets);
        let tokens: Vec<i64> = parts.iter().flat_map(|p| p.input.tokens.clone()).collect();
        assert_eq!(tokens, batch.input.tokens);
        for p in &parts {
            let mask = Token::Mask.index(10);
            assert!(p.positions.iter().all(|&i| p.input.tokens[i as usize] == mask));
        }
    }

    #[test]
    fn queries_keep_the_newest_items() {
        let h: Vec<ItemId> = (0..10).map(ItemId).collect();
        let b = SequenceBatch::next_item_queries(&[&h], 4, 10);
        assert_eq!(b.tokens, vec![8, 9, 10, 11]);
    }

    #[test]
    fn cloze_masks_what_it_reports_and_never_confuses_pad() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let a: Vec<ItemId> = (0..3).map(ItemId).collect();
        let b: Vec<ItemId> = (0..6).map(ItemId).collect();
        for _ in 0..50 {
            let batch = TrainingBatch::cloze(&[&a, &b], &[0, 1], 6, 6, ClozeConfig::default(), &mut rng);
            assert!(!batch.positions.is_empty());
            let mask = Token::Mask.index(6);
            let masked: Vec<i64> = (0..12).filter(|&i| batch.input.tokens[i] == mask).map(|i| i as i64).collect();
            assert_eq!(masked, batch.positions);
            for (&p, &t) in batch.positions.iter().zip(&batch.targets) {
                assert!(!batch.input.padding[p as usize], "a mask sits on padding");
                let seq = if p < 6 { &a } else { &b };
                let offset = 6 - seq.len();
                assert_eq!(seq[p as usize % 6 - offset], t);
            }
            // Item 0 (token 1) is a real item, distinct from PAD (token 0).
            assert_eq!(batch.input.padding[..3], [true, true, true]);
        }
    }

    #[test]
    fn next_items_shift_by_one_within_each_sequence() {
        let a = [ItemId(3), ItemId(4), ItemId(5)];
        let b = [ItemId(7)];
        let batch = TrainingBatch::next_items(&[&a, &b], &[4, 0], 4, 10);
        // Row 0: PAD 3 4 5 (tokens 0 4 5 6); row 1: PAD PAD PAD 7.
        assert_eq!(batch.input.tokens, vec![0, 4, 5, 6, 0, 0, 0, 8]);
        assert_eq!(batch.positions, vec![1, 2]);
        assert_eq!(batch.targets, vec![ItemId(4), ItemId(5)]);
        assert_eq!(batch.input.users, vec![5, 1]);
    }
}
