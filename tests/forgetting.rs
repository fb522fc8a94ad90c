//! The unlearning methods behind one seam, on a synthetic two-genre data set and a tiny seeded
//! model: distillation forgets, edits compose, rows and filters do what they say.

mod common;

use std::sync::OnceLock;

use recforget::data::{Dataset, Genre, ItemId, Split};
use recforget::measurement::{EvalContext, MeasureSettings, measure};
use recforget::metrics::{NegativeSampler, score_histories};
use recforget::model::{Bert4Rec, FfnHook};
use recforget::readback::Wait;
use recforget::unlearning::{Edit, EditedModel, ForgetConfig, Method, MethodDetails, View, forget};

/// The data and the trained model, shared by the tests (training takes a few seconds).
/// Forgets `genre` from `state` with `config` on the test device, waiting for it.
fn forget_now(
    state: &EditedModel,
    model: &Bert4Rec,
    ds: &Dataset,
    genre: Genre,
    config: &ForgetConfig,
) -> recforget::Result<(Vec<recforget::unlearning::ForgetReport>, EditedModel)> {
    forget(state, model, ds, genre, config, &recforget::unlearning::RunContext::new(&common::device()), |_| {}).wait()
}

fn fixture() -> &'static (Dataset, Bert4Rec) {
    static FIXTURE: OnceLock<(Dataset, Bert4Rec)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let ds = common::two_genres(96, 12);
        let model = common::trained_on_two_genres(&ds);
        (ds, model)
    })
}

/// Mean probability mass of `genre`'s items at the next position, over the test histories
/// (as the edited model is given them) of every user.
fn genre_mass(edited: &EditedModel, ds: &Dataset, genre: Genre, view: View) -> f64 {
    let cases = edited.cases(ds, ds.eval_cases(Split::Test));
    let histories: Vec<&[ItemId]> = cases.iter().map(|c| c.history.as_slice()).collect();
    let rows = score_histories(&edited.view(view), &histories, None, &FfnHook::None, &common::device()).wait().unwrap();
    let mass: f64 = rows
        .iter()
        .map(|row| {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
            let total: f64 = row.iter().map(|&v| (v as f64 - max).exp()).sum();
            let genre: f64 = (0..row.len()).filter(|&i| ds.has_genre(ItemId(i as u32), genre)).map(|i| (row[i] as f64 - max).exp()).sum();
            genre / total
        })
        .sum();
    mass / rows.len() as f64
}

/// Accuracy on `genre`: the share of the test users whose next item is of `genre` whose top
/// recommendation is of `genre` too.
fn genre_accuracy(edited: &EditedModel, ds: &Dataset, genre: Genre) -> f64 {
    let cases: Vec<_> = edited.cases(ds, ds.eval_cases(Split::Test)).into_iter().filter(|c| ds.has_genre(c.target, genre)).collect();
    let sampler = NegativeSampler::new(ds, 1);
    let results = recforget::metrics::evaluate_cases(
        &edited.view(View::Served),
        &cases,
        &sampler,
        &FfnHook::None,
        64,
        &recforget::unlearning::RunContext::new(&common::device()),
    )
    .wait()
    .unwrap();
    results.iter().filter(|r| ds.has_genre(r.top[0], genre)).count() as f64 / results.len() as f64
}

