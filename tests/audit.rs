//! The deletion audit on a tiny real model: the figures the field reports, and the yardstick.

mod common;

use recforget::data::{Deletion, DeletionSet, Genre, Scope, Users};
use recforget::measurement::Histories;
use recforget::measurement::audit::{AuditContext, AuditSettings, Audited, audit};
use recforget::readback::Wait;
use recforget::unlearning::{EditedModel, RunContext};

#[test]
fn an_audit_reports_each_scope_against_the_retrained_model() {
    let ds = common::two_genres(24, 14);
    let deletions = DeletionSet {
        name: "d".into(),
        requests: vec![
            Deletion { users: Users::Keys(vec!["u0".into(), "u3".into()]), scope: Scope::All },
            Deletion { users: Users::Keys(vec!["u5".into(), "u6".into()]), scope: Scope::Genre(Genre::Action) },
        ],
    };
    let original = EditedModel::new(common::tiny_model(ds.num_items(), 1));
    let retrained = EditedModel::new(common::tiny_model(ds.num_items(), 2));
    let second = EditedModel::new(common::tiny_model(ds.num_items(), 3));
    let device = common::device();
    let ctx = AuditContext { dataset: &ds, deletions: &deletions, also_deleted: None, memo: None, device: &device };
    let models = [
        Audited { name: "original", model: &original, histories: Histories::Kept },
        Audited { name: "deletion only", model: &original, histories: Histories::Deleted },
    ];
    let settings = AuditSettings { others: 12, pairs_per_user: 4, ..Default::default() };
    let audit =
        audit(&ctx, &models, Some(&retrained), Some(&second), &settings, recforget::parallel::threads_for(ctx.device)).wait().unwrap();
    assert_eq!(audit.scopes.len(), 2);
    for scope in &audit.scopes {
        assert_eq!(scope.users, 2);
        assert_eq!(scope.models, ["original", "deletion only", "retrained", "retrained (seed 2)"]);
        let f = &scope.figures;
        // The same weights answer the pairs alike; only the scope users' test histories differ.
        assert_eq!((f[0].forget_hr10, f[0].mia_efficacy), (f[1].forget_hr10, f[1].mia_efficacy));
        assert!(f[0].forget_pairs > 0 && f[0].forget_pairs <= 8);
        assert_eq!(f[2].gap, None);
        assert!(f[0].gap.is_some() && f[3].gap.is_some());
        for x in f {
            for share in [x.forget_hr10, x.retain_hr10, x.test_hr10, x.mia_efficacy, x.mia_accuracy] {
                assert!((0.0..=1.0).contains(&share), "{x:?}");
            }
            assert!(x.forget_log_likelihood < 0.0);
        }
        assert_eq!(scope.per_user.len(), 2);
        for user in &scope.per_user {
            assert_eq!(user.mean_rank.len(), 4);
            assert!(user.overlap[2].is_none());
            // Someone who deleted everything has no history left to recommend from.
            assert_eq!(user.overlap[3].is_some(), scope.scope != Scope::All, "{user:?}");
        }
    }
    // The `all` scope deletes every training interaction of its users.
    assert_eq!(audit.scopes[0].per_user[0].deleted, 12);
    assert_eq!(audit.scopes[0].scope, Scope::All);
}

