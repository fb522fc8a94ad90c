//! Training, checkpoints and safetensors on seeded tiny models.

mod common;

use recforget::Error;
use recforget::checkpoint::{self, Checkpoint, CheckpointMeta};
use recforget::data::{ItemId, Split};
use recforget::metrics::{NegativeSampler, evaluate_cases, score_histories};
use recforget::model::{Architecture, Bert4Rec, FfnHook, NextItemScorer, Recommender, RecommenderConfig};
use recforget::readback::Wait;
use recforget::train::{TrainEvent, Trainer, TrainingConfig};

fn scores(model: &impl NextItemScorer, h: &[ItemId]) -> Vec<f32> {
    score_histories(model, &[h], None, &FfnHook::None, &common::device()).wait().unwrap().remove(0)
}

fn quick_config(num_items: usize, epochs: usize) -> TrainingConfig {
    TrainingConfig::new(common::tiny_config(num_items).into())
        .with_epochs(epochs)
        .with_batch_size(16)
        .with_learning_rate(2e-3)
        .with_validate_every(epochs)
        .with_seed(3)
}

/// Trains `config` on a cycle of 12 items and checks that the loss fell and the next items are
/// ranked near the top.
fn learns_the_cycle(config: RecommenderConfig, learning_rate: f64, epochs: usize) {
    let ds = common::cyclic(64, 12, 10);
    let dir = tempfile::tempdir().unwrap();
    let config = TrainingConfig::new(config)
        .with_epochs(epochs)
        .with_batch_size(16)
        .with_learning_rate(learning_rate)
        .with_validate_every(epochs)
        .with_seed(3);
    let trainer = common::trainer(config, &ds, dir.path());
    let mut losses = Vec::new();
    trainer
        .run(|e| {
            if let TrainEvent::Epoch { mean_loss, .. } = e {
                losses.push(mean_loss)
            }
        })
        .unwrap();
    assert_eq!(losses.len(), epochs);
    assert!(losses[epochs - 1] < 0.6 * losses[0], "loss {} -> {}", losses[0], losses[epochs - 1]);
    let ckpt: Checkpoint<Recommender> = Checkpoint::load(dir.path(), &common::device()).unwrap();
    let sampler = NegativeSampler::new(&ds, 1);
    let results = evaluate_cases(
        &ckpt.model,
        &ds.eval_cases(Split::Test),
        &sampler,
        &FfnHook::None,
        32,
        &recforget::unlearning::RunContext::new(&common::device()),
    )
    .wait()
    .unwrap();
    let hits = results.iter().filter(|r| r.ranks[0] < 5).count();
    assert!(hits * 2 > results.len(), "only {hits}/{} next items in the top 5 of 12", results.len());
}

#[test]
fn bert4rec_learns_the_cycle() {
    // Width 32 without dropout at a gentle rate: tiny post-LN models at width 16 or faster rates
    // sometimes stall on a plateau (loss ≈ ln 4) for some seeds; this setting learned the cycle
    // for all 16 seeds tried (final loss ≤ 0.95), so the test does not hang on the global RNG's
    // state, which tests running alongside share.
    let config = common::tiny_config(12).with_d_model(32).with_d_ff(64).with_dropout(0.0);
    learns_the_cycle(config.into(), 1e-3, 300);
}

#[test]
fn gru4rec_learns_the_cycle() {
    learns_the_cycle(RecommenderConfig::Gru4Rec(common::tiny_gru4rec(12)), 1e-2, 60);
}

#[test]
fn caser_learns_the_cycle() {
    learns_the_cycle(RecommenderConfig::Caser(common::tiny_caser(12, 64)), 1e-2, 60);
}

