//! Every term the page uses, and every method, in plain words: the page's glossary. The methods'
//! entries come from the methods' own declarations ([`Method::explanation`],
//! [`DeletionMethod::explanation`]), so a new method is explained where it is declared.

use serde::Serialize;
use strum::IntoEnumIterator;

use crate::unlearning::Method;
use crate::unlearning::deletion::DeletionMethod;

/// One entry: an anchor for links, the term as shown, and what it means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Term {
    pub slug: String,
    pub term: String,
    pub meaning: String,
}

/// The terms (the methods follow them in [`glossary`]).
const TERMS: [(&str, &str, &str); 27] = [
    (
        "bert4rec",
        "BERT4Rec",
        "The recommender in this page. It reads a person's films in the order they were rated and scores every film for the next slot; the ten highest are the recommendations. Trained on MovieLens-1M: 6040 people, 3416 films.",
    ),
    (
        "forget-genre",
        "Forget a genre",
        "Make the model behave as if nobody's interactions with the genre's films had been in training. The genre leaves everyone's history.",
    ),
    (
        "forget-me",
        "Forget me",
        "One person's deletion request: their interactions (all of them, or one genre's) leave training; the films stay for everyone else. This is the right a privacy law gives a person.",
    ),
    (
        "deletion-only",
        "Deletion only",
        "The original model, unchanged, given the history without the deleted films. A method forgets only what it changes beyond this: the baseline every result is read against.",
    ),
    (
        "retrained",
        "Retrained model",
        "A model trained from scratch, on the original's schedule, without the deleted interactions: the exact answer every unlearning method tries to approximate cheaply.",
    ),
    (
        "noise-floor",
        "Noise floor",
        "How far apart two models retrained with different random seeds are. A method inside it cannot be told from retraining.",
    ),
    ("hr10", "HR@10 (hit rate)", "The share of test users whose real next film is among the ten recommended. Higher is better."),
    ("ndcg10", "NDCG@10", "Like HR@10, but a hit near the top counts more: 1 at rank 1, 0.63 at rank 2, down to 0.29 at rank 10."),
    (
        "protocols",
        "pop100, uniform100, full ranking",
        "How a hit is counted: the real next film against 100 other films drawn by popularity (pop100, the paper's way), drawn at random (uniform100), or against every film (full ranking, the strictest).",
    ),
    (
        "removal",
        "Removal rate",
        "Of the genre's test hits the original made, the share a model no longer makes. The paper claims 70–75% for its method and 100% for retraining. Here a retrained model removes all of them: it is always given the histories without the genre, whose interactions it never had (the paper's condition, histories as recorded, is for the model that forgot). Negative: the model makes more of them than the original did.",
    ),
    ("share", "Genre share of the top 10", "How much of the ten recommendations is the genre's films, averaged over users."),
    (
        "membership-auc",
        "Membership AUC",
        "Can an auditor tell from the model's scores which films a person watched in training? 0.5 means no better than a coin, 1 means always. Per user: which of the genre's films this user watched; per item: which users watched a film. A model that never saw the genre scores above 0.5 too, because people who watched a film also watched films like it that it did see: its figures, not 0.5, are the mark. Deletion only has the original's weights, so its membership figures are the original's.",
    ),
    (
        "membership-test",
        "Membership test",
        "A classifier trained on the model's own signals (log-probability, rank, entropy) for interactions that were in training against ones that never were. Applied to deleted interactions, it judges whether they still look trained on.",
    ),
    (
        "retain-users",
        "Retain users, forget set",
        "Test users whose next film is not of the forgotten genre (retain), and those whose next film is (the forget set). A method should keep the first's hits and lose the second's.",
    ),
    (
        "privacy-neurons",
        "Privacy neurons",
        "The paper's name for the feed-forward neurons whose attribution to the genre is high in more than P% of the genre's sequences. Its method zeroes them.",
    ),
    (
        "integrated-gradients",
        "Integrated gradients",
        "An attribution: a neuron's activation times its gradient, averaged along the path from zero to the activation (20 steps). The paper uses it to find privacy neurons.",
    ),
    (
        "top10-overlap",
        "Top-10 overlap, KL",
        "How alike two models' recommendations are: the share of the ten films they have in common, and the divergence between their scores over all films (0 when identical).",
    ),
    (
        "deletion-set",
        "Deletion set D",
        "A fixed, seeded set of the page's sample users who ask for deletion: half all their history, half their Action history. A model was retrained without exactly D, so their requests have an exact reference.",
    ),
    (
        "memory-probe",
        "Deleted films still in the top 10",
        "A probe of what the weights remember: each deleted film is asked with the history that came before it, and the share ranked among the ten highest is counted. A model that never saw them still ranks some there from everyone else's tastes, so the retrained model's figure is the mark, not zero.",
    ),
    (
        "rank",
        "Rank",
        "A film's place in the model's order of all 3416 films for a history (0 is first). A lower mean rank of the deleted films means the model still expects them.",
    ),
    (
        "others-hr10",
        "Everyone else's test HR@10",
        "HR@10 with full ranking (against every film) on 100 users of the page's sample outside the deletion set: what a person's deletion costs everyone else. Full ranking is stricter than the pop100 of the claims, so the figures are lower.",
    ),
    (
        "score",
        "Score",
        "The model's raw preference for a film given the history (a logit): only the order matters; the ten highest are recommended.",
    ),
    (
        "ffn-neurons",
        "FFN neurons, layers L0 and L1",
        "The model has two Transformer layers (L0, L1), each with a feed-forward block of 256 neurons; “L1:74” is neuron 74 of layer L1.",
    ),
    (
        "band",
        "P and the band",
        "The paper keeps a neuron as a privacy neuron when it is important in more than P% of the genre's sequences, starting at P = 50 and moving P by 5 until 4 to 8 neurons are kept (the band); “band not reached” means no P gave 4 to 8.",
    ),
    ("epoch", "Epoch", "One pass of training over every user's history. The shipped model trained for 185."),
    (
        "sample-users",
        "Sample users",
        "The 600 MovieLens users this page carries (seeded); the page measures on the first N of them, the command line on all 6040.",
    ),
    (
        "speedup",
        "Speedup",
        "Retraining time divided by forgetting time, both as if run on the CPU. The paper claims about ×10 for its method.",
    ),
];

