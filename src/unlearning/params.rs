//! The forgetting settings a person can change by name — a CLI flag, a control on the page, a
//! parameter in the page's URL — with their allowed ranges. One table: the page builds its
//! controls from [`params`], parses its URL with [`parse_params`], and every caller checks a
//! finished configuration with [`ForgetConfig::validate`], so a range is written once.

use serde::Serialize;

use super::{Edit, ForgetConfig, Method, methods_name, parse_methods};
use crate::error::{Error, Result};

/// One named setting, as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Param {
    /// The name in URLs and on the command line (`--<key>`).
    pub key: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    /// The method it belongs to; `None` for the method list itself.
    pub method: Option<Method>,
    pub kind: ParamKind,
    /// The value in the configuration the table was built from, as text.
    pub default: String,
}

/// What values a setting takes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ParamKind {
    Integer { min: f64, max: f64 },
    Number { min: f64, max: f64, step: f64 },
    Choice { options: Vec<ParamOption> },
}

/// One value of a choice, with what it means.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamOption {
    pub value: &'static str,
    pub label: &'static str,
}

/// A setting that was refused: which, the value given, and the allowed range.
#[derive(Clone, Debug, PartialEq, Serialize, thiserror::Error)]
#[error("{key}={value}: {message}")]
pub struct ParamError {
    pub key: String,
    pub value: String,
    pub message: String,
}

/// How one setting is read from and written to a [`ForgetConfig`].
enum Access {
    Number(fn(&ForgetConfig) -> f64, fn(&mut ForgetConfig, f64)),
    Choice(fn(&ForgetConfig) -> String, fn(&mut ForgetConfig, &str) -> Result<()>),
}

struct Field {
    key: &'static str,
    label: &'static str,
    help: &'static str,
    method: Option<Method>,
    kind: fn() -> ParamKind,
    access: Access,
}

/// The compositions the page offers (the CLI takes any list).
const METHOD_OPTIONS: [ParamOption; 5] = [
    ParamOption { value: "rows", label: "reset the genre's rows (forgets; the measured best)" },
    ParamOption { value: "rows,distill", label: "reset rows, then distil" },
    ParamOption { value: "distill", label: "distil from the original without the genre" },
    ParamOption { value: "neurons", label: "the paper's method: privacy neurons" },
    ParamOption { value: "filter", label: "output filter (hides, does not forget)" },
];

const EDIT_OPTIONS: [ParamOption; 2] = [
    ParamOption { value: "zero-weights", label: "zero W2 rows (the paper's)" },
    ParamOption { value: "suppress-at-mask", label: "suppress at [MASK]" },
];

fn integer(min: f64, max: f64) -> ParamKind {
    ParamKind::Integer { min, max }
}

/// An optimizer's learning rate.
fn learning_rate() -> ParamKind {
    ParamKind::Number { min: 1e-5, max: 1.0, step: 1e-4 }
}

