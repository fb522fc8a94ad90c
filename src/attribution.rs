//! Integrated gradients over the FFN intermediate neurons, as in "Knowledge Neurons in
//! Pretrained Transformers" (Dai et al., ACL 2022), applied to BERT4Rec's [MASK] position.
//!
//! For a history whose true next item is `y`, let ā be layer `l`'s FFN activations (after GELU)
//! at the [MASK] position. Neuron `i` gets
//!
//! ```text
//! Attr(i) = ā_i · (1/m) Σ_k ∂P(y | a = χ_k ā) / ∂a_i,   χ_k on an m-step Riemann grid of [0, 1].
//! ```
//!
//! The hook scales the activations by per-neuron factors `f` set to χ_k, so
//! `∂P/∂f_i = ā_i · ∂P/∂a_i` and the attribution is simply the mean gradient over the steps.
//!
//! The m steps run as one batch without recomputing anything below layer `l`, and only the
//! [MASK] row is recomputed from there: at layer `l` its m scaled copies attend to the history
//! as it was (their attention is the [MASK] row's, computed once); at the layer above, each
//! copy attends to the history's unchanged outputs and to itself. For a hooked layer with at
//! most one layer above it (BERT4Rec's two layers) every copy sees exactly what the scaled
//! sequence would. Deeper stacks fall back to repeating the sequence m times.

use burn::tensor::{Bool, Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::backend::{OnProgress, RunContext};
use crate::data::{ItemId, SequenceBatch};
use crate::error::{Error, Result};
use crate::model::softmax::{log_softmax, softmax};
use crate::model::{Bert4Rec, FfnHook, ModelInput};
use crate::readback::read_f32;

/// Where on each of the m sub-intervals of [0, 1] the gradient is taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Riemann {
    /// χ = k/m for k = 1..=m: the right end, as in Dai et al. (the default).
    #[default]
    Right,
    /// χ = k/m for k = 0..m: the left end.
    Left,
    /// χ = (k + ½)/m: the midpoint (most accurate for smooth paths).
    Midpoint,
}

impl Riemann {
    /// The m scaling factors χ.
    pub fn points(self, steps: usize) -> Vec<f32> {
        let m = steps as f32;
        (0..steps)
            .map(|k| match self {
                Riemann::Right => (k as f32 + 1.0) / m,
                Riemann::Left => k as f32 / m,
                Riemann::Midpoint => (k as f32 + 0.5) / m,
            })
            .collect()
    }
}

/// What the attribution explains.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// P(true next item): the paper's choice (the default).
    #[default]
    Probability,
    /// log P(true next item).
    LogProbability,
    /// Total probability of the genre's items.
    GenreProbability,
}

/// Settings of integrated gradients.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct IgConfig {
    /// Riemann steps m.
    pub steps: usize,
    pub riemann: Riemann,
    pub objective: Objective,
    /// Sequences per batch (16: on 2 cores, 256 sequences took 0.35 s in chunks of 16 or 8
    /// against 0.40 s in chunks of 32, each chunk's graph being smaller).
    pub chunk: usize,
}

impl Default for IgConfig {
    fn default() -> Self {
        IgConfig { steps: 20, riemann: Riemann::Right, objective: Objective::Probability, chunk: 16 }
    }
}

/// One sequence to explain: a history and its true next item.
#[derive(Clone, Debug, PartialEq)]
pub struct Query<'a> {
    pub history: &'a [ItemId],
    pub target: ItemId,
}

/// Where a running attribution is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IgProgress {
    /// Sequences attributed (every layer).
    pub sequences_done: usize,
    /// Sequences in all.
    pub sequences: usize,
}

