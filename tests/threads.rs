//! Splitting the CPU's work over threads does not change what a forget gives: a link forgets the
//! same on a visitor's machine whatever its cores (its own process: the dropout streams are
//! process-wide, and no other test draws from them meanwhile).

mod common;

use recforget::data::Genre;
use recforget::readback::Wait;
use recforget::unlearning::{EditedModel, ForgetConfig, Method, PART_SEQUENCES, RunContext, forget};

#[test]
fn a_distillation_is_the_same_on_one_thread_and_on_two() {
    let ds = common::two_genres(96, 12);
    let model = common::trained_on_two_genres(&ds);
    let original = EditedModel::new(model.clone());
    let mut config = ForgetConfig::with_methods(vec![Method::Distill]);
    config.distill.steps = 4;
    config.distill.batch_size = 2 * PART_SEQUENCES; // two parts: two threads run one each
    let device = common::device();
    let embedding = |threads| {
        let context = RunContext { device: &device, threads };
        let (_, edited) = forget(&original, &model, &ds, Genre::Action, &config, &context, |_| {}).wait().unwrap();
        edited.model.item_embedding.weight.val().into_data().try_to_vec::<f32>().unwrap()
    };
    let (one, two) = (embedding(1), embedding(2));
    let before = model.item_embedding.weight.val().into_data().try_to_vec::<f32>().unwrap();
    assert_ne!(one, before, "the distillation moved the item embeddings");
    let worst = one.iter().zip(&two).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "one thread and two differ by {worst}");
}
