//! Splitting the CPU's work over threads does not change what a forget (of a genre, or of a
//! person's history) gives: a link forgets the same on a visitor's machine whatever its cores (its own process: the dropout streams are
//! process-wide, and no other test draws from them meanwhile).

mod common;

use recforget::data::{Deletion, DeletionSet, Genre, Scope, Users};
use recforget::readback::Wait;
use recforget::unlearning::{EditedModel, ForgetConfig, Method, PART_SEQUENCES, RunContext, forget};

/// Held by each test while it runs: the dropout streams are the whole process's.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_distillation_is_the_same_on_one_thread_and_on_two() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
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

#[test]
fn a_persons_deletion_is_the_same_on_one_thread_and_on_two() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    use recforget::unlearning::deletion::{DeletionConfig, DeletionMethod, unlearn};
    let ds = common::two_genres(24, 14);
    let model = common::trained_on_two_genres(&ds);
    let deletions = DeletionSet { name: "d".into(), requests: vec![Deletion { users: Users::Keys(vec!["u0".into()]), scope: Scope::All }] };
    let config = DeletionConfig { steps: 4, batch_size: 8, ..Default::default() };
    let device = common::device();
    let embedding = |threads| {
        let context = RunContext { device: &device, threads };
        let unlearned = unlearn(&model, &ds, &deletions, DeletionMethod::NegGradPlus, &config, &context).wait().unwrap();
        unlearned.item_embedding.weight.val().into_data().try_to_vec::<f32>().unwrap()
    };
    let (one, two) = (embedding(1), embedding(2));
    let before = model.item_embedding.weight.val().into_data().try_to_vec::<f32>().unwrap();
    assert_ne!(one, before, "NegGrad+ moved the item embeddings");
    let worst = one.iter().zip(&two).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "one thread and two differ by {worst}");
}