/// Integrated-gradients attributions of every FFN neuron of every layer for each query, in
/// chunks of sequences of similar lengths. `genre_items` (one flag per item) is needed only for
/// [`Objective::GenreProbability`]. On the CPU the chunks run in rounds of one per thread;
/// progress is reported between rounds, on the calling thread.
///
/// Gradients flow only to the scale factors; dropout is off whatever mode `model` is in (the
/// activations behind the scale factors track gradients, and burn's dropout fires on any
/// gradient-tracking input of a module in training mode, which made attribution random).
pub async fn integrated_gradients(
    model: &Bert4Rec,
    queries: &[Query<'_>],
    genre_items: Option<&[bool]>,
    config: &IgConfig,
    base: &FfnHook,
    context: &RunContext<'_>,
    mut progress: impl OnProgress<IgProgress>,
) -> Result<Vec<NeuronAttribution>> {
    if queries.iter().any(|q| q.history.is_empty()) {
        return Err(Error::EmptyHistory);
    }
    if config.steps == 0 {
        return Err(Error::Config("integrated gradients needs at least one step".into()));
    }
    let model = &burn::module::Module::valid(model);
    let d_ff = model.dims().2;
    let genre_mask = genre_items.map(|flags| {
        let values: Vec<f32> = flags.iter().map(|&f| f as u8 as f32).collect();
        Tensor::<2>::from_data(TensorData::new(values, [1, flags.len()]), context.device)
    });
    let run = ChunkRun { model, queries, genre_mask: genre_mask.as_ref(), config, base, device: context.device };
    // Chunks of similar lengths lose most of their padding, and no thread is left without one;
    // the results come back in order.
    let threads = context.threads.max(1);
    let mut order: Vec<usize> = (0..queries.len()).collect();
    order.sort_by_key(|&i| queries[i].history.len());
    let chunks: Vec<&[usize]> = order.chunks(config.chunk.min(queries.len().div_ceil(threads)).max(1)).collect();
    let mut out: Vec<Option<NeuronAttribution>> = vec![None; queries.len()];
    let mut done = 0;
    for round in chunks.chunks(threads) {
        for (indices, per_layer) in round.iter().zip(run.round(round).await?) {
            for (b, &i) in indices.iter().enumerate() {
                out[i] = Some(NeuronAttribution { layers: per_layer.iter().map(|l| l[b * d_ff..(b + 1) * d_ff].to_vec()).collect() });
            }
            done += indices.len();
        }
        progress(IgProgress { sequences_done: done, sequences: queries.len() });
    }
    Ok(out.into_iter().map(|a| a.expect("every query is attributed once")).collect())
}

/// What every chunk of one attribution shares.
struct ChunkRun<'a> {
    model: &'a Bert4Rec,
    queries: &'a [Query<'a>],
    genre_mask: Option<&'a Tensor<2>>,
    config: &'a IgConfig,
    base: &'a FfnHook,
    device: &'a Device,
}

impl ChunkRun<'_> {
    /// One chunk per thread, at once where the build splits work over threads. Returns each
    /// chunk's attributions per layer, `[n_layers][s · d_ff]`.
    async fn round(&self, round: &[&[usize]]) -> Result<Vec<Vec<Vec<f32>>>> {
        #[cfg(parallel)]
        if round.len() > 1 {
            return crate::parallel::map_chunks(round, round.len(), |part, _| {
                part.iter().map(|indices| crate::readback::block_on(self.chunk(indices))).collect()
            });
        }
        let mut out = Vec::with_capacity(round.len());
        for indices in round {
            out.push(self.chunk(indices).await?);
        }
        Ok(out)
    }

    /// The attributions of the queries at `indices`, per layer, `[n_layers][s · d_ff]`.
    async fn chunk(&self, indices: &[usize]) -> Result<Vec<Vec<f32>>> {
        let (model, device, base, m) = (self.model, self.device, self.base, self.config.steps);
        let (_, n_layers, d_ff) = model.dims();
        let chi = self.config.riemann.points(m);
        let chunk: Vec<&Query<'_>> = indices.iter().map(|&i| &self.queries[i]).collect();
        let s = chunk.len();
        let histories: Vec<&[ItemId]> = chunk.iter().map(|q| q.history).collect();
        // The chunk's all-padding leading columns go: exact, and IG's passes shrink with them.
        let batch = SequenceBatch::next_item_queries(&histories, model.max_len, model.num_items).trim_padding();
        let input = ModelInput::new(&batch, device);
        // Earlier edits (suppression at [MASK]) act in every pass, the scaled ones included.
        let inputs = model.layer_inputs(&input, base); // n_layers × [s, len, d_model]
        let mut per_layer = Vec::with_capacity(n_layers);
        for layer in 0..n_layers {
            // The χ factors, one per step and neuron: the leaf we differentiate.
            let factors: Vec<f32> = (0..s).flat_map(|_| chi.iter().flat_map(|&c| std::iter::repeat_n(c, d_ff))).collect();
            let steps = Tensor::<3>::from_data(TensorData::new(factors, [s, m, d_ff]), &device.clone().autodiff()).require_grad(); // [s, m, d_ff]
            let logit_rows = scaled_passes(model, &inputs, steps.clone(), base, layer, &batch.padding, device); // [s·m, d_model]
            let logits = model.scores(logit_rows); // [s·m, num_items]
            let targets: Vec<i64> = chunk.iter().flat_map(|q| std::iter::repeat_n(q.target.0 as i64, m)).collect();
            let targets = Tensor::<2, Int>::from_data(TensorData::new(targets, [s * m, 1]), device);
            let total = objective(logits, &targets, self.genre_mask, self.config.objective)?;
            let grads = total.backward();
            let grad = steps.grad(&grads).ok_or_else(|| Error::Tensor("no gradient reached the scale factors".into()))?; // [s, m, d_ff]
            per_layer.push(read_f32(grad.mean_dim(1)).await?); // [s, 1, d_ff]
        }
        Ok(per_layer)
    }
}

