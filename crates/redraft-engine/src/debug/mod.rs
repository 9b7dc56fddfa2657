//! DEBUG (debug.c): the engine's half of the operator and test tooling — the subcommands that
//! read the keyspace (OBJECT, DIGEST, DIGEST-VALUE, LISTPACK). The others are the node's and
//! the server answers them (docs/commands.md, debug). The server refuses DEBUG unless the node
//! runs with `--enable-debug-command` ([`crate::spec::PROTECTED`]).

mod commands;
mod digest;
#[cfg(test)]
mod tests;

pub(crate) use commands::COMMANDS;