#[test]
fn a_step_split_across_threads_equals_the_single_threaded_step() {
    use burn::module::Module;
    use burn::optim::AdamConfig;
    use rand::SeedableRng;
    use recforget::data::{ClozeConfig, TrainingBatch};
    use recforget::train::train_step;

    let ds = common::cyclic(10, 12, 9);
    let train = ds.train_sequences();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let users: Vec<usize> = (0..train.len()).collect();
    let batch = TrainingBatch::cloze(&train, &users, 12, 12, ClozeConfig::default(), &mut rng);
    let device = common::device().autodiff();
    device.seed(8);
    let model = Recommender::Bert4Rec(common::tiny_config(12).with_dropout(0.0).init(&device));
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
    let run = |epochs, time_limit, learning_rate| {
        let config = quick_config(10, epochs).with_learning_rate(learning_rate);
        let trainer = Trainer { time_limit, ..common::trainer(config, &ds, dir.path()) };
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
    let (first, seen) = run(2, None, 2e-3);
    assert_eq!((first.epochs_done, seen), (2, vec![0, 1]));
    // Out of time: one epoch runs, then the run stops, resumable.
    let (second, seen) = run(6, Some(std::time::Duration::ZERO), 2e-3);
    assert_eq!((second.epochs_done, seen), (3, vec![2]));
    // The last stretch runs at another learning rate: the record says so.
    let (third, seen) = run(6, None, 1e-3);
    assert_eq!((third.epochs_done, seen), (6, vec![3, 4, 5]));
    // Each run is one segment of the training record, also in the best checkpoint's metadata.
    let spans: Vec<_> = third.segments.iter().map(|s| (s.first_epoch, s.last_epoch, s.batch_size)).collect();
    assert_eq!(spans, [(1, 2, 16), (3, 3, 16), (4, 6, 16)]);
    let rates: Vec<_> = third.segments.iter().map(|s| s.learning_rate).collect();
    assert_eq!(rates, [Some(2e-3), Some(2e-3), Some(1e-3)]);
    assert!(third.segments[2].to_string().contains("lr 0.001"), "{}", third.segments[2]);
    assert!(third.segments.iter().all(|s| s.seconds > 0.0 && s.backend == recforget::Backend::Flex));
    let best: Checkpoint = Checkpoint::load(dir.path(), &common::device()).unwrap();
    assert_eq!(best.meta.segments.iter().map(|s| s.epochs()).sum::<usize>(), best.meta.epochs);
    // Every validation is recorded (when due, and at a run's last epoch), with pop100's figures;
    // the checkpoint's record ends at its epoch, and its NDCG@10 is the best one.
    let epochs: Vec<usize> = third.validation.iter().map(|v| v.epoch).collect();
    assert_eq!(epochs, [2, 3, 6]);
    assert!(third.validation.iter().all(|v| v.pop100_hr10.is_some() && v.pop100_ndcg10.is_some()));
    assert_eq!(best.meta.validation.last().map(|v| v.epoch), Some(best.meta.epochs));
    let best_ndcg = third.validation.iter().map(|v| v.ndcg10).fold(f64::MIN, f64::max);
    assert_eq!(best.meta.validation_ndcg10, Some(best_ndcg));
}

#[test]
fn checkpoint_and_safetensors_round_trips_give_identical_scores() {
    let model = common::tiny_model(15, 9);
    let config = common::tiny_config(15);
    let ds = common::cyclic(4, 15, 6);
    let meta = CheckpointMeta { dataset: ds.name.clone(), vocabulary_fingerprint: ds.fingerprint(), ..Default::default() };
    let dir = tempfile::tempdir().unwrap();
    checkpoint::save_parts(&model, &config, &meta, dir.path()).unwrap();
    let loaded: Checkpoint = Checkpoint::load(dir.path(), &common::device()).unwrap();
    loaded.meta.check_vocabulary(&ds).unwrap();
    let h = [ItemId(1), ItemId(4), ItemId(2)];
    assert_eq!(scores(&model, &h), scores(&loaded.model, &h));

    let st = dir.path().join("model.safetensors");
    checkpoint::export_safetensors(&model, &st).unwrap();
    assert!(checkpoint::is_export(&std::fs::read(&st).unwrap()), "an export carries recforget's writer mark");
    assert!(!checkpoint::is_export(b"\x20\0\0\0\0\0\0\0{\"__metadata__\":{\"format\":\"pt\"}}"));
    let imported = checkpoint::import_safetensors(&config, &st, &common::device()).unwrap();
    assert_eq!(scores(&model, &h), scores(&imported, &h));
}

#[test]
fn damaged_or_foreign_checkpoints_are_clear_errors() {
    let model = common::tiny_model(15, 9);
    let config = common::tiny_config(15);
    let ds = common::cyclic(4, 15, 6);
    let meta = CheckpointMeta { vocabulary_fingerprint: ds.fingerprint(), ..Default::default() };
    let dir = tempfile::tempdir().unwrap();
    checkpoint::save_parts(&model, &config, &meta, dir.path()).unwrap();

    // Another vocabulary.
    let other = common::cyclic(4, 16, 6);
    let err = Checkpoint::<Bert4Rec>::load(dir.path(), &common::device()).unwrap().meta.check_vocabulary(&other).unwrap_err();
    assert!(matches!(err, Error::VocabularyMismatch { .. }), "{err}");

    // One flipped byte: the checksum in meta.json tells.
    let weights = dir.path().join(checkpoint::WEIGHTS_FILE);
    let bytes = std::fs::read(&weights).unwrap();
    let mut flipped = bytes.clone();
    let at = flipped.len() - 7;
    flipped[at] ^= 0x20;
    std::fs::write(&weights, &flipped).unwrap();
    let err = Checkpoint::<Bert4Rec>::load(dir.path(), &common::device()).unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
    // Without a recorded checksum (older checkpoints) the load goes on to the other checks.
    let mut meta: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join(checkpoint::META_FILE)).unwrap()).unwrap();
    assert!(meta["weightsChecksum"].as_str().unwrap().starts_with("fnv1a64:"));
    meta.as_object_mut().unwrap().remove("weightsChecksum");
    std::fs::write(dir.path().join(checkpoint::META_FILE), serde_json::to_vec(&meta).unwrap()).unwrap();

    // Truncated weights.
    std::fs::write(&weights, &bytes[..bytes.len() / 3]).unwrap();
    let err = Checkpoint::<Bert4Rec>::load(dir.path(), &common::device()).unwrap_err();
    assert!(err.to_string().contains("model.bpk"), "{err}");

    // Weights of another shape.
    std::fs::write(&weights, &bytes).unwrap();
    let wrong = serde_json::to_vec(&common::tiny_config(15).with_d_ff(8)).unwrap();
    std::fs::write(dir.path().join(checkpoint::CONFIG_FILE), wrong).unwrap();
    let err = Checkpoint::<Bert4Rec>::load(dir.path(), &common::device()).unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");

    // Not a checkpoint folder at all.
    let empty = tempfile::tempdir().unwrap();
    let err = Checkpoint::<Recommender>::load(empty.path(), &common::device()).unwrap_err();
    assert!(err.to_string().contains("recforget checkpoint"), "{err}");
}

