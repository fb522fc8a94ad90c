//! The page's guided tour for a first visit or a workshop: the story in order, each step one
//! sentence and one click. The page runs each step's [`TourAction`] with its own controls.

use serde::Serialize;

use crate::data::Genre;
use crate::unlearning::Method;

/// What a step's button does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum TourAction {
    /// Show the current person's history and recommendations.
    Recommend,
    /// Reset, then forget `genre` with `method` (the page's other settings as they are).
    Forget { method: Method, genre: Genre },
    /// Measure the last forget and judge the paper's claims.
    Evaluate,
    /// Point at the model retrained without the genre, beside the forgotten one.
    Compare,
    /// Grant the current person's deletion request and audit it.
    ForgetMe,
}

/// One step: a title, the sentence that says what to look at, the button's label, its action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TourStep {
    pub title: &'static str,
    pub sentence: &'static str,
    pub button: &'static str,
    pub action: TourAction,
}

/// The genre the tour forgets: one with a retrained model shipped, so step 5 has a yardstick.
const GENRE: Genre = Genre::Action;

/// The tour, in order.
pub const TOUR: [TourStep; 6] = [
    TourStep {
        title: "What the model recommends",
        sentence: "The tour picks a person of the deletion set D (forgotten in the last step): their film history, oldest first, and the ten films the model recommends next.",
        button: "Show me",
        action: TourAction::Recommend,
    },
    TourStep {
        title: "The paper's method",
        sentence: "Forget Action with the paper's method. Compare its column with the one whose history lost Action: measured on all users, the edit removes no more than that deletion does.",
        button: "Forget Action with the paper's method",
        action: TourAction::Forget { method: Method::Neurons, genre: GENRE },
    },
    TourStep {
        title: "A method that forgets",
        sentence: "Now reset Action's own rows instead: the Action films leave the recommendations, for everyone, in a fraction of a second.",
        button: "Forget Action with rows",
        action: TourAction::Forget { method: Method::Rows, genre: GENRE },
    },
    TourStep {
        title: "Can it still tell who watched what?",
        sentence: "Measure it: a membership AUC as low as the retrained model's means an auditor learns no more of who watched which Action film than from a model that never saw them.",
        button: "Measure",
        action: TourAction::Evaluate,
    },
    TourStep {
        title: "Like a model that never saw Action?",
        sentence: "The last column was trained from scratch without Action: the yardstick. Two such models share only about 6 of 10 films, so compare the genre bars, not single films.",
        button: "Look at the retrained model",
        action: TourAction::Compare,
    },
    TourStep {
        title: "A person's deletion",
        sentence: "Forget me deletes one person's history only: the films stay for everyone else. The audit says whether the model still remembers them.",
        button: "Forget this person",
        action: TourAction::ForgetMe,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tour_tells_the_story_in_order_one_sentence_a_step() {
        let actions: Vec<TourAction> = TOUR.iter().map(|s| s.action).collect();
        assert_eq!(actions[0], TourAction::Recommend);
        assert_eq!(actions[1], TourAction::Forget { method: Method::Neurons, genre: Genre::Action });
        assert!(actions.contains(&TourAction::Evaluate) && actions.contains(&TourAction::ForgetMe));
        for step in &TOUR {
            assert!(
                step.sentence.ends_with('.') && step.sentence.chars().count() <= 200,
                "{}: a sentence or two, not a paragraph",
                step.title
            );
        }
        let json = serde_json::to_value(TOUR[1]).unwrap();
        assert_eq!(json["action"], serde_json::json!({"type": "forget", "method": "neurons", "genre": "Action"}));
    }
}
