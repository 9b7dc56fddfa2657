//! Set commands (t_set.c) and the set value type: an intset (ascending integers) while every
//! member is an integer and there are few of them, a hash table otherwise (held packed in one
//! buffer while small, an internal form that behaves exactly as the table). SINTER, SUNION,
//! SDIFF, their STORE forms and SINTERCARD share one set algebra, as Redis's two generic
//! commands do.
//!
//! [`value`] holds the value type and its snapshot format; [`commands`] the commands.

mod commands;
pub(crate) mod value;

#[cfg(test)]
mod tests;

pub(crate) use commands::COMMANDS;
pub use value::SetValue;
