//! The model: shapes, padding, and the FFN hook on the single forward path.

mod common;

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use rand::SeedableRng;
use recforget::data::{ItemId, SequenceBatch};
use recforget::model::{Bert4Rec, FfnHook, ModelInput, Neuron, Positions};

fn input(model: &Bert4Rec, histories: &[&[ItemId]]) -> ModelInput {
    let batch = SequenceBatch::next_item_queries(histories, model.max_len, model.num_items);
    ModelInput::new(&batch, &common::device())
}

fn values(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn assert_close(a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len());
    let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(worst <= tol, "max difference {worst} > {tol}");
}

#[test]
fn shapes_through_the_forward_path() {
    let model = common::tiny_model(20, 1);
    let h1 = [ItemId(1), ItemId(2), ItemId(3)];
    let h2 = [ItemId(4)];
    let x = input(&model, &[&h1, &h2]);
    let encoding = model.encode(&x, &FfnHook::Capture);
    assert_eq!(encoding.hidden.dims(), [2, 12, 16]);
    assert_eq!(encoding.captured.len(), 2);
    assert_eq!(encoding.captured[0].dims(), [2, 32]);
    assert_eq!(encoding.layer_inputs[1].dims(), [2, 12, 16]);
    let scores = model.next_item_scores(&x, &FfnHook::None);
    assert_eq!(scores.dims(), [2, 20]);
    assert_eq!(model.layers[0].ffn.w2.weight.dims(), [32, 16]);
}

#[test]
fn scoring_the_mask_position_alone_equals_the_full_last_layer() {
    let model = common::tiny_model(20, 3);
    let (h1, h2) = ([ItemId(1), ItemId(2), ItemId(3), ItemId(7)], [ItemId(4)]);
    let x = input(&model, &[&h1, &h2]);
    let full = model.scores(Bert4Rec::last_position(model.encode(&x, &FfnHook::None).hidden)); // every position, then [MASK]'s
    let fast = model.next_item_scores(&x, &FfnHook::None); // the last layer at [MASK] alone
    assert_eq!(fast.dims(), [2, 20]);
    assert_close(&values(fast), &values(full), 1e-5);
}

#[test]
fn padding_is_masked_not_read() {
    // Change the tokens under padding: with padding masked out of attention, nothing changes.
    let model = common::tiny_model(20, 2);
    let h = [ItemId(5), ItemId(6)];
    let batch = SequenceBatch::next_item_queries(&[&h], model.max_len, model.num_items);
    let mut other = batch.clone();
    for (t, pad) in other.tokens.iter_mut().zip(&other.padding) {
        if *pad {
            *t = 7;
        }
    }
    let device = common::device();
    let a = values(model.next_item_scores(&ModelInput::new(&batch, &device), &FfnHook::None));
    let b = values(model.next_item_scores(&ModelInput::new(&other, &device), &FfnHook::None));
    assert_close(&a, &b, 1e-5);
}