const FIELDS: &[Field] = &[
    Field {
        key: "method",
        label: "Method",
        help: "the methods, applied in order (neurons, rows, distill, filter)",
        method: None,
        kind: || ParamKind::Choice { options: METHOD_OPTIONS.to_vec() },
        access: Access::Choice(
            |c| methods_name(&c.methods).replace('+', ","),
            |c, v| {
                c.methods = parse_methods(v)?;
                Ok(())
            },
        ),
    },
    Field {
        key: "sequences",
        label: "Sequences",
        help: "attribution sequences (validation users whose next item is of the genre; fewer when the genre has fewer)",
        method: Some(Method::Neurons),
        kind: || integer(1.0, 5000.0),
        access: Access::Number(|c| c.neurons.sequences as f64, |c, v| c.neurons.sequences = v as usize),
    },
    Field {
        key: "steps",
        label: "IG steps m",
        help: "Riemann steps of integrated gradients",
        method: Some(Method::Neurons),
        kind: || integer(1.0, 200.0),
        access: Access::Number(|c| c.neurons.ig.steps as f64, |c, v| c.neurons.ig.steps = v as usize),
    },
    Field {
        key: "ratio",
        label: "Threshold ratio",
        help: "keep a neuron for a sequence above this × the sequence's largest attribution",
        method: Some(Method::Neurons),
        kind: || ParamKind::Number { min: 0.0, max: 1.0, step: 0.05 },
        access: Access::Number(
            |c| c.neurons.screening.ratio.to_string().parse().unwrap_or(f64::NAN),
            |c, v| c.neurons.screening.ratio = v as f32,
        ),
    },
    Field {
        key: "p-start",
        label: "P start (%)",
        help: "the first share of sequences a privacy neuron must be kept in",
        method: Some(Method::Neurons),
        kind: || ParamKind::Number { min: 0.0, max: 100.0, step: 5.0 },
        access: Access::Number(|c| c.neurons.screening.p_start, |c, v| c.neurons.screening.p_start = v),
    },
    Field {
        key: "band-low",
        label: "Band low",
        help: "the fewest privacy neurons wanted",
        method: Some(Method::Neurons),
        kind: || integer(0.0, 4096.0),
        access: Access::Number(|c| c.neurons.screening.band.0 as f64, |c, v| c.neurons.screening.band.0 = v as usize),
    },
    Field {
        key: "band-high",
        label: "Band high",
        help: "the most privacy neurons wanted",
        method: Some(Method::Neurons),
        kind: || integer(0.0, 4096.0),
        access: Access::Number(|c| c.neurons.screening.band.1 as f64, |c, v| c.neurons.screening.band.1 = v as usize),
    },
    Field {
        key: "edit",
        label: "Edit",
        help: "how the privacy neurons are removed",
        method: Some(Method::Neurons),
        kind: || ParamKind::Choice { options: EDIT_OPTIONS.to_vec() },
        access: Access::Choice(
            |c| match c.neurons.edit {
                Edit::ZeroWeights => "zero-weights".into(),
                Edit::SuppressAtMask => "suppress-at-mask".into(),
            },
            |c, v| {
                c.neurons.edit = match v {
                    "zero-weights" => Edit::ZeroWeights,
                    "suppress-at-mask" => Edit::SuppressAtMask,
                    _ => return Err(Error::Config(format!("unknown edit `{v}`"))),
                };
                Ok(())
            },
        ),
    },
    Field {
        key: "attribution-seed",
        label: "Attribution seed",
        help: "seed of the attribution sample: the same seed, the same sequences",
        method: Some(Method::Neurons),
        kind: || integer(0.0, 4_294_967_295.0),
        access: Access::Number(|c| c.neurons.seed as f64, |c, v| c.neurons.seed = v as u64),
    },
    Field {
        key: "rows-refit",
        label: "Re-fit steps",
        help: "after the reset, Adam steps on the genre's rows alone with the genre-free training data (0: none)",
        method: Some(Method::Rows),
        kind: || integer(0.0, 2000.0),
        access: Access::Number(|c| c.rows.refit.steps as f64, |c, v| c.rows.refit.steps = v as usize),
    },
    Field {
        key: "rows-refit-lr",
        label: "Re-fit learning rate",
        help: "Adam's learning rate of the rows' re-fit",
        method: Some(Method::Rows),
        kind: learning_rate,
        access: Access::Number(|c| c.rows.refit.learning_rate, |c, v| c.rows.refit.learning_rate = v),
    },
    Field {
        key: "distill-steps",
        label: "Distil steps K",
        help: "optimizer steps of distillation",
        method: Some(Method::Distill),
        kind: || integer(1.0, 500.0),
        access: Access::Number(|c| c.distill.steps as f64, |c, v| c.distill.steps = v as usize),
    },
    Field {
        key: "distill-batch",
        label: "Distil batch B",
        help: "sequences per distillation step",
        method: Some(Method::Distill),
        kind: || integer(1.0, 256.0),
        access: Access::Number(|c| c.distill.batch_size as f64, |c, v| c.distill.batch_size = v as usize),
    },
    Field {
        key: "distill-window",
        label: "Distil window",
        help: "the most recent items of each sequence distillation trains on",
        method: Some(Method::Distill),
        kind: || integer(2.0, 200.0),
        access: Access::Number(|c| c.distill.window as f64, |c, v| c.distill.window = v as usize),
    },
    Field {
        key: "distill-lr",
        label: "Distil learning rate",
        help: "Adam's learning rate during distillation",
        method: Some(Method::Distill),
        kind: learning_rate,
        access: Access::Number(|c| c.distill.learning_rate, |c, v| c.distill.learning_rate = v),
    },
];

impl ParamKind {
    /// The allowed values, in words.
    pub fn range(&self) -> String {
        match self {
            ParamKind::Integer { min, max } => format!("a whole number from {min} to {max}"),
            ParamKind::Number { min, max, .. } => format!("a number from {min} to {max}"),
            ParamKind::Choice { options } => {
                format!("one of {}", options.iter().map(|o| o.value).collect::<Vec<_>>().join(", "))
            }
        }
    }

