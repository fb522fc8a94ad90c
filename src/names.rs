//! Enum names through strum's derives: each named enum lists its variants (`EnumIter`) and
//! names them (`IntoStaticStr`, `Display`: `serialize_all` or a per-variant spelling); [`parse`]
//! reads a name back, the same way for every enum, or says which names there are.

use strum::IntoEnumIterator;

use crate::error::{Error, Result};

/// The variant named `s` (case and surrounding space ignored); otherwise an error that names
/// `what` was asked for and lists every name.
pub fn parse<T: IntoEnumIterator + Into<&'static str> + Copy>(s: &str, what: &str) -> Result<T> {
    T::iter()
        .find(|&v| v.into().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| Error::Config(format!("unknown {what} `{s}`; the {what}s are {}", list::<T>())))
}

/// Every name, comma-separated, in declaration order.
pub fn list<T: IntoEnumIterator + Into<&'static str>>() -> String {
    T::iter().map(Into::into).collect::<Vec<&str>>().join(", ")
}
