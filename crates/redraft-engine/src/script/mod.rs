//! Scripting (EVAL): a fresh Lua 5.1 VM per call.

// The EVAL runtime (built on another branch) installs these; until it is merged nothing here
// calls them.
#[allow(dead_code)]
pub mod libs;