    /// Whether a number is allowed.
    fn admits(&self, v: f64) -> bool {
        match *self {
            ParamKind::Integer { min, max } => v.fract() == 0.0 && (min..=max).contains(&v),
            ParamKind::Number { min, max, .. } => (min..=max).contains(&v),
            ParamKind::Choice { .. } => false,
        }
    }
}

impl Field {
    fn error(&self, value: &str, message: String) -> ParamError {
        ParamError { key: self.key.to_string(), value: value.to_string(), message }
    }

    fn current(&self, config: &ForgetConfig) -> String {
        match &self.access {
            Access::Number(get, _) => get(config).to_string(),
            Access::Choice(get, _) => get(config),
        }
    }

    /// Parses `value` and writes it into `config`, or says what the setting allows.
    fn apply(&self, config: &mut ForgetConfig, value: &str) -> std::result::Result<(), ParamError> {
        let kind = (self.kind)();
        match &self.access {
            Access::Number(_, set) => {
                let v: f64 = value.trim().parse().map_err(|_| self.error(value, format!("not a number; {} is allowed", kind.range())))?;
                if !kind.admits(v) {
                    return Err(self.error(value, format!("out of range; {} is allowed", kind.range())));
                }
                set(config, v);
            }
            Access::Choice(_, set) => {
                // The method list takes any composition; other choices only their options.
                let listed = matches!(&kind, ParamKind::Choice { options } if options.iter().any(|o| o.value == value));
                if self.key != "method" && !listed {
                    return Err(self.error(value, format!("unknown value; {} is allowed", kind.range())));
                }
                set(config, value).map_err(|e| self.error(value, e.to_string()))?;
            }
        }
        Ok(())
    }
}

/// Checks one numeric setting's value against the table, as a command-line flag's parser does:
/// `Ok` when it is allowed, else the refusal the page would show.
pub fn check_number(key: &str, value: &str) -> std::result::Result<(), ParamError> {
    let field = FIELDS.iter().find(|f| f.key == key && matches!(f.access, Access::Number(..)));
    let field = field.ok_or_else(|| ParamError { key: key.into(), value: value.into(), message: "not a numeric setting".into() })?;
    field.apply(&mut ForgetConfig::default(), value)
}

/// The settings with their ranges, the defaults taken from `base`.
pub fn params(base: &ForgetConfig) -> Vec<Param> {
    FIELDS
        .iter()
        .map(|f| Param { key: f.key, label: f.label, help: f.help, method: f.method, kind: (f.kind)(), default: f.current(base) })
        .collect()
}

/// `base` with every accepted setting applied, and every refused one (an unknown name, a
/// malformed or out-of-range value, a band whose low end is above its high end — then the band
/// stays `base`'s). The page shows the refusals and keeps the rest; the strict reading is
/// [`ParsedParams::into_result`].
pub fn parse_params<'a>(base: &ForgetConfig, values: impl IntoIterator<Item = (&'a str, &'a str)>) -> ParsedParams {
    let mut config = base.clone();
    let mut errors = Vec::new();
    for (key, value) in values {
        match FIELDS.iter().find(|f| f.key == key) {
            Some(field) => {
                if let Err(e) = field.apply(&mut config, value) {
                    errors.push(e);
                }
            }
            None => errors.push(ParamError {
                key: key.to_string(),
                value: value.to_string(),
                message: format!("unknown setting; the settings are {}", FIELDS.iter().map(|f| f.key).collect::<Vec<_>>().join(", ")),
            }),
        }
    }
    let band = config.band_problem();
    if !band.is_empty() {
        config.neurons.screening.band = base.neurons.screening.band;
        errors.extend(band);
    }
    ParsedParams { config, errors }
}

/// What [`parse_params`] accepted and refused.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParsedParams {
    pub config: ForgetConfig,
    pub errors: Vec<ParamError>,
}

impl ParsedParams {
    /// The configuration if nothing was refused, else every refusal.
    pub fn into_result(self) -> std::result::Result<ForgetConfig, Vec<ParamError>> {
        if self.errors.is_empty() { Ok(self.config) } else { Err(self.errors) }
    }
}

impl ForgetConfig {
    /// The settings of its methods that differ from their defaults, as `key=value` (what a
    /// timing or a verdict at other settings than the defaults must say).
    pub fn changed_settings(&self) -> Vec<String> {
        let defaults = ForgetConfig::with_methods(self.methods.clone());
        FIELDS
            .iter()
            .filter(|f| f.method.is_some_and(|m| self.methods.contains(&m)))
            .filter(|f| f.current(self) != f.current(&defaults))
            .map(|f| format!("{}={}", f.key, f.current(self)))
            .collect()
    }