#[test]
fn an_empty_history_is_refused() {
    let model = common::tiny_model(15, 1);
    let err = score_histories(&model, &[&[]], None, &FfnHook::None, &common::device()).wait().unwrap_err();
    assert!(matches!(err, Error::EmptyHistory), "{err}");
}

#[test]
fn baseline_checkpoints_round_trip_and_refuse_bert4rec_only_uses() {
    let device = common::device();
    let ds = common::cyclic(4, 15, 6);
    let meta = CheckpointMeta { vocabulary_fingerprint: ds.fingerprint(), ..Default::default() };
    for config in [RecommenderConfig::Gru4Rec(common::tiny_gru4rec(15)), RecommenderConfig::Caser(common::tiny_caser(15, 4))] {
        device.seed(4);
        let model = config.init(&device);
        let dir = tempfile::tempdir().unwrap();
        checkpoint::save_parts(&model, &config, &meta, dir.path()).unwrap();
        let loaded: Checkpoint<Recommender> = Checkpoint::load(dir.path(), &device).unwrap();
        assert_eq!(loaded.config, config);
        let h = [ItemId(1), ItemId(4), ItemId(2)];
        assert_eq!(scores(&model, &h), scores(&loaded.model, &h), "{:?}", config.architecture());
        // Forgetting needs FFN neurons: loading it as BERT4Rec, or hooking it, says so.
        let err = Checkpoint::<Bert4Rec>::load(dir.path(), &device).unwrap_err();
        assert!(err.to_string().contains(config.architecture().name()), "{err}");
        let hook = FfnHook::Zero { neurons: vec![], positions: recforget::model::Positions::All };
        let err = score_histories(&loaded.model, &[&h], None, &hook, &device).wait().unwrap_err();
        assert!(err.to_string().contains("bert4rec"), "{err}");
    }
}