#[test]
fn trimmed_padding_changes_no_score_or_loss() {
    // Dropping the all-padding leading columns (positions kept) is exact: the same next-item
    // scores, with and without a hook at [MASK], and the same cloze loss.
    let model = common::tiny_model(20, 2).valid();
    let device = common::device();
    let (h1, h2) = ([ItemId(5), ItemId(6), ItemId(1)], [ItemId(2)]);
    let batch = SequenceBatch::next_item_queries(&[&h1, &h2], model.max_len, model.num_items);
    let trimmed = batch.clone().trim_padding();
    assert_eq!((trimmed.len, trimmed.first_position), (4, 8));
    let hooks = [FfnHook::None, FfnHook::Zero { neurons: vec![Neuron { layer: 1, index: 4 }], positions: Positions::Last }];
    for hook in &hooks {
        let a = values(model.next_item_scores(&ModelInput::new(&batch, &device), hook));
        let b = values(model.next_item_scores(&ModelInput::new(&trimmed, &device), hook));
        assert_close(&a, &b, 1e-5);
    }
    let sequences: Vec<&[ItemId]> = vec![&h1, &h2];
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let cloze = recforget::data::TrainingBatch::cloze(&sequences, &[0, 1], model.max_len, model.num_items, Default::default(), &mut rng);
    let whole = {
        let input = ModelInput::new(&cloze.input, &device);
        let hidden = model.encode(&input, &FfnHook::None).hidden;
        model.scores(recforget::model::loss::rows_at(hidden, &cloze.positions)) // untrimmed
    };
    let short = cloze.clone().trim_padding();
    assert!(short.input.len < cloze.input.len);
    let input = ModelInput::new(&short.input, &device);
    let hidden = model.encode(&input, &FfnHook::None).hidden;
    assert_close(&values(model.scores(recforget::model::loss::rows_at(hidden, &short.positions))), &values(whole.clone()), 1e-5);
    // cloze_loss trims on its own.
    let expected: f32 = recforget::model::loss::cross_entropy(whole, &cloze.targets).into_scalar();
    let loss: f32 = model.cloze_loss(&cloze, &device).into_scalar();
    assert!((loss - expected).abs() < 1e-5, "{loss} vs {expected}");
}

#[test]
fn replacing_activations_by_themselves_changes_nothing() {
    let model = common::tiny_model(20, 3);
    let h = [ItemId(1), ItemId(9), ItemId(4)];
    let x = input(&model, &[&h]);
    let plain = values(model.next_item_scores(&x, &FfnHook::None));
    let captured = model.encode(&x, &FfnHook::Capture).captured;
    for (layer, values_at_mask) in captured.iter().enumerate() {
        let hook = FfnHook::Replace { layer, values: values_at_mask.clone() };
        assert_close(&values(model.next_item_scores(&x, &hook)), &plain, 1e-5);
        let zero = FfnHook::Scale { layer, factors: Tensor::zeros([1, 1, 32], &common::device()) };
        let scaled = values(model.next_item_scores(&x, &zero));
        assert!(scaled.iter().zip(&plain).any(|(a, b)| (a - b).abs() > 1e-4));
    }
}

#[test]
fn restarting_above_a_layer_gives_the_same_scores() {
    let model = common::tiny_model(20, 4);
    let h = [ItemId(2), ItemId(3)];
    let x = input(&model, &[&h]);
    let encoding = model.encode(&x, &FfnHook::Capture);
    let inputs = model.layer_inputs(&x, &FfnHook::None);
    assert_eq!(inputs.len(), 2);
    let flat = |t: &Tensor<3>| t.clone().into_data().try_to_vec::<f32>().unwrap();
    assert_close(&flat(&inputs[1]), &flat(&encoding.layer_inputs[1]), 1e-6);
    let again = model.encode_from(1, inputs[1].clone(), x.attention_mask(), &FfnHook::None);
    let a = values(Bert4Rec::last_position(encoding.hidden));
    let b = values(Bert4Rec::last_position(again.hidden));
    assert_close(&a, &b, 1e-6);
}

#[test]
fn zero_hook_equals_zeroed_w2_rows() {
    let model = common::tiny_model(20, 5);
    let h = [ItemId(2), ItemId(3), ItemId(8)];
    let x = input(&model, &[&h]);
    let neurons = vec![Neuron { layer: 0, index: 3 }, Neuron { layer: 1, index: 17 }];
    let hooked = values(model.next_item_scores(&x, &FfnHook::Zero { neurons: neurons.clone(), positions: Positions::All }));
    // Zero the same rows of W2 by hand (the w2 bias stays).
    let mut edited = model.clone();
    for n in &neurons {
        let w2 = &mut edited.layers[n.layer].ffn.w2;
        let mut data = w2.weight.val().into_data().try_to_vec::<f32>().unwrap();
        data[n.index * 16..(n.index + 1) * 16].iter_mut().for_each(|v| *v = 0.0);
        let tensor = Tensor::from_data(TensorData::new(data, [32, 16]), &common::device());
        w2.weight = w2.weight.clone().map(|_| tensor);
    }
    let edited = values(edited.valid().next_item_scores(&x, &FfnHook::None));
    assert_close(&hooked, &edited, 1e-5);
}

