//! The errors the engine's `redis` functions raise, as Redis raises its `{err=...}`: a line
//! that the script's error handler and its pcall take back out unchanged.

use mlua::Value;

/// An error a `redis` function raises, as Redis raises its `{err=...}`: the line, which the
/// script's error handler and its pcall take back out.
#[derive(Debug)]
pub struct Raised(pub String);

impl std::fmt::Display for Raised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Raised {}

pub fn raise<T>(line: &str) -> mlua::Result<T> {
    Err(mlua::Error::external(Raised(line.to_string())))
}

/// The line of an error a `redis` function raised, if `value` is one.
pub fn raised_line(value: &Value) -> Option<String> {
    match value {
        Value::Error(error) => error
            .downcast_ref::<Raised>()
            .map(|raised| raised.0.clone()),
        _ => None,
    }
}