#[test]
fn configs_without_a_model_tag_are_bert4rec() {
    let legacy = serde_json::to_vec(&common::tiny_config(15)).unwrap();
    let parsed: RecommenderConfig = serde_json::from_slice(&legacy).unwrap();
    assert_eq!(parsed, RecommenderConfig::Bert4Rec(common::tiny_config(15)));
    let tagged = serde_json::to_value(RecommenderConfig::Gru4Rec(common::tiny_gru4rec(15))).unwrap();
    assert_eq!(tagged["model"], "gru4rec");
    assert_eq!(serde_json::from_value::<RecommenderConfig>(tagged).unwrap().architecture(), Architecture::Gru4Rec);
    // The committed checkpoint predates the tag and still loads.
    let shipped = std::fs::read(recforget::checkpoint::default_checkpoint_dir().join("config.json")).unwrap();
    let parsed: RecommenderConfig = serde_json::from_slice(&shipped).unwrap();
    assert_eq!(parsed.architecture(), Architecture::Bert4Rec);
}

#[test]
fn the_training_record_gives_cpu_time_when_epochs_ran_on_a_gpu() {
    use recforget::Backend;
    use recforget::checkpoint::TrainingSegment;
    let segment = |first_epoch, last_epoch, seconds, backend| TrainingSegment {
        first_epoch,
        last_epoch,
        seconds,
        batch_size: 128,
        learning_rate: None,
        backend,
        threads: 1,
        host_cores: 2,
        note: String::new(),
    };
    let meta = CheckpointMeta {
        epochs: 30,
        train_seconds: 105.0,
        segments: vec![segment(1, 10, 100.0, Backend::Flex), segment(11, 30, 5.0, Backend::Wgpu)],
        ..Default::default()
    };
    assert_eq!(meta.seconds_per_epoch(Backend::Flex), Some(10.0));
    assert_eq!(meta.seconds_per_epoch(Backend::Wgpu), Some(0.25));
    assert_eq!(meta.cpu_train_seconds(), Some(300.0));
    assert!(meta.training_summary().contains("epochs 11–30: wgpu, batch 128, 5 s"), "{}", meta.training_summary());
    // Before the record existed every epoch ran on the CPU.
    let old = CheckpointMeta { epochs: 4, train_seconds: 40.0, ..Default::default() };
    assert_eq!(old.cpu_train_seconds(), Some(40.0));
    assert_eq!(old.seconds_per_epoch(Backend::Wgpu), None);
    // Nothing on the CPU: no CPU time to compare with.
    let gpu_only = CheckpointMeta { epochs: 20, segments: vec![segment(1, 20, 5.0, Backend::Wgpu)], ..Default::default() };
    assert_eq!(gpu_only.cpu_train_seconds(), None);
}

#[test]
fn the_training_record_reads_epochs_steps_and_the_validation_curve() {
    use recforget::report::training::{Role, TrainingRecord, TrainingReport, markdown, validation_svg};
    let ds = common::cyclic(32, 10, 8);
    let dir = tempfile::tempdir().unwrap();
    let trainer = Trainer {
        time_limit: Some(std::time::Duration::ZERO),
        ..common::trainer(quick_config(10, 4).with_validate_every(2), &ds, dir.path())
    };
    trainer.run(|_| {}).unwrap();
    // Stopped after one epoch of four: the record says so, with the one validation it made.
    let record = TrainingRecord::read(Role::Retrained(recforget::data::Genre::Action), dir.path(), &ds, Some(4)).unwrap().unwrap();
    assert_eq!((record.epochs_trained, record.meta.epochs, record.in_progress()), (1, 1, true));
    // 32 users, batch 16: two optimizer steps an epoch.
    assert_eq!(record.steps, 2);
    assert_eq!(record.validation.iter().map(|v| v.epoch).collect::<Vec<_>>(), [1]);
    let report = TrainingReport { command: "test".into(), models: vec![record] };
    let md = markdown(&report);
    assert!(md.contains("| retrained without Action |") && md.contains("1 of 4 epochs"), "{md}");
    assert!(validation_svg(&report).contains("w/o Action (so far)"));
    // No checkpoint in a folder: no record, not an error.
    let empty = tempfile::tempdir().unwrap();
    assert!(TrainingRecord::read(Role::Original, empty.path(), &ds, None).unwrap().is_none());
}