    /// Every setting out of its range, as one error naming each (the CLI's and the page's
    /// check before a run).
    pub fn validate(&self) -> Result<()> {
        let mut errors: Vec<ParamError> = FIELDS
            .iter()
            .filter_map(|f| match &f.access {
                Access::Number(get, _) => {
                    let v = get(self);
                    let kind = (f.kind)();
                    (!kind.admits(v)).then(|| f.error(&v.to_string(), format!("out of range; {} is allowed", kind.range())))
                }
                Access::Choice(..) => None,
            })
            .collect();
        if self.methods.is_empty() {
            errors.push(ParamError { key: "method".into(), value: String::new(), message: "name at least one method".into() });
        }
        errors.extend(self.band_problem());
        if let Some(problem) = self.distill.problem() {
            errors.push(ParamError { key: "distill".into(), value: String::new(), message: problem.into() });
        }
        if let Some(problem) = self.rows.refit.problem() {
            errors.push(ParamError { key: "rows-refit".into(), value: String::new(), message: problem.into() });
        }
        if errors.is_empty() { Ok(()) } else { Err(Error::Config(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))) }
    }

    /// A band whose low end is above its high end, refused under both its names.
    fn band_problem(&self) -> Vec<ParamError> {
        let (low, high) = self.neurons.screening.band;
        if low <= high {
            return Vec::new();
        }
        let message = format!("the band's low end ({low}) is above its high end ({high}); set band-low ≤ band-high");
        [("band-low", low), ("band-high", high)]
            .into_iter()
            .map(|(key, value)| ParamError { key: key.into(), value: value.to_string(), message: message.clone() })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new method cannot be left out of the page's choices: every method is offered alone, and
    /// every offered value parses.
    #[test]
    fn every_method_is_offered_on_the_page() {
        use strum::IntoEnumIterator;
        for method in Method::iter() {
            assert!(METHOD_OPTIONS.iter().any(|o| o.value == method.name()), "{method} is not among the page's methods");
        }
        for option in METHOD_OPTIONS {
            assert!(parse_methods(option.value).is_ok(), "{}", option.value);
        }
    }

    #[test]
    fn changed_settings_name_only_the_methods_own() {
        let mut config = ForgetConfig::with_methods(vec![Method::Rows]);
        assert!(config.changed_settings().is_empty());
        // A neurons setting changed while only rows runs changes nothing that runs.
        config.neurons.ig.steps = 3;
        assert!(config.changed_settings().is_empty());
        config.rows.refit.steps = 100;
        assert_eq!(config.changed_settings(), ["rows-refit=100"]);
    }

    #[test]
    fn defaults_round_trip_through_the_table() {
        let base = ForgetConfig::default();
        let table = params(&base);
        let values: Vec<(&str, &str)> = table.iter().map(|p| (p.key, p.default.as_str())).collect();
        assert_eq!(parse_params(&base, values).into_result().unwrap(), base);
        assert!(base.validate().is_ok());
    }

    #[test]
    fn refusals_name_the_setting_and_the_range() {
        let base = ForgetConfig::default();
        let errors = parse_params(&base, [("ratio", "abc"), ("steps", "-5"), ("sequences", "100000"), ("edit", "x"), ("nope", "1")])
            .into_result()
            .unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["ratio", "steps", "sequences", "edit", "nope"]);
        assert_eq!(errors[0].to_string(), "ratio=abc: not a number; a number from 0 to 1 is allowed");
        assert!(errors[1].message.contains("from 1 to 200"));
        let inverted = parse_params(&base, [("band-low", "9"), ("band-high", "3"), ("ratio", "0.5")]);
        assert_eq!(inverted.errors[0].key, "band-low");
        // The refused band stays the base's; the accepted ratio is kept.
        assert_eq!(inverted.config.neurons.screening.band, base.neurons.screening.band);
        assert_eq!(inverted.config.neurons.screening.ratio, 0.5);
    }

    #[test]
    fn settings_apply_and_validate() {
        let base = ForgetConfig::default();
        let config = parse_params(&base, [("method", "rows,distill"), ("ratio", "0.5"), ("distill-steps", "6")]).into_result().unwrap();
        assert_eq!(config.methods, vec![Method::Rows, Method::Distill]);
        assert_eq!(config.neurons.screening.ratio, 0.5);
        assert_eq!(config.distill.steps, 6);
        let mut bad = base.clone();
        bad.neurons.ig.steps = 0;
        bad.distill.batch_size = 0;
        let message = bad.validate().unwrap_err().to_string();
        assert!(message.contains("steps=0") && message.contains("distill-batch=0"), "{message}");
    }
}
