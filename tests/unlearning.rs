//! Attribution (integrated gradients), screening and editing on seeded tiny models.

mod common;

use burn::tensor::{Tensor, TensorData};
use recforget::attribution::{IgConfig, NeuronAttribution, Objective, Query, Riemann, integrated_gradients};
use recforget::data::{ItemId, SequenceBatch};
use recforget::metrics::score_histories;
use recforget::model::{FfnHook, ModelInput, Neuron, Positions};
use recforget::readback::Wait;
use recforget::unlearning::neurons::apply_edit;
use recforget::unlearning::{Edit, EditedModel, View, zero_neurons};

fn probability(model: &recforget::model::Bert4Rec, h: &[ItemId], target: ItemId, hook: &FfnHook) -> f64 {
    let logits = score_histories(model, &[h], None, hook, &common::device()).wait().unwrap().remove(0);
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let sum: f64 = logits.iter().map(|&l| (l as f64 - max).exp()).sum();
    (logits[target.index()] as f64 - max).exp() / sum
}

fn attribute(model: &recforget::model::Bert4Rec, h: &[ItemId], target: ItemId, config: IgConfig) -> NeuronAttribution {
    integrated_gradients(
        model,
        &[Query { history: h, target }],
        None,
        &config,
        &FfnHook::None,
        &recforget::unlearning::RunContext::new(&common::device()),
        |_| {},
    )
    .wait()
    .unwrap()
    .remove(0)
}

#[test]
fn completeness_attributions_sum_to_the_probability_change() {
    let model = common::tiny_model(20, 11);
    let h = [ItemId(3), ItemId(7), ItemId(1), ItemId(12)];
    let target = ItemId(5);
    let config = IgConfig { steps: 400, riemann: Riemann::Midpoint, objective: Objective::Probability, chunk: 1 };
    let attribution = attribute(&model, &h, target, config);
    let p_full = probability(&model, &h, target, &FfnHook::None);
    for layer in 0..2 {
        let zeros = FfnHook::Replace { layer, values: Tensor::zeros([1, 32], &common::device()) };
        let p_zero = probability(&model, &h, target, &zeros);
        let sum: f64 = attribution.layers[layer].iter().map(|&v| v as f64).sum();
        let change = p_full - p_zero;
        assert!(
            (sum - change).abs() < 0.02 * change.abs().max(1e-3) + 1e-5,
            "layer {layer}: attributions sum to {sum}, P(ā) - P(0) = {change}"
        );
    }
}

/// Integrated gradients by their definition: one χ at a time through the Scale hook on the
/// plain sequence, `base` acting in every pass. `[d_ff]` for `layer`.
fn by_definition(model: &recforget::model::Bert4Rec, h: &[ItemId], target: ItemId, layer: usize, steps: usize, base: &FfnHook) -> Vec<f32> {
    let device = common::device();
    let batch = SequenceBatch::next_item_queries(&[h], 12, 20);
    let input = ModelInput::new(&batch, &device);
    let mut sum = vec![0.0f32; 32];
    for chi in Riemann::Right.points(steps) {
        let mut data = vec![1.0f32; 12 * 32];
        data[11 * 32..].iter_mut().for_each(|v| *v = chi);
        let factors = Tensor::<3>::from_data(TensorData::new(data, [1, 12, 32]), &device.clone().autodiff()).require_grad();
        let logits = model.next_item_scores(&input, &base.clone().then(FfnHook::Scale { layer, factors: factors.clone() }));
        let p = burn::tensor::activation::softmax(logits, 1).slice([0..1, target.index()..target.index() + 1]).sum();
        let grad = factors.grad(&p.backward()).unwrap();
        let grad = grad.slice([0..1, 11..12, 0..32]).into_data().try_to_vec::<f32>().unwrap();
        sum.iter_mut().zip(&grad).for_each(|(s, g)| *s += g / steps as f32);
    }
    sum
}

fn assert_close(expected: &[f32], got: &[f32], what: &str) {
    let worst = expected.iter().zip(got).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    let scale = expected.iter().map(|v| v.abs()).fold(0.0, f32::max);
    assert!(worst <= 1e-3 * scale + 1e-7, "{what}: worst {worst}, scale {scale}");
}

#[test]
fn batched_steps_match_the_definition() {
    // The fast path (the [MASK] row's scaled copies alone) against a direct sum of gradients.
    let model = common::tiny_model(20, 12);
    let h = [ItemId(2), ItemId(9)];
    let target = ItemId(4);
    let fast = attribute(&model, &h, target, IgConfig { steps: 4, ..IgConfig::default() });
    for layer in 0..2 {
        assert_close(&by_definition(&model, &h, target, layer, 4, &FfnHook::None), &fast.layers[layer], &format!("layer {layer}"));
    }
}