/// Attributions of one sequence, `[n_layers][d_ff]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NeuronAttribution {
    pub layers: Vec<Vec<f32>>,
}

/// The objective per row, summed, `[1]`.
fn objective(logits: Tensor<2>, targets: &Tensor<2, Int>, genre_mask: Option<&Tensor<2>>, objective: Objective) -> Result<Tensor<1>> {
    Ok(match objective {
        Objective::Probability => softmax(logits).gather(1, targets.clone()).sum(),
        Objective::LogProbability => log_softmax(logits).gather(1, targets.clone()).sum(),
        Objective::GenreProbability => {
            let mask = genre_mask.ok_or_else(|| Error::Config("the genre-probability objective needs the genre's items".into()))?;
            (softmax(logits) * mask.clone()).sum()
        }
    })
}

/// The mask of `rows` rows that attend to the history before the [MASK] row (position
/// `len - 1`) and each to itself alone: key `j < len - 1` is history position `j`, key
/// `len - 1 + k` is row `k`. `[batch, rows, len - 1 + rows]`.
fn rows_mask(padding: &[bool], batch: usize, len: usize, rows: usize, device: &Device) -> Tensor<3, Bool> {
    let keys = len - 1 + rows;
    let mut blocked = vec![true; batch * rows * keys];
    for b in 0..batch {
        let pad = &padding[b * len..(b + 1) * len - 1];
        for q in 0..rows {
            let row = &mut blocked[(b * rows + q) * keys..(b * rows + q + 1) * keys];
            row[..len - 1].copy_from_slice(pad);
            row[len - 1 + q] = false;
        }
    }
    Tensor::from_data(TensorData::new(blocked, [batch, rows, keys]), device)
}

/// The [MASK] rows of `m` passes per sequence from `layer` on, layer `layer`'s neurons at [MASK]
/// scaled by `steps` ([s, m, d_ff], the leaf differentiated), `base` acting in every pass.
/// `inputs` are every layer's inputs over the whole sequence, `[s, len, d_model]` each.
/// Returns [s·m, d_model]. For the last two layers only the [MASK] row is recomputed (its m
/// scaled copies attend to the history, which they do not change); deeper, each sequence is
/// repeated m times, exact for any depth.
fn scaled_passes(
    model: &Bert4Rec,
    inputs: &[Tensor<3>],
    steps: Tensor<3>,
    base: &FfnHook,
    layer: usize,
    padding: &[bool],
    device: &Device,
) -> Tensor<2> {
    let [s, len, d_model] = inputs[layer].dims(); // [s, len, d_model]
    let [_, m, d_ff] = steps.dims();
    let n_layers = model.layers.len();
    if n_layers - layer <= 2 {
        // Every row computed here sits at the [MASK] position, where earlier suppression acts.
        let base = base.clone().on_every_row();
        let history = |l: usize| inputs[l].clone().slice([0..s, 0..len - 1, 0..d_model]); // [s, len - 1, d_model]
        let mask_row = inputs[layer].clone().slice([0..s, len - 1..len, 0..d_model]); // [s, 1, d_model]
        let hook = base.clone().then(FfnHook::Scale { layer, factors: steps });
        let own = rows_mask(padding, s, len, 1, device);
        let mut rows = model.layers[layer].forward_rows(mask_row, history(layer), own, layer, &hook); // [s, m, d_model]
        for above in layer + 1..n_layers {
            let blocked = rows_mask(padding, s, len, m, device);
            rows = model.layers[above].forward_rows(rows, history(above), blocked, above, &base); // [s, m, d_model]
        }
        rows.reshape([s * m, d_model])
    } else {
        let hidden = inputs[layer].clone();
        let repeated = hidden.unsqueeze_dim::<4>(1).expand([s, m, len, d_model]).reshape([s * m, len, d_model]); // [s·m, len, d_model]
        let ones = Tensor::<3>::ones([s * m, len - 1, d_ff], device);
        let last = steps.reshape([s * m, 1, d_ff]);
        let scale = Tensor::cat(vec![ones.autodiff(), last], 1); // [s·m, len, d_ff]
        let padding: Vec<bool> = padding.chunks(len).flat_map(|row| std::iter::repeat_n(row, m).flatten().copied()).collect();
        let blocked =
            Tensor::<2, Bool>::from_data(TensorData::new(padding, [s * m, len]), device).reshape([s * m, 1, len]).expand([s * m, len, len]);
        let hook = base.clone().then(FfnHook::Scale { layer, factors: scale });
        let encoding = model.encode_from(layer, repeated, blocked, &hook);
        Bert4Rec::last_position(encoding.hidden)
    }
}