#[test]
fn patience_stops_when_validation_stops_improving() {
    let ds = common::cyclic(32, 10, 8);
    let dir = tempfile::tempdir().unwrap();
    // A learning rate of zero: the model never changes, so no validation after the first beats it.
    let trainer = Trainer {
        patience: Some(2),
        ..common::trainer(quick_config(10, 20).with_validate_every(1).with_learning_rate(0.0), &ds, dir.path())
    };
    let state = trainer.run(|_| {}).unwrap();
    assert_eq!((state.epochs_done, state.validations_since_best()), (3, 2));
    // Run again, it trains no further.
    assert_eq!(trainer.run(|_| {}).unwrap().epochs_done, 3);
    let best: Checkpoint = Checkpoint::load(dir.path(), &common::device()).unwrap();
    assert_eq!(best.meta.epochs, 1);
    // The saved model is epoch 1's, and its meta says training went on to epoch 3 (the page
    // tells a finished run from one still training by it).
    assert_eq!(best.meta.trained_through(), 3);
}

#[test]
fn a_save_stopped_at_any_byte_leaves_a_checkpoint_that_loads() {
    use recforget::fsutil::CrashAfter;
    let config = common::tiny_config(15);
    let ds = common::cyclic(4, 15, 6);
    let (old, new) = (common::tiny_model(15, 1), common::tiny_model(15, 2));
    let meta = |epochs| CheckpointMeta { vocabulary_fingerprint: ds.fingerprint(), epochs, ..Default::default() };
    let h = [ItemId(1), ItemId(4), ItemId(2)];
    let total = {
        let dir = tempfile::tempdir().unwrap();
        checkpoint::save_parts(&new, &config, &meta(2), dir.path()).unwrap();
        ["config.json", "model.bpk", "meta.json"]
            .iter()
            .map(|f| std::fs::metadata(dir.path().join(f)).unwrap().len() as usize)
            .sum::<usize>()
    };
    // Every few bytes through the three files, then every unit of the commit.
    let points: Vec<usize> = (0..total).step_by(997).chain(total..total + 700).collect();
    let mut versions = [0, 0];
    for n in points {
        let dir = tempfile::tempdir().unwrap();
        checkpoint::save_parts(&old, &config, &meta(1), dir.path()).unwrap();
        let _ = checkpoint::save_parts_until(&new, &config, &meta(2), dir.path(), &mut CrashAfter(Some(n)));
        let loaded: Checkpoint = Checkpoint::load(dir.path(), &common::device()).unwrap_or_else(|e| panic!("after a stop at {n}: {e}"));
        let expected = if loaded.meta.epochs == 1 { &old } else { &new };
        assert_eq!(scores(&loaded.model, &h), scores(expected, &h), "weights and meta disagree after a stop at {n}");
        versions[loaded.meta.epochs - 1] += 1;
    }
    assert!(versions[0] > 0 && versions[1] > 0, "{versions:?}");
}