#[test]
fn neggrad_plus_pushes_the_deleted_interactions_down_and_finetune_keeps_the_rest() {
    use recforget::unlearning::deletion::{DeletionConfig, DeletionMethod, unlearn};
    let ds = common::two_genres(24, 14);
    let original = common::trained_on_two_genres(&ds);
    let deletions = DeletionSet {
        name: "d".into(),
        requests: vec![Deletion { users: Users::Keys(vec!["u0".into(), "u2".into(), "u4".into()]), scope: Scope::All }],
    };
    let device = common::device();
    let config = DeletionConfig { steps: 20, batch_size: 8, learning_rate: 1e-3, forget_weight: 1.0, ..Default::default() };
    let ctx = AuditContext { dataset: &ds, deletions: &deletions, also_deleted: None, memo: None, device: &device };
    let settings = AuditSettings { others: 12, pairs_per_user: 6, ..Default::default() };
    let figures = |model: recforget::model::Bert4Rec| {
        let edited = EditedModel::new(model);
        let models = [Audited { name: "m", model: &edited, histories: Histories::Deleted }];
        audit(&ctx, &models, None, None, &settings, recforget::parallel::threads_for(ctx.device)).wait().unwrap().scopes[0].figures[0]
    };
    let before = figures(original.clone());
    let ascended =
        figures(unlearn(&original, &ds, &deletions, DeletionMethod::NegGradPlus, &config, &RunContext::new(&device)).wait().unwrap());
    let tuned = figures(unlearn(&original, &ds, &deletions, DeletionMethod::Finetune, &config, &RunContext::new(&device)).wait().unwrap());
    assert!(ascended.forget_log_likelihood < before.forget_log_likelihood - 0.1, "{before:?} → {ascended:?}");
    assert!(ascended.forget_log_likelihood < tuned.forget_log_likelihood, "{tuned:?} vs {ascended:?}");
    // Bad settings are refused with the method's name.
    let bad = DeletionConfig { learning_rate: 0.0, ..config };
    let err =
        unlearn(&original, &ds, &deletions, DeletionMethod::Finetune, &bad, &RunContext::new(&device)).wait().unwrap_err().to_string();
    assert!(err.contains("finetune") && err.contains("learning rate"), "{err}");
    // A set that deletes everything leaves nothing to train on, and says so.
    let everything = DeletionSet { name: "all".into(), requests: vec![Deletion { users: Users::Everyone, scope: Scope::All }] };
    let err = unlearn(&original, &ds, &everything, DeletionMethod::NegGradPlus, &config, &RunContext::new(&device))
        .wait()
        .unwrap_err()
        .to_string();
    assert!(err.contains("nothing to train on"), "{err}");
}

#[test]
fn a_persons_request_is_granted_and_audited_against_the_exact_reference_only() {
    use recforget::measurement::personal::{PersonalRequest, Reference, forget_me};
    use recforget::unlearning::deletion::{DeletionConfig, DeletionMethod};

    let ds = common::two_genres(24, 14);
    let original = common::tiny_model(ds.num_items(), 1);
    let reference_model = EditedModel::new(common::tiny_model(ds.num_items(), 2));
    let set = DeletionSet {
        name: "d".into(),
        requests: vec![Deletion { users: Users::Keys(vec!["u5".into()]), scope: Scope::Genre(Genre::Action) }],
    };
    let reference = Reference { model: &reference_model, set: &set, label: "retrained without d" };
    let device = common::device();
    let config = DeletionConfig { steps: 2, batch_size: 4, ..Default::default() };
    let settings = AuditSettings { others: 8, pairs_per_user: 4, ..Default::default() };
    let memo = recforget::measurement::personal::personal_memo();
    let run = |user: &str, scope: Scope| {
        let request = PersonalRequest { user: user.into(), scope, method: DeletionMethod::NegGradPlus };
        forget_me(&original, &ds, &request, Some(&reference), &config, &settings, Some(&memo), &device, 1).wait()
    };
    // D's own request: three columns, the reference among them.
    let (unlearned, audit) = run("u5", Scope::Genre(Genre::Action)).unwrap();
    // The original's and the reference's answers about everyone else are kept, and asking
    // again from them gives the same audit.
    assert_eq!(memo.len(), 2);
    assert_eq!(run("u5", Scope::Genre(Genre::Action)).unwrap().1, audit);
    assert_ne!(unlearned.item_embedding.weight.val().into_data(), original.item_embedding.weight.val().into_data());
    assert!(audit.exact_reference);
    let names: Vec<&str> = audit.columns.iter().map(|c| c.model.as_str()).collect();
    assert_eq!(names, ["original", "neggrad+", "retrained"]);
    for c in &audit.columns {
        assert!(c.pairs > 0 && c.judged_members <= c.pairs && (0.0..=1.0).contains(&c.hr10), "{c:?}");
    }
    assert!(audit.summary.contains("retrained without d"), "{}", audit.summary);
    // The same user deleting everything is not D's request: no reference, and the summary says so.
    let (_, audit) = run("u5", Scope::All).unwrap();
    assert!(!audit.exact_reference && audit.columns.len() == 2);
    assert!(audit.summary.contains("no exact reference"), "{}", audit.summary);
    // An unknown user, or a scope with nothing in training, is a clear error.
    assert!(run("nobody", Scope::All).unwrap_err().to_string().contains("no user `nobody`"));
    let empty = run("u5", Scope::Genre(Genre::Horror)).unwrap_err().to_string();
    assert!(empty.contains("nothing to delete"), "{empty}");
}
