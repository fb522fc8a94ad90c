//! Training, checkpoints and safetensors on seeded tiny models.

mod common;

use recforget::Error;
use recforget::checkpoint::{self, Checkpoint, CheckpointMeta};
use recforget::data::{ItemId, Split};
use recforget::metrics::{NegativeSampler, evaluate_cases, score_histories};
use recforget::model::FfnHook;
use recforget::train::{TrainEvent, Trainer, TrainingConfig};

fn scores(model: &recforget::model::Bert4Rec, h: &[ItemId]) -> Vec<f32> {
    score_histories(model, &[h], &FfnHook::None, &common::device()).unwrap().remove(0)
}

fn quick_config(num_items: usize, epochs: usize) -> TrainingConfig {
    TrainingConfig::new(common::tiny_config(num_items))
        .with_epochs(epochs)
        .with_batch_size(16)
        .with_learning_rate(2e-3)
        .with_validate_every(epochs)
        .with_seed(3)
}

#[test]
fn loss_falls_and_the_cycle_is_learned() {
    let ds = common::cyclic(64, 12, 10);
    let dir = tempfile::tempdir().unwrap();
    // Width 32 without dropout at a gentle rate: tiny post-LN models at width 16 or faster rates
    // sometimes stall on a plateau (loss ≈ ln 4) for some seeds; this setting learned the cycle
    // for all 16 seeds tried (final loss ≤ 0.95), so the test does not hang on the global RNG's
    // state, which tests running alongside share.
    let mut config = quick_config(12, 300).with_learning_rate(1e-3);
    config.model = config.model.with_d_model(32).with_d_ff(64).with_dropout(0.0);
    let trainer = Trainer {
        config,
        dataset: &ds,
        device: common::device(),
        dir: dir.path(),
        command: "test".into(),
        notes: String::new(),
    };
    let mut losses = Vec::new();
    trainer
        .run(|e| {
            if let TrainEvent::Epoch { mean_loss, .. } = e {
                losses.push(mean_loss)
            }
        })
        .unwrap();
    assert_eq!(losses.len(), 300);
    assert!(losses[299] < 0.6 * losses[0], "loss {} -> {}", losses[0], losses[299]);
    let ckpt = Checkpoint::load(dir.path(), &common::device()).unwrap();
    let sampler = NegativeSampler::new(&ds, 1);
    let results = evaluate_cases(&ckpt.model, &ds.eval_cases(Split::Test), &sampler, &FfnHook::None, 32, &common::device()).unwrap();
    let hits = results.iter().filter(|r| r.ranks[0] < 5).count();
    assert!(hits * 2 > results.len(), "only {hits}/{} next items in the top 5 of 12", results.len());
}

#[test]
fn a_step_split_across_threads_equals_the_single_threaded_step() {
    use burn::module::Module;
    use burn::optim::AdamConfig;
    use rand::SeedableRng;
    use recforget::data::{ClozeBatch, ClozeConfig};
    use recforget::train::train_step;

    let ds = common::cyclic(10, 12, 9);
    let train = ds.train_sequences();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let batch = ClozeBatch::sample(&train, 12, 12, ClozeConfig::default(), &mut rng);
    let device = common::device().autodiff();
    device.seed(8);
    let model = common::tiny_config(12).with_dropout(0.0).init(&device);
    let step = |threads| {
        let mut optimizer = AdamConfig::new().init();
        let (updated, loss) = train_step(model.clone(), &mut optimizer, &batch, 1e-2, threads, &device);
        (updated.valid(), loss)
    };
    let (one, loss_one) = step(1);
    let (two, loss_two) = step(2);
    assert!((loss_one - loss_two).abs() < 1e-5, "{loss_one} vs {loss_two}");
    let h = [ItemId(1), ItemId(2), ItemId(3)];
    let (a, b) = (scores(&one, &h), scores(&two, &h));
    let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "scores differ by {worst}");
    assert_ne!(scores(&model.valid(), &h), a, "the step changed nothing");
}