#[test]
fn baseline_shapes_and_what_they_read() {
    use recforget::data::TrainingBatch;
    use recforget::model::{NextItemScorer, Recommender, RecommenderConfig};
    let device = common::device();
    device.seed(5);
    let gru = common::tiny_gru4rec(20).init(&device);
    let caser = common::tiny_caser(20, 3).init(&device);
    let h1 = [ItemId(1), ItemId(2), ItemId(3)];
    let h2 = [ItemId(4)];
    let batch = SequenceBatch::next_item_queries(&[&h1, &h2], 12, 20).with_users(&[0, 2]);
    let x = ModelInput::new(&batch, &device);
    assert_eq!(x.users.dims(), [2]);
    assert_eq!(gru.encode(&x).dims(), [2, 12, 16]);
    assert_eq!(gru.next_item_scores(&x).dims(), [2, 20]);
    assert_eq!(caser.next_item_scores(&x).dims(), [2, 20]);
    assert_eq!(caser.horizontal.len(), 3);
    assert_eq!(caser.horizontal[2].weight.dims(), [3 * 16, 4]);

    // Next-item models read the history, not the query's trailing [MASK]: a different last token
    // changes nothing, a different last history item changes the scores.
    let mut other = batch.clone();
    other.tokens[11] = 3;
    let y = ModelInput::new(&other, &device);
    assert_close(&values(gru.next_item_scores(&x)), &values(gru.next_item_scores(&y)), 1e-6);
    assert_close(&values(caser.next_item_scores(&x)), &values(caser.next_item_scores(&y)), 1e-6);
    other.tokens[10] = 9;
    let y = ModelInput::new(&other, &device);
    assert_ne!(values(gru.next_item_scores(&x)), values(gru.next_item_scores(&y)));
    assert_ne!(values(caser.next_item_scores(&x)), values(caser.next_item_scores(&y)));

    // Caser is personal: the same history scores differently for another user.
    let z = ModelInput::new(&batch.clone().with_users(&[1, 2]), &device);
    assert_ne!(values(caser.next_item_scores(&x)), values(caser.next_item_scores(&z)));

    // A training batch gives one scalar loss per model.
    let train = TrainingBatch::next_items(&[&h1, &h2], &[0, 1], 12, 20);
    for config in [RecommenderConfig::Gru4Rec(common::tiny_gru4rec(20)), RecommenderConfig::Caser(common::tiny_caser(20, 3))] {
        let model: Recommender = config.init(&device);
        assert_eq!(model.loss(&train, &device).dims(), [1]);
        assert_eq!((model.num_items(), model.max_len()), (20, 12));
    }
}

#[test]
fn fast_gelu_matches_burns_value_and_gradient() {
    use burn::tensor::Distribution;
    let device = common::device().autodiff();
    let x = Tensor::<3>::random([4, 7, 33], Distribution::Normal(0.0, 2.0), &device).require_grad();
    let w = Tensor::<3>::random([4, 7, 33], Distribution::Normal(0.0, 1.0), &device);
    let ours = recforget::model::gelu::apply(x.clone());
    let theirs = burn::tensor::activation::gelu(x.clone());
    let v = |t: Tensor<3>| t.into_data().try_to_vec::<f32>().unwrap();
    let (a, b) = (v(ours.clone()), v(theirs.clone()));
    assert_close(&a, &b, 1e-5);
    let grad = |y: Tensor<3>| v(x.grad(&(y * w.clone()).sum().backward()).unwrap());
    assert_close(&grad(ours), &grad(theirs), 1e-5);
    // Without gradients (inference), the same values.
    let plain = recforget::model::gelu::apply(x.clone().detach());
    assert_close(&v(plain), &b, 1e-5);
}