/// The glossary: the terms, then every genre method and every method of a person's deletion.
pub fn glossary() -> Vec<Term> {
    let term = |slug: &str, term: &str, meaning: &str| Term { slug: slug.into(), term: term.into(), meaning: meaning.into() };
    let mut out: Vec<Term> = TERMS.iter().map(|(slug, t, meaning)| term(slug, t, meaning)).collect();
    out.extend(Method::iter().map(|m| term(&format!("method-{}", m.name()), &format!("{} (forget a genre)", m.name()), m.explanation())));
    out.extend(DeletionMethod::iter().map(|m| {
        let slug = format!("method-{}", m.name().trim_end_matches('+'));
        term(&slug, &format!("{} (forget me)", m.name()), m.explanation())
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_has_a_unique_anchor_and_a_sentence() {
        let entries = glossary();
        assert_eq!(entries.len(), TERMS.len() + Method::iter().count() + DeletionMethod::iter().count());
        let mut slugs: Vec<&str> = entries.iter().map(|t| t.slug.as_str()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), entries.len(), "two entries share an anchor");
        for t in &entries {
            assert!(t.slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{}", t.slug);
            assert!(t.meaning.ends_with('.') && t.meaning.len() > 40, "{}: {}", t.term, t.meaning);
        }
        assert!(entries.iter().any(|t| t.slug == "method-neurons" && t.meaning.contains("paper")));
    }
}