#[test]
fn training_never_writes_over_a_finished_checkpoint_or_someone_elses_folder() {
    let ds = common::cyclic(16, 12, 8);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let err = common::trainer(quick_config(12, 1), &ds, dir.path()).run(|_| {}).unwrap_err().to_string();
    assert!(err.contains("notes.txt") && err.contains("did not write"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(), "mine");

    let finished = tempfile::tempdir().unwrap();
    common::trainer(quick_config(12, 1), &ds, finished.path()).run(|_| {}).unwrap();
    std::fs::remove_dir_all(finished.path().join("resume")).unwrap();
    let before = std::fs::read(finished.path().join(checkpoint::WEIGHTS_FILE)).unwrap();
    let err = common::trainer(quick_config(12, 2), &ds, finished.path()).run(|_| {}).unwrap_err().to_string();
    assert!(err.contains("finished checkpoint"), "{err}");
    assert_eq!(std::fs::read(finished.path().join(checkpoint::WEIGHTS_FILE)).unwrap(), before);
}

#[test]
fn a_model_with_broken_weights_is_an_error_never_a_metric() {
    use burn::module::Param;
    use burn::tensor::Tensor;
    let ds = common::cyclic(8, 15, 6);
    let mut model = common::tiny_model(15, 1);
    model.output_bias = Param::from_tensor(Tensor::<1>::full([15], f32::NAN, &common::device()));
    let err = score_histories(&model, &[&[ItemId(1)]], None, &FfnHook::None, &common::device()).wait().unwrap_err();
    assert!(matches!(err, Error::NonFinite(_)), "{err}");
    let cases = ds.eval_cases(Split::Test);
    let err = evaluate_cases(
        &model,
        &cases,
        &NegativeSampler::new(&ds, 1),
        &FfnHook::None,
        8,
        &recforget::unlearning::RunContext::new(&common::device()),
    )
    .wait()
    .unwrap_err();
    assert!(err.to_string().contains("non-finite"), "{err}");
}

#[test]
fn a_non_finite_loss_stops_training_and_keeps_the_last_good_epoch() {
    let ds = common::cyclic(16, 12, 8);
    let dir = tempfile::tempdir().unwrap();
    common::trainer(quick_config(12, 1), &ds, dir.path()).run(|_| {}).unwrap();
    let before = std::fs::read(dir.path().join("resume/model.bpk")).unwrap();
    let exploding = quick_config(12, 3).with_learning_rate(f64::MAX);
    let err = common::trainer(exploding, &ds, dir.path()).run(|_| {}).unwrap_err();
    assert!(matches!(err, Error::NonFinite(_)), "{err}");
    assert!(std::fs::read(dir.path().join("resume/model.bpk")).unwrap() == before, "the resume files moved on");
    let loaded: Checkpoint = Checkpoint::load(dir.path(), &common::device()).unwrap();
    assert_eq!(loaded.meta.epochs, 1);
}

#[test]
fn a_run_on_other_data_never_continues_a_checkpoint() {
    let ds = common::two_genres(16, 10);
    let dir = tempfile::tempdir().unwrap();
    common::trainer(quick_config(ds.num_items(), 1), &ds, dir.path()).run(|_| {}).unwrap();
    let without = ds.without_genre_in_training(recforget::data::Genre::Action);
    let err = common::trainer(quick_config(ds.num_items(), 2), &without, dir.path()).run(|_| {}).unwrap_err().to_string();
    assert!(err.contains("two-genres-without-Action") && err.contains("another --out"), "{err}");
}

#[test]
fn a_resume_on_other_interactions_is_refused_even_under_the_same_name() {
    // The name is what the checkpoint's meta checks; the interactions are what the resume checks
    // (an edited deletion file keeps its name, and a run stopped early has no meta yet).
    let ds = common::two_genres(16, 10);
    let dir = tempfile::tempdir().unwrap();
    common::trainer(quick_config(ds.num_items(), 1), &ds, dir.path()).run(|_| {}).unwrap();
    let before = std::fs::read(dir.path().join("resume/model.bpk")).unwrap();
    let mut other = ds.without_genre_in_training(recforget::data::Genre::Action);
    other.name = ds.name.clone();
    let err = common::trainer(quick_config(ds.num_items(), 2), &other, dir.path()).run(|_| {}).unwrap_err().to_string();
    assert!(err.contains("other interactions") && err.contains("another --out"), "{err}");
    assert!(std::fs::read(dir.path().join("resume/model.bpk")).unwrap() == before, "the resume files moved on");
    // The same data goes on.
    assert_eq!(common::trainer(quick_config(ds.num_items(), 2), &ds, dir.path()).run(|_| {}).unwrap().epochs_done, 2);
}