#[test]
fn fast_softmax_and_log_softmax_match_burns_value_and_gradient() {
    use burn::tensor::Distribution;
    use recforget::model::softmax::{log_softmax, softmax};
    let device = common::device().autodiff();
    // Scores of several magnitudes, some blocked as the attention blocks them (-1e9).
    let raw = Tensor::<3>::random([3, 5, 37], Distribution::Normal(0.0, 4.0), &device);
    let blocked: Vec<f32> = (0..3 * 5 * 37).map(|i| if i % 37 % 5 == 3 { -1.0e9 } else { 0.0 }).collect();
    let x = (raw + Tensor::<3>::from_data(TensorData::new(blocked, [3, 5, 37]), &device)).detach().require_grad();
    let w = Tensor::<3>::random([3, 5, 37], Distribution::Normal(0.0, 1.0), &device);
    let v = |t: Tensor<3>| t.into_data().try_to_vec::<f32>().unwrap();
    let grad = |y: Tensor<3>| v(x.grad(&(y * w.clone()).sum().backward()).unwrap());
    for (ours, theirs) in [
        (softmax(x.clone()), burn::tensor::activation::softmax(x.clone(), 2)),
        (log_softmax(x.clone()), burn::tensor::activation::log_softmax(x.clone(), 2)),
    ] {
        let expected = v(theirs.clone());
        // Blocked entries: log-probabilities near -1e9 agree to their own scale.
        let scale: Vec<f32> = expected.iter().map(|e| e.abs().max(1.0)).collect();
        let relative = |a: &[f32]| a.iter().zip(&scale).map(|(a, s)| a / s).collect::<Vec<_>>();
        assert_close(&relative(&v(ours.clone())), &relative(&expected), 1e-5);
        assert_close(&grad(ours), &grad(theirs), 1e-5);
    }
    // Without gradients (inference), the same values; −∞ is allowed there and gives 0.
    let plain = softmax(x.clone().detach());
    assert_close(&v(plain), &v(burn::tensor::activation::softmax(x.clone(), 2)), 1e-5);
    let hidden = Tensor::<2>::from_data(TensorData::new(vec![0.0, f32::NEG_INFINITY, 1.0, 0.0], [2, 2]), &common::device());
    let p = softmax(hidden).into_data().try_to_vec::<f32>().unwrap();
    assert_close(&p, &[1.0, 0.0, 0.731_058_6, 0.268_941_4], 1e-6);
}

#[test]
fn the_fused_cpu_attention_equals_the_step_by_step_one() {
    use burn::nn::DropoutConfig;
    use burn::tensor::module::attention;
    use burn::tensor::ops::AttentionModuleOptions;
    use burn::tensor::{Bool, Distribution};
    let device = common::device();
    let normal = |shape: [usize; 4]| Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
    let (q, k, v) = (normal([3, 2, 5, 8]), normal([3, 2, 9, 8]), normal([3, 2, 9, 8]));
    // Every third key blocked for every query, and a padding-like run in the first sequence; no
    // query has all its keys blocked (the [MASK] query never does).
    let blocked: Vec<bool> = (0..3 * 5 * 9).map(|i| (i % 9) % 3 == 1 || (i < 45 && i % 9 < 2)).collect();
    let blocked = Tensor::<4, Bool>::from_data(TensorData::new(blocked, [3, 1, 5, 9]), &device);
    let fused = attention(q.clone(), k.clone(), v.clone(), Some(blocked.clone()), None, AttentionModuleOptions::default());
    let steps = recforget::model::attention::attend(q, k, v, blocked, &DropoutConfig::new(0.0).init());
    assert_eq!(fused.dims(), [3, 2, 5, 8]);
    let flat = |t: Tensor<4>| t.into_data().try_to_vec::<f32>().unwrap();
    assert_close(&flat(fused), &flat(steps), 1e-5);
}