#[test]
fn resuming_continues_where_it_stopped() {
    let ds = common::cyclic(32, 10, 8);
    let dir = tempfile::tempdir().unwrap();
    let run = |epochs| {
        let trainer = Trainer {
            config: quick_config(10, epochs),
            dataset: &ds,
            device: common::device(),
            dir: dir.path(),
            command: "test".into(),
            notes: String::new(),
        };
        let mut seen = Vec::new();
        let state = trainer
            .run(|e| {
                if let TrainEvent::Epoch { epoch, .. } = e {
                    seen.push(epoch)
                }
            })
            .unwrap();
        (state, seen)
    };
    let (first, seen) = run(2);
    assert_eq!((first.epochs_done, seen), (2, vec![0, 1]));
    let (second, seen) = run(4);
    assert_eq!((second.epochs_done, seen), (4, vec![2, 3]));
}

#[test]
fn checkpoint_and_safetensors_round_trips_give_identical_scores() {
    let model = common::tiny_model(15, 9);
    let config = common::tiny_config(15);
    let ds = common::cyclic(4, 15, 6);
    let meta = CheckpointMeta {
        dataset: ds.name.clone(),
        vocabulary_fingerprint: ds.fingerprint(),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    checkpoint::save_parts(&model, &config, &meta, dir.path()).unwrap();
    let loaded = Checkpoint::load(dir.path(), &common::device()).unwrap();
    loaded.meta.check_vocabulary(&ds).unwrap();
    let h = [ItemId(1), ItemId(4), ItemId(2)];
    assert_eq!(scores(&model, &h), scores(&loaded.model, &h));

    let st = dir.path().join("model.safetensors");
    checkpoint::export_safetensors(&model, &st).unwrap();
    let imported = checkpoint::import_safetensors(&config, &st, &common::device()).unwrap();
    assert_eq!(scores(&model, &h), scores(&imported, &h));
}

#[test]
fn damaged_or_foreign_checkpoints_are_clear_errors() {
    let model = common::tiny_model(15, 9);
    let config = common::tiny_config(15);
    let ds = common::cyclic(4, 15, 6);
    let meta = CheckpointMeta {
        vocabulary_fingerprint: ds.fingerprint(),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    checkpoint::save_parts(&model, &config, &meta, dir.path()).unwrap();

    // Another vocabulary.
    let other = common::cyclic(4, 16, 6);
    let err = Checkpoint::load(dir.path(), &common::device()).unwrap().meta.check_vocabulary(&other).unwrap_err();
    assert!(matches!(err, Error::VocabularyMismatch { .. }), "{err}");

    // Truncated weights.
    let weights = dir.path().join(checkpoint::WEIGHTS_FILE);
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 3]).unwrap();
    let err = Checkpoint::load(dir.path(), &common::device()).unwrap_err();
    assert!(err.to_string().contains("model.bpk"), "{err}");

    // Weights of another shape.
    std::fs::write(&weights, &bytes).unwrap();
    let wrong = serde_json::to_vec(&common::tiny_config(15).with_d_ff(8)).unwrap();
    std::fs::write(dir.path().join(checkpoint::CONFIG_FILE), wrong).unwrap();
    let err = Checkpoint::load(dir.path(), &common::device()).unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");

    // Not a checkpoint folder at all.
    let empty = tempfile::tempdir().unwrap();
    let err = Checkpoint::load(empty.path(), &common::device()).unwrap_err();
    assert!(err.to_string().contains("recforget checkpoint"), "{err}");
}

#[test]
fn an_empty_history_is_refused() {
    let model = common::tiny_model(15, 1);
    let err = score_histories(&model, &[&[]], &FfnHook::None, &common::device()).unwrap_err();
    assert!(matches!(err, Error::EmptyHistory), "{err}");
}
