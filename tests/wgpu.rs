//! The wgpu backend (Vulkan; lavapipe on a CPU-only machine, which scripts/test.sh installs):
//! the same weights score the same as on flex, and training runs there too.

mod common;

use burn::module::Module;
use burn::tensor::Device;
use recforget::data::ItemId;
use recforget::metrics::score_histories;
use recforget::model::FfnHook;
use recforget::readback::Wait;
use recforget::train::{Trainer, TrainingConfig};

/// The wgpu device, or `None` (the test skips, saying why) when there is no adapter.
fn wgpu() -> Option<Device> {
    match Device::wgpu_options().init() {
        Ok(device) => Some(device),
        Err(e)
            if common::may_skip(&format!(
                "no wgpu adapter ({e:?}): install a Vulkan driver (apt-get install mesa-vulkan-drivers libvulkan1)"
            )) =>
        {
            None
        }
        Err(_) => unreachable!("may_skip panics when skipping is not allowed"),
    }
}

#[test]
fn wgpu_scores_match_flex_and_training_runs() {
    let Some(device) = wgpu() else { return };
    let model = common::tiny_model(20, 21);
    let on_gpu = model.clone().to_device(&device);
    let h = [ItemId(3), ItemId(8), ItemId(1)];
    let a = score_histories(&model, &[&h], None, &FfnHook::None, &common::device()).wait().unwrap().remove(0);
    let b = score_histories(&on_gpu, &[&h], None, &FfnHook::None, &device).wait().unwrap().remove(0);
    let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "flex and wgpu differ by {worst}");

    let ds = common::cyclic(32, 12, 8);
    let dir = tempfile::tempdir().unwrap();
    let config = TrainingConfig::new(common::tiny_config(12).into()).with_epochs(2).with_batch_size(16).with_validate_every(2);
    let trainer = Trainer { device, ..common::trainer(config, &ds, dir.path()) };
    let state = trainer.run(|_| {}).unwrap();
    assert_eq!(state.epochs_done, 2);
    assert!(state.best_ndcg10.is_some_and(f64::is_finite));
}
