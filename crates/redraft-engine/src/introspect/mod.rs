//! COMMAND and its subcommands: what the command table says of each command, as Redis 7.0's
//! COMMAND INFO, LIST, COUNT, DOCS, GETKEYS and GETKEYSANDFLAGS give it. The session answers
//! COMMAND by calling [`command`]; everything comes from the table entries (arity, flags,
//! `tips:`, `keys:`) and the ACL categories derived from them (acl/derive.rs).

pub mod docs;
pub mod getkeys;
pub mod keyspec;

#[cfg(test)]
mod tests;

use crate::acl::category::CATEGORIES;
use crate::args::syntax_error;
use crate::glob::glob_match;
use crate::reply::Reply;
use crate::spec::CommandSpec;
use crate::table::{self, all, unknown_subcommand, wrong_arity};

/// COMMAND [COUNT | LIST | INFO | DOCS | GETKEYS | GETKEYSANDFLAGS | HELP ...].
pub fn command(argv: &[Vec<u8>]) -> Reply {
    let Some(sub) = argv.get(1).map(|sub| sub.to_ascii_lowercase()) else {
        return Reply::Array(all().iter().map(|spec| info(spec)).collect());
    };
    let rest = &argv[2..];
    match (sub.as_slice(), rest.len()) {
        (b"count", 0) => Reply::count(all().len()),
        (b"list", _) => list(rest),
        (b"info", 0) => Reply::Array(all().iter().map(|spec| info(spec)).collect()),
        (b"info", _) => Reply::Array(rest.iter().map(|name| info_of(name)).collect()),
        (b"docs", _) => docs::reply(rest),
        (b"getkeys", 2..) => getkeys::reply(rest, false),
        (b"getkeysandflags", 2..) => getkeys::reply(rest, true),
        (b"help", 0) => help(),
        (b"count" | b"getkeys" | b"getkeysandflags" | b"help", _) => {
            wrong_arity(&format!("command|{}", String::from_utf8_lossy(&sub)))
        }
        _ => unknown_subcommand("command", &argv[1]),
    }
}

/// The command or subcommand (`config|get`) named `name`, any case.
pub fn find(name: &[u8]) -> Option<&'static CommandSpec> {
    let lower = name.to_ascii_lowercase();
    let Some(bar) = lower.iter().position(|b| *b == b'|') else {
        return table::lookup(&lower);
    };
    let container = table::lookup(&lower[..bar])?;
    container
        .subcommands()
        .iter()
        .find(|sub| sub.name.as_bytes() == lower.as_slice())
}

fn info_of(name: &[u8]) -> Reply {
    find(name).map_or(Reply::Nil, info)
}

/// Every command and subcommand (`container|sub`), as Redis 7.0's COMMAND LIST, or those of
/// FILTERBY MODULE name (none here), ACLCAT category or PATTERN pattern.
fn list(rest: &[Vec<u8>]) -> Reply {
    let every = all()
        .iter()
        .flat_map(|spec| std::iter::once(*spec).chain(spec.subcommands()));
    let names = |keep: &dyn Fn(&CommandSpec) -> bool| {
        Reply::Array(
            every
                .clone()
                .filter(|spec| keep(spec))
                .map(|spec| Reply::bulk(spec.name))
                .collect(),
        )
    };
    match rest {
        [] => names(&|_| true),
        [filterby, kind, value] if filterby.eq_ignore_ascii_case(b"filterby") => {
            match kind.to_ascii_lowercase().as_slice() {
                b"module" => Reply::Array(Vec::new()),
                b"aclcat" => {
                    let category = crate::acl::category::by_name(value).unwrap_or(0);
                    names(&|spec| categories(spec) & category != 0)
                }
                b"pattern" => {
                    names(&|spec| glob_match(&value.to_ascii_lowercase(), spec.name.as_bytes()))
                }
                _ => syntax_error(),
            }
        }
        _ => syntax_error(),
    }
}

/// The ACL category bits of `spec`, as the ACL rules know them.
fn categories(spec: &CommandSpec) -> u32 {
    table::catalog()
        .find(spec.name.as_bytes())
        .map_or(0, |entry| entry.categories)
}

/// One command's COMMAND INFO entry, in Redis 7.0's ten fields: name, arity, flags, first
/// key, last key, step, ACL categories, tips, key specifications, subcommands.
pub fn info(spec: &CommandSpec) -> Reply {
    let categories = categories(spec);
    let category_names = CATEGORIES
        .iter()
        .filter(|(_, bit)| categories & bit != 0)
        .map(|(name, _)| Reply::Simple(format!("@{name}")));
    let specs = keyspec::parse(spec.key_specs).unwrap_or_default();
    Reply::Array(vec![
        Reply::bulk(spec.name),
        Reply::Integer(spec.arity.into()),
        Reply::Set(
            flags(spec, categories)
                .into_iter()
                .map(|flag| Reply::Simple(flag.into()))
                .collect(),
        ),
        Reply::Integer(spec.first_key.into()),
        Reply::Integer(spec.last_key.into()),
        Reply::Integer(spec.step.into()),
        Reply::Set(category_names.collect()),
        Reply::Set(spec.tips.split_whitespace().map(Reply::bulk).collect()),
        Reply::Array(specs.iter().map(keyspec::KeySpec::reply).collect()),
        Reply::Array(spec.subcommands().iter().map(info).collect()),
    ])
}

/// Redis's flags of `spec`: `write` for the commands of @write and `readonly` for those of
/// @read (Redis derives those categories from these flags), the entry's own, and
/// `movablekeys` when a key specification is not at a fixed place.
pub fn flags(spec: &CommandSpec, categories: u32) -> Vec<&'static str> {
    use crate::acl::category::{READ, WRITE};
    let mut flags = Vec::new();
    if categories & WRITE != 0 {
        flags.push("write");
    }
    if categories & READ != 0 {
        flags.push("readonly");
    }
    flags.extend(spec.flag_names());
    let specs = keyspec::parse(spec.key_specs).unwrap_or_default();
    if specs.iter().any(|spec| !spec.is_fixed()) {
        flags.push("movablekeys");
    }
    flags
}

fn help() -> Reply {
    Reply::help(&[
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Every command's details.",
        "COUNT",
        "    The number of commands.",
        "LIST [FILTERBY (MODULE <name>|ACLCAT <category>|PATTERN <pattern>)]",
        "    The names of the commands and subcommands.",
        "INFO [<command-name> ...]",
        "    The details of the commands named, or of every command.",
        "DOCS [<command-name> ...]",
        "    The documentation of the commands named, or of every command.",
        "GETKEYS <full-command>",
        "    The keys of a whole command line.",
        "GETKEYSANDFLAGS <full-command>",
        "    The keys of a whole command line and what the command does with each.",
        "HELP",
        "    This text.",
    ])
}