#[test]
fn a_chunk_with_padding_and_an_earlier_suppression_matches_the_definition() {
    // Two histories of different lengths in one chunk (the shorter one padded), with neurons
    // of both layers suppressed at [MASK] by an earlier edit.
    let model = common::tiny_model(20, 15);
    let (short, long) = ([ItemId(2), ItemId(9)], [ItemId(5), ItemId(1), ItemId(7), ItemId(3), ItemId(11)]);
    let queries = [Query { history: &short, target: ItemId(4) }, Query { history: &long, target: ItemId(6) }];
    let base = FfnHook::Zero { neurons: vec![Neuron { layer: 0, index: 3 }, Neuron { layer: 1, index: 5 }], positions: Positions::Last };
    let config = IgConfig { steps: 4, chunk: 2, ..IgConfig::default() };
    let device = common::device();
    let ctx = recforget::unlearning::RunContext::new(&device);
    let fast = integrated_gradients(&model, &queries, None, &config, &base, &ctx, |_| {}).wait().unwrap();
    for (query, fast) in queries.iter().zip(&fast) {
        for layer in 0..2 {
            let expected = by_definition(&model, query.history, query.target, layer, 4, &base);
            assert_close(&expected, &fast.layers[layer], &format!("history of {}, layer {layer}", query.history.len()));
        }
        assert_eq!(fast.layers[0][3], 0.0, "a suppressed neuron has no attribution");
    }
}

#[test]
fn zero_activation_gives_zero_attribution() {
    // Neuron 7 of both layers: zero its column of W1 and its bias, so gelu(0) = 0 exactly.
    let mut model = common::tiny_model(20, 13);
    let device = common::device();
    for layer in &mut model.layers {
        let w1 = &mut layer.ffn.w1;
        let mut w = w1.weight.val().into_data().try_to_vec::<f32>().unwrap();
        (0..16).for_each(|row| w[row * 32 + 7] = 0.0);
        let w = Tensor::<2>::from_data(TensorData::new(w, [16, 32]), &device);
        w1.weight = w1.weight.clone().map(|_| w);
        let bias = w1.bias.take().unwrap();
        let mut b = bias.val().into_data().try_to_vec::<f32>().unwrap();
        b[7] = 0.0;
        let b = Tensor::<1>::from_data(TensorData::new(b, [32]), &device);
        w1.bias = Some(bias.map(|_| b));
    }
    let h = [ItemId(1), ItemId(2)];
    let attribution = attribute(&model, &h, ItemId(3), IgConfig::default());
    for layer in &attribution.layers {
        assert_eq!(layer[7], 0.0);
        assert!(layer.iter().any(|&v| v != 0.0));
    }
}

#[test]
fn editing_returns_a_new_model_and_leaves_the_original() {
    let model = common::tiny_model(20, 14);
    let h = [ItemId(1), ItemId(2), ItemId(3)];
    let before = score_histories(&model, &[&h], None, &FfnHook::None, &common::device()).wait().unwrap();
    let neurons = [Neuron { layer: 1, index: 0 }, Neuron { layer: 0, index: 5 }];
    let mut edited = EditedModel::new(model.clone());
    apply_edit(&mut edited, &neurons, Edit::ZeroWeights).unwrap();
    let after = score_histories(&edited.view(View::Served), &[&h], None, &FfnHook::None, &common::device()).wait().unwrap();
    assert_ne!(before, after);
    assert_eq!(before, score_histories(&model, &[&h], None, &FfnHook::None, &common::device()).wait().unwrap());
    let w2 = edited.model.layers[1].ffn.w2.weight.val().into_data().try_to_vec::<f32>().unwrap();
    assert!(w2[..16].iter().all(|&v| v == 0.0));
    assert!(w2[16..32].iter().any(|&v| v != 0.0));
    // Suppression at the mask changes scores without touching the weights.
    let mut suppressed = EditedModel::new(model.clone());
    apply_edit(&mut suppressed, &neurons, Edit::SuppressAtMask).unwrap();
    let s = score_histories(&suppressed.view(View::Served), &[&h], None, &FfnHook::None, &common::device()).wait().unwrap();
    assert_ne!(before, s);
    // Forgetting twice composes.
    let twice = zero_neurons(&edited.model, &[Neuron { layer: 0, index: 6 }]).unwrap();
    let w2 = twice.layers[0].ffn.w2.weight.val().into_data().try_to_vec::<f32>().unwrap();
    assert!(w2[5 * 16..7 * 16].iter().all(|&v| v == 0.0));
    assert!(zero_neurons(&model, &[Neuron { layer: 2, index: 0 }]).is_err());
}