/// The item embedding, `[num_items + 2, d_model]` flattened, and the output biases.
fn embedding_of(m: &Bert4Rec) -> Vec<f32> {
    m.item_embedding.weight.val().into_data().try_to_vec::<f32>().unwrap()
}
fn bias_of(m: &Bert4Rec) -> Vec<f32> {
    m.output_bias.val().into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn distill_drives_the_genre_mass_near_zero_and_keeps_the_other_genre() {
    let (ds, model) = fixture();
    let original = EditedModel::new(model.clone());
    let before_mass = genre_mass(&original, ds, Genre::Action, View::Weights);
    let before_comedy = genre_accuracy(&original, ds, Genre::Comedy);
    assert!(before_mass > 0.3, "the trained model recommends Action ({before_mass:.3})");
    assert!(before_comedy > 0.9, "the trained model predicts Comedy for Comedy fans ({before_comedy:.3})");
    let mut config = ForgetConfig::with_methods(vec![Method::Distill]);
    config.distill.steps = 40;
    config.distill.batch_size = 16;
    config.distill.learning_rate = 3e-3;
    let (reports, edited) = forget_now(&original, model, ds, Genre::Action, &config).unwrap();
    let MethodDetails::Distill(details) = &reports[0].details else { panic!("a distill report") };
    assert_eq!(details.losses.len(), 40);
    assert_eq!(reports[0].work.optimizer_steps, 40);
    let after_mass = genre_mass(&edited, ds, Genre::Action, View::Weights);
    let after_comedy = genre_accuracy(&edited, ds, Genre::Comedy);
    assert!(after_mass < 0.05, "Action mass {before_mass:.3} → {after_mass:.3}");
    assert!(after_comedy >= 0.9 * before_comedy, "Comedy accuracy {before_comedy:.3} → {after_comedy:.3}");
}

#[test]
fn rows_reset_only_the_genres_own_rows() {
    let (ds, model) = fixture();
    let original = EditedModel::new(model.clone());
    let config = ForgetConfig::with_methods(vec![Method::Rows]);
    let (reports, edited) = forget_now(&original, model, ds, Genre::Action, &config).unwrap();
    let MethodDetails::Rows(details) = &reports[0].details else { panic!("a rows report") };
    assert_eq!(details.items, 16);
    let (b0, b1) = (bias_of(model), bias_of(&edited.model));
    let lowest_comedy = b1[16..].iter().copied().fold(f32::INFINITY, f32::min);
    assert!(b1[..16].iter().all(|&b| b < lowest_comedy), "Action biases below every Comedy bias");
    assert_eq!(b0[16..], b1[16..]);
    let d = model.dims().0; // embedding rows: 0 PAD, 1..=32 items, 33 MASK; d_model wide
    let (e0, e1) = (embedding_of(model), embedding_of(&edited.model));
    assert_eq!(e0[..d], e1[..d], "PAD unchanged");
    for item in 0..16 {
        assert_ne!(e0[(item + 1) * d..(item + 2) * d], e1[(item + 1) * d..(item + 2) * d], "Action row {item} re-drawn");
    }
    assert_eq!(e0[17 * d..], e1[17 * d..], "Comedy and MASK rows unchanged");
    // Seeded: the same run gives the same rows.
    let (_, again) = forget_now(&original, model, ds, Genre::Action, &config).unwrap();
    assert_eq!(embedding_of(&again.model), e1);
}

#[test]
fn the_rows_refit_moves_only_the_genres_rows_and_lowers_its_loss() {
    let (ds, model) = fixture();
    let original = EditedModel::new(model.clone());
    let reset = ForgetConfig::with_methods(vec![Method::Rows]);
    let (_, drawn) = forget_now(&original, model, ds, Genre::Action, &reset).unwrap();
    let mut config = reset.clone();
    config.rows.refit.steps = 30;
    config.rows.refit.batch_size = 16;
    config.rows.refit.learning_rate = 1e-2;
    let (reports, refitted) = forget_now(&original, model, ds, Genre::Action, &config).unwrap();
    let MethodDetails::Rows(details) = &reports[0].details else { panic!("a rows report") };
    assert_eq!(details.refit_losses.len(), 30);
    assert_eq!(reports[0].work.optimizer_steps, 30);
    let mean = |l: &[f32]| l.iter().sum::<f32>() / l.len() as f32;
    let (first, last) = (mean(&details.refit_losses[..10]), mean(&details.refit_losses[20..]));
    assert!(last < first, "the re-fit's loss falls ({first:.4} → {last:.4})");
    let d = model.dims().0;
    let (e0, e1) = (embedding_of(&drawn.model), embedding_of(&refitted.model));
    assert_ne!(e0[d..17 * d], e1[d..17 * d], "the Action rows moved");
    assert_eq!(e0[..d], e1[..d], "PAD unchanged");
    assert_eq!(e0[17 * d..34 * d], e1[17 * d..34 * d], "Comedy and MASK rows unchanged");
    let (b0, b1) = (bias_of(&drawn.model), bias_of(&refitted.model));
    assert_ne!(b0[..16], b1[..16], "the Action biases moved");
    assert_eq!(b0[16..], b1[16..], "Comedy biases unchanged");
    // Every shared weight stays as it was.
    let shared = |m: &Bert4Rec| m.layers[0].ffn.w2.weight.val().into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(shared(&drawn.model), shared(&refitted.model));
}

#[test]
fn the_filter_hides_the_genre_when_served_and_leaves_the_weights() {
    let (ds, model) = fixture();
    let original = EditedModel::new(model.clone());
    let config = ForgetConfig::with_methods(vec![Method::Filter]);
    let (_, edited) = forget_now(&original, model, ds, Genre::Action, &config).unwrap();
    assert!(genre_mass(&edited, ds, Genre::Action, View::Served) == 0.0);
    // Read without the filter it is the original model (given the same histories).
    let mut same_histories = original.clone();
    same_histories.forgotten = vec![Genre::Action];
    let unfiltered = genre_mass(&same_histories, ds, Genre::Action, View::Weights);
    assert!(unfiltered > 0.0);
    assert_eq!(genre_mass(&edited, ds, Genre::Action, View::Weights), unfiltered);
    let h = [ItemId(17), ItemId(18)];
    let plain = score_histories(model, &[&h], None, &FfnHook::None, &common::device()).wait().unwrap();
    let weights = score_histories(&edited.view(View::Weights), &[&h], None, &FfnHook::None, &common::device()).wait().unwrap();
    assert_eq!(plain, weights);
}

#[test]
fn edits_compose_across_genres_and_methods() {
    let (ds, model) = fixture();
    let original = EditedModel::new(model.clone());
    let mut paper = ForgetConfig::default();
    paper.neurons.sequences = 16;
    paper.neurons.ig.steps = 4;
    paper.neurons.edit = Edit::SuppressAtMask;
    let (first, after_action) = forget_now(&original, model, ds, Genre::Action, &paper).unwrap();
    let action_neurons = first[0].neurons().unwrap().screening.neurons.clone();
    assert!(!action_neurons.is_empty(), "screening found neurons for Action");
    let (second, after_both) = forget_now(&after_action, model, ds, Genre::Comedy, &paper).unwrap();
    // Both suppressions are kept (forgetting Comedy used to drop Action's).
    for n in &action_neurons {
        assert!(after_both.suppressed.contains(n), "{n:?} is still suppressed");
    }
    for n in &second[0].neurons().unwrap().screening.neurons {
        assert!(after_both.suppressed.contains(n));
    }
    assert_eq!(after_both.forgotten, vec![Genre::Action, Genre::Comedy]);
    // Attribution for Comedy ran on the model with Action's edit: suppressed neurons are silent.
    let mean = &second[0].neurons().unwrap().mean_attribution;
    for n in &action_neurons {
        assert_eq!(mean[n.layer][n.index], 0.0, "{n:?} was attributed although suppressed");
    }
    // Mixed methods and edit kinds: rows and the filter for Action, then the paper's method
    // (suppression) for Comedy: the result carries all three edits.
    let (_, action) =
        forget_now(&original, model, ds, Genre::Action, &ForgetConfig::with_methods(vec![Method::Rows, Method::Filter])).unwrap();
    let (_, both) = forget_now(&action, model, ds, Genre::Comedy, &paper).unwrap();
    assert!(both.hidden[..16].iter().all(|&h| h) && both.hidden[16..].iter().all(|&h| !h));
    assert_eq!(
        both.model.output_bias.val().into_data().try_to_vec::<f32>().unwrap()[..16],
        action.model.output_bias.val().into_data().try_to_vec::<f32>().unwrap()[..16]
    );
    assert!(!both.suppressed.is_empty());
    let h = [ItemId(17), ItemId(18)];
    let served = score_histories(&both.view(View::Served), &[&h], None, &FfnHook::None, &common::device()).wait().unwrap().remove(0);
    assert!(served[..16].iter().all(|&s| s == f32::NEG_INFINITY) && served[16..].iter().all(|s| s.is_finite()));
    // With both genres deleted nothing is left to distil on: a clear error.
    let error = forget_now(&both, model, ds, Genre::Comedy, &ForgetConfig::with_methods(vec![Method::Distill])).unwrap_err().to_string();
    assert!(error.contains("nothing to distil on"), "{error}");
}

#[test]
fn one_measurement_tells_a_filter_from_unlearning() {
    let (ds, model) = fixture();
    let original = EditedModel::new(model.clone());
    let (_, filtered) = forget_now(&original, model, ds, Genre::Action, &ForgetConfig::with_methods(vec![Method::Filter])).unwrap();
    let (_, rows) = forget_now(&original, model, ds, Genre::Action, &ForgetConfig::with_methods(vec![Method::Rows])).unwrap();
    let cases = ds.eval_cases(Split::Test);
    let sampler = NegativeSampler::new(ds, 3);
    let ctx = EvalContext { dataset: ds, cases: &cases, sampler: &sampler, device: &common::device() };
    let settings = MeasureSettings {
        membership_users: 96,
        min_watchers: 5,
        deleted_interactions: 200,
        kl_users: 40,
        draws: 100,
        ..MeasureSettings::default()
    };
    let m = measure(
        &ctx,
        Genre::Action,
        &[("original", &original), ("filter", &filtered), ("rows", &rows)],
        Some(&rows),
        None,
        &settings,
        recforget::parallel::threads_for(ctx.device),
    )
    .wait()
    .unwrap();
    assert_eq!(
        m.models.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
        vec!["original", "deletion only", "filter", "rows", "retrained"]
    );
    let original_figures = &m.get("original").unwrap().served;
    assert!(original_figures.removal.is_empty(), "the original is the reference");
    assert!(original_figures.share > 0.2);
    let filter = m.get("filter").unwrap();
    assert_eq!(filter.served.share, 0.0);
    // Every Action target ties with the other 15 Action items at −∞: no hit is left.
    assert_eq!(filter.served.removal[0].rate, 1.0);
    // Served, every Action score is −∞: the scores cannot tell anyone apart.
    assert_eq!(filter.served.membership.user_auc, 0.5);
    assert_eq!(filter.served.deleted.hr10, 0.0);
    let weights = filter.weights.as_ref().expect("a filter is also measured from its weights");
    assert!(weights.share > 0.2, "the weights still recommend Action");
    assert!(weights.deleted.hr10 > filter.served.deleted.hr10);
    // Measured against itself as the retrained model, rows is exactly as close as can be.
    let rows_figures = &m.get("rows").unwrap().served;
    let closeness = rows_figures.closeness.unwrap();
    assert_eq!(closeness.overlap, 1.0);
    assert!(closeness.kl.abs() < 1e-9);
}

#[test]
fn the_relearn_test_records_a_curve_from_the_forgotten_state() {
    use recforget::measurement::{RelearnSettings, relearn};
    let (ds, model) = fixture();
    let original = EditedModel::new(model.clone());
    let (_, rows) = forget_now(&original, model, ds, Genre::Action, &ForgetConfig::with_methods(vec![Method::Rows])).unwrap();
    let cases = ds.eval_cases(Split::Test);
    let sampler = NegativeSampler::new(ds, 3);
    let ctx = EvalContext { dataset: ds, cases: &cases, sampler: &sampler, device: &common::device() };
    let settings = RelearnSettings { users: 16, steps: 6, every: 3, batch_size: 8, eval_users: 96, ..RelearnSettings::default() };
    let known = relearn(&ctx, Genre::Action, &original, &settings).unwrap();
    let forgotten = relearn(&ctx, Genre::Action, &rows, &settings).unwrap();
    assert_eq!(forgotten.iter().map(|p| p.step).collect::<Vec<_>>(), vec![0, 3, 6]);
    // Before any fine-tuning the original knows Action and the reset rows far less (with 32
    // items, a few low-biased Action items still fill the top-10 of users with short histories).
    assert!(known[0].genre_hr10 > 0.5 && known[0].share > 0.2, "{known:?}");
    assert!(forgotten[0].genre_hr10 < known[0].genre_hr10 / 4.0, "{forgotten:?} against {known:?}");
    assert!(forgotten.iter().all(|p| (0.0..=1.0).contains(&p.genre_hr10)));
}

#[test]
fn salient_distillation_moves_only_the_attribution_ranked_neurons() {
    use recforget::unlearning::Trainable;
    let (ds, model) = fixture();
    let original = EditedModel::new(model.clone());
    let mut config = ForgetConfig::with_methods(vec![Method::Distill]);
    config.distill.steps = 3;
    config.distill.batch_size = 8;
    config.distill.trainable = Trainable::Salient { neurons: 4 };
    let (reports, edited) = forget_now(&original, model, ds, Genre::Action, &config).unwrap();
    assert!(reports[0].work.backward > 3 * 8, "the attribution's passes are counted");
    let values = |t: burn::tensor::Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap();
    let mut moved = 0;
    for (before, after) in model.layers.iter().zip(&edited.model.layers) {
        let (w0, w1) = (values(before.ffn.w1.weight.val()), values(after.ffn.w1.weight.val()));
        let [d_model, d_ff] = before.ffn.w1.weight.shape().dims();
        // W1 is [d_model, d_ff]: neuron j is column j.
        moved += (0..d_ff).filter(|&j| (0..d_model).any(|i| w0[i * d_ff + j] != w1[i * d_ff + j])).count();
        assert_eq!(before.attention.query.weight.val().into_data(), after.attention.query.weight.val().into_data());
    }
    assert!((1..=4).contains(&moved), "{moved} neurons moved");
    assert_eq!(model.item_embedding.weight.val().into_data(), edited.model.item_embedding.weight.val().into_data());
}

#[test]
fn a_methods_report_measures_one_genre_and_keeps_the_others() {
    use recforget::measurement::RelearnSettings;
    use recforget::report::methods::{MethodsPlan, MethodsReport, genre_methods, markdown};
    let (ds, model) = fixture();
    let cases = ds.eval_cases(Split::Test);
    let sampler = NegativeSampler::new(ds, 3);
    let ctx = EvalContext { dataset: ds, cases: &cases, sampler: &sampler, device: &common::device() };
    let mut config = ForgetConfig::default();
    config.distill.steps = 2;
    let settings = MeasureSettings {
        membership_users: 96,
        min_watchers: 5,
        deleted_interactions: 50,
        kl_users: 20,
        draws: 10,
        ..MeasureSettings::default()
    };
    let report = |command: &str, genres: &[Genre]| {
        let plan = MethodsPlan { command, config: &config, settings: &settings, relearn: None, tradeoff_steps: &[] };
        let genres = genres.iter().map(|&g| genre_methods(&ctx, model, g, &plan, None, None).unwrap()).collect();
        MethodsReport {
            original: "tiny".into(),
            test_users: cases.len(),
            config: config.clone(),
            settings,
            relearn_settings: RelearnSettings::default(),
            genres,
        }
    };
    let both = report("first", &[Genre::Action, Genre::Comedy]);
    let names = |r: &MethodsReport| r.genres.iter().map(|g| (g.genre, g.command.clone())).collect::<Vec<_>>();
    let mut comedy = report("second", &[Genre::Comedy]);
    assert!(comedy.keep_earlier(both.clone()));
    assert_eq!(names(&comedy), vec![(Genre::Action, "first".to_string()), (Genre::Comedy, "second".to_string())]);
    assert!(markdown(&comedy).contains("Measured by `second`"));
    // Measured with another original, the earlier genres are not mixed in.
    let mut other = report("third", &[Genre::Comedy]);
    other.original = "another".into();
    assert!(!other.keep_earlier(both));
    assert_eq!(names(&other), vec![(Genre::Comedy, "third".to_string())]);
}

#[test]
fn the_claims_are_judged_on_the_papers_condition_and_a_filter_reads_as_a_filter() {
    use recforget::claims::{ClaimInputs, ClaimKind, Verdict, judge};
    use recforget::measurement::Histories;
    let (ds, model) = fixture();
    let original = EditedModel::new(model.clone());
    let (_, filtered) = forget_now(&original, model, ds, Genre::Action, &ForgetConfig::with_methods(vec![Method::Filter])).unwrap();
    let cases = ds.eval_cases(Split::Test);
    let sampler = NegativeSampler::new(ds, 3);
    let ctx = EvalContext { dataset: ds, cases: &cases, sampler: &sampler, device: &common::device() };
    let settings = MeasureSettings {
        membership_users: 96,
        min_watchers: 5,
        deleted_interactions: 100,
        kl_users: 0,
        draws: 50,
        ..MeasureSettings::default()
    };
    let deleted = measure(
        &ctx,
        Genre::Action,
        &[("original", &original), ("after", &filtered)],
        None,
        None,
        &settings,
        recforget::parallel::threads_for(ctx.device),
    )
    .wait()
    .unwrap();
    let kept = MeasureSettings { histories: Histories::Kept, ..settings };
    let paper = measure(
        &ctx,
        Genre::Action,
        &[("original", &original), ("after", &filtered)],
        None,
        None,
        &kept,
        recforget::parallel::threads_for(ctx.device),
    )
    .wait()
    .unwrap();
    let inputs = ClaimInputs { paper, deleted, methods: vec![Method::Filter], changed_settings: vec![], speedup: Some(12.0) };
    let judgements = judge(&inputs);
    // The inputs read back from JSON as they were (`recforget judge` and the page's parity test
    // rely on it), and give the same verdicts.
    let json = serde_json::to_string(&inputs).unwrap();
    assert_eq!(serde_json::from_str::<ClaimInputs>(&json).unwrap(), inputs);
    assert_eq!(judge(&serde_json::from_str(&json).unwrap()), judgements);
    let of = |kind: ClaimKind| judgements.iter().find(|j| j.claim.kind == kind).unwrap();

    let removal = of(ClaimKind::Removal);
    assert_eq!(removal.served, Some(100.0), "served, a filter removes every hit");
    assert!(removal.ours.unwrap() < 50.0, "from the weights it removes little: {:?}", removal.ours);
    assert_eq!(removal.verdict, Some(Verdict::NotReproduced));
    assert!(removal.sentence.contains("a filter hides, it does not forget"), "{}", removal.sentence);
    assert!(removal.sentence.ends_with("(by filter, not the paper's method)"), "{}", removal.sentence);
    assert!(removal.deletion_only.is_some() && removal.retrained.is_none());

    let hr = of(ClaimKind::HrKept);
    assert!(hr.condition.contains("histories as recorded"), "{}", hr.condition);
    // From its weights a filter is the original: it keeps all of it, on everyone and on the retain users.
    assert!((hr.ours.unwrap() - 100.0).abs() < 1e-9 && (hr.retain.unwrap() - 100.0).abs() < 1e-9, "{hr:?}");
    assert!(hr.served.unwrap() < 100.0, "served, the genre's hits are gone: {hr:?}");

    // Fast, but a filter removes nothing from the weights: its speed is not that of forgetting.
    let speedup = of(ClaimKind::Speedup);
    assert_eq!((speedup.ours, speedup.verdict), (Some(12.0), Some(Verdict::FastWithoutForgetting)));
    assert!(speedup.sentence.contains("its speed is not that of forgetting"), "{}", speedup.sentence);
    // Timed at other settings than the defaults, the speedup is shown but not judged.
    let tiny = judge(&ClaimInputs { changed_settings: vec!["steps=1".into()], speedup: Some(40000.0), ..inputs.clone() });
    let speedup = tiny.iter().find(|j| j.claim.kind == ClaimKind::Speedup).unwrap();
    assert_eq!((speedup.ours, speedup.verdict), (Some(40000.0), None));
    assert_eq!((speedup.shown.ours.as_str(), speedup.shown.paper.as_str()), ("×40,000", "×10.1–11"));
    assert!(speedup.sentence.starts_with("not judged: timed at other settings than the defaults (steps=1)"), "{}", speedup.sentence);
    let without = judge(&ClaimInputs { methods: vec![Method::Neurons], speedup: None, ..inputs });
    let speedup = without.iter().find(|j| j.claim.kind == ClaimKind::Speedup).unwrap();
    assert_eq!(speedup.verdict, None);
    assert!(speedup.sentence.starts_with("not measurable: no model retrained without the genre"), "{}", speedup.sentence);
    assert!(without.iter().all(|j| !j.sentence.contains("not the paper's method")));
}