#[test]
fn forgetting_a_genre_on_real_data_and_the_sweep_run_end_to_end() {
    use recforget::data::{Genre, Split};
    use recforget::metrics::NegativeSampler;
    use recforget::report::{genre_outcome, sweep, sweep_svg};
    use recforget::unlearning::{ForgetConfig, forget};

    let Some(ds) = common::ml1m_slice(80) else { return };
    let device = common::device();
    device.seed(5);
    let model = {
        use burn::module::Module;
        common::tiny_config(ds.num_items()).with_max_len(24).init(&device).valid()
    };
    let mut config = ForgetConfig::default();
    config.neurons.sequences = 12;
    config.neurons.ig.steps = 5;
    let (reports, unlearned) = forget(
        &EditedModel::new(model.clone()),
        &model,
        &ds,
        Genre::Drama,
        &config,
        &recforget::unlearning::RunContext::new(&device),
        |_| {},
    )
    .wait()
    .unwrap();
    let report = reports[0].neurons().expect("the default method is the paper's");
    assert!(report.sequences > 0 && report.sequences <= 12);
    assert_eq!(report.mean_attribution.len(), 2);
    assert_eq!(report.mean_attribution[0].len(), 32);
    assert!(!report.screening.rounds.is_empty());
    // The original is untouched; the unlearned copy differs exactly where screening said.
    for n in &report.screening.neurons {
        let w2 = unlearned.model.layers[n.layer].ffn.w2.weight.val().into_data().try_to_vec::<f32>().unwrap();
        assert!(w2[n.index * 16..(n.index + 1) * 16].iter().all(|&v| v == 0.0));
    }

    let cases: Vec<_> = ds.eval_cases(Split::Test).into_iter().take(40).collect();
    let sampler = NegativeSampler::new(&ds, 1);
    // A model retrained without Drama, the same shape, for the retrained columns.
    let dir = tempfile::tempdir().unwrap();
    let without = ds.without_genre_in_training(Genre::Drama);
    let training = recforget::train::TrainingConfig::new(common::tiny_config(ds.num_items()).with_max_len(24).into())
        .with_epochs(2)
        .with_batch_size(32);
    let trainer = recforget::train::Trainer { device: device.clone(), ..common::trainer(training, &without, dir.path()) };
    trainer.run(|_| {}).unwrap();
    let retrained: recforget::checkpoint::Checkpoint = recforget::checkpoint::Checkpoint::load(dir.path(), &device).unwrap();
    let ctx = recforget::measurement::EvalContext { dataset: &ds, cases: &cases, sampler: &sampler, device: &device };
    let outcome = genre_outcome(&ctx, &model, Some(&retrained), Genre::Drama, &config).unwrap();
    // Measured through the one measurement: the original, deletion only, the unlearned model
    // and the retrained one, on the paper's condition.
    let names: Vec<&str> = outcome.measurement.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["original", "deletion only", "unlearned", "retrained"]);
    assert_eq!(outcome.measurement.settings.histories, recforget::measurement::Histories::Kept);
    assert_eq!(outcome.unlearned().removal.len(), 3);
    assert!(outcome.measurement.forget_set_users > 0);
    assert_eq!(outcome.retrain_epochs, Some(2));
    // Every model but the original is measured against it.
    for name in ["deletion only", "unlearned", "retrained"] {
        assert_eq!(outcome.measurement.get(name).unwrap().served.removal.len(), 3, "{name}");
    }
    let closeness = outcome.unlearned().closeness.expect("closeness is measured against a retrained model");
    assert!(closeness.users > 0 && closeness.users <= 40);
    assert!((0.0..=1.0).contains(&closeness.overlap));
    assert!(outcome.original().closeness.unwrap().kl >= 0.0);

    // The model comparison chart: one bar per model and metric.
    use recforget::report::{ComparisonRow, comparison_svg};
    let rows = [
        ComparisonRow { model: "Original".into(), metrics: outcome.original().overall },
        ComparisonRow { model: "Retrained".into(), metrics: outcome.retrained().unwrap().overall },
    ];
    let chart = comparison_svg(&rows, recforget::metrics::Protocol::Pop100);
    // Two models × six metrics, two legend swatches, the background.
    assert!(chart.matches("<rect").count() > 2 * 6 + 2, "{chart}");
    assert!(chart.contains(">\nOriginal\n<") && chart.contains(">\nRetrained\n<"), "{chart}");
    let points = sweep(&ctx, &model, Genre::Drama, outcome.neurons(), &config).unwrap();
    // k = 4, 8, 16, 32 (half of 64 neurons) for three rankings.
    assert_eq!(points.len(), 12);
    assert!(points.iter().all(|p| p.removal <= 1.0 && p.hr_percent >= 0.0));
    let svg = sweep_svg(&points, "Drama", |p| p.removal, "removal");
    assert!(svg.starts_with("<svg") && svg.contains("polyline"));
}

#[test]
fn attribution_is_the_same_twice_whatever_the_models_mode() {
    // A model straight from `init` is in training mode (burn's default); with dropout 0.5 the
    // attribution used to draw a new dropout mask per call.
    use burn::module::Module;
    let device = common::device();
    device.seed(3);
    let model = common::tiny_config(20).with_dropout(0.5).init(&device);
    let h = [ItemId(3), ItemId(7), ItemId(1), ItemId(12)];
    let config = IgConfig { steps: 4, ..IgConfig::default() };
    let first = attribute(&model, &h, ItemId(5), config);
    let second = attribute(&model, &h, ItemId(5), config);
    assert_eq!(first, second, "attribution changed between two identical calls");
    assert_eq!(first, attribute(&model.valid(), &h, ItemId(5), config), "training mode changed the attribution");
}
