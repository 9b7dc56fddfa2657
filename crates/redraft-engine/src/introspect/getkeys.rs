//! COMMAND GETKEYS and GETKEYSANDFLAGS: the keys of a whole command line, found through the
//! command's key specifications (keyspec.rs) as Redis 7.0 finds them, or by the command's own
//! `find_keys` where the specifications cannot say (Redis's getkeys procedures).

use super::keyspec::{self, Begin, Find, KeySpec};
use crate::args::parse_i64;
use crate::reply::Reply;
use crate::spec::CommandSpec;
use crate::table;

/// A key found in a command line: its index in the line and its specification's flags.
pub type Found = (usize, Vec<&'static str>);

/// COMMAND GETKEYS (`with_flags` false) or GETKEYSANDFLAGS: `line` is the command with its
/// arguments.
pub fn reply(line: &[Vec<u8>], with_flags: bool) -> Reply {
    let Some(spec) = table::named(line).filter(|spec| names_exactly(spec, line)) else {
        return Reply::error("ERR Invalid command specified");
    };
    let specs = keyspec::parse(spec.key_specs).unwrap_or_default();
    let has_keys = specs.iter().any(|spec| !spec.flags.contains(&"not_key"));
    if !has_keys && spec.find_keys.is_none() {
        return Reply::error("ERR The command has no key arguments");
    }
    if !spec.arity_ok(line.len()) {
        return Reply::error("ERR Invalid number of arguments specified for command");
    }
    match find(spec, &specs, line) {
        Some(found) if !found.is_empty() => Reply::Array(
            found
                .into_iter()
                .map(|(at, flags)| key_reply(&line[at], flags, with_flags))
                .collect(),
        ),
        _ if spec.flag_names().contains(&"no_mandatory_keys") => Reply::Array(Vec::new()),
        _ => Reply::error("ERR Invalid arguments specified for command"),
    }
}

/// Whether `spec`, found for `line`, is the command the line names: a container's
/// subcommand must be one of its subcommands (Redis: an unknown one is no command).
fn names_exactly(spec: &CommandSpec, line: &[Vec<u8>]) -> bool {
    match spec.name.split_once('|') {
        Some(_) => true,
        None => spec.subcommands().is_empty() || line.len() < 2,
    }
}

fn key_reply(key: &[u8], flags: Vec<&'static str>, with_flags: bool) -> Reply {
    if !with_flags {
        return Reply::bulk(key);
    }
    let flags = flags.into_iter().map(|flag| Reply::Simple(flag.into()));
    Reply::Array(vec![Reply::bulk(key), Reply::Set(flags.collect())])
}

/// The keys of `line`: by the specifications unless one of them cannot say (not known, marked
/// incomplete or of variable flags) or the line does not fit them, then by the command's own
/// `find_keys`. None: the line names no key validly.
pub fn find(spec: &CommandSpec, specs: &[KeySpec], line: &[Vec<u8>]) -> Option<Vec<Found>> {
    let reliable = !specs.iter().any(|spec| {
        spec.flags
            .iter()
            .any(|flag| matches!(*flag, "incomplete" | "variable_flags"))
    });
    let by_specs = if reliable {
        by_specs(specs, line)
    } else {
        None
    };
    match (by_specs, spec.find_keys) {
        (Some(found), _) => Some(found),
        (None, Some(find_keys)) => Some(
            find_keys(line)?
                .into_iter()
                .map(|(at, flags)| (at, flags.to_vec()))
                .collect(),
        ),
        (None, None) => None,
    }
}

/// The keys every specification finds in `line`, in the order of the specifications; None
/// when one cannot be followed (not known, or the line does not fit it).
fn by_specs(specs: &[KeySpec], line: &[Vec<u8>]) -> Option<Vec<Found>> {
    let mut found = Vec::new();
    for spec in specs.iter().filter(|spec| !spec.flags.contains(&"not_key")) {
        let Some(first) = begin(&spec.begin, line)? else {
            continue;
        };
        let (first, last, step) = range(&spec.find, first, line)?;
        if last >= line.len() || last < first || first >= line.len() {
            return None;
        }
        found.extend(
            (first..=last)
                .step_by(step)
                .map(|at| (at, spec.flags.clone())),
        );
    }
    Some(found)
}

/// Where a specification's search begins: None when it cannot say, Some(None) when its
/// keyword is absent (the specification finds no key).
fn begin(begin: &Begin, line: &[Vec<u8>]) -> Option<Option<usize>> {
    let argc = line.len() as i64;
    match *begin {
        Begin::Index(index) => Some(Some(index.max(0) as usize)),
        Begin::Keyword { keyword, start } => {
            let start = i64::from(start);
            let from = if start > 0 { start } else { argc + start };
            let matches = |at: &i64| line[*at as usize].eq_ignore_ascii_case(keyword.as_bytes());
            // As Redis searches: never the last argument forwards, nor the first backwards.
            let at = match start > 0 {
                true => (from.max(1)..argc - 1).find(matches),
                false => (2..=from.min(argc - 1)).rev().find(matches),
            };
            Some(at.map(|at| at as usize + 1))
        }
        Begin::Unknown => None,
    }
}

/// The first and last index of a specification's keys and its step, from where its search
/// began; None when the line does not fit.
fn range(find: &Find, first: usize, line: &[Vec<u8>]) -> Option<(usize, usize, usize)> {
    let argc = line.len() as i64;
    let first_at = first as i64;
    let (first, last, step) = match *find {
        Find::Range { last, step, limit } => {
            let last = i64::from(last);
            let last = match (last >= 0, limit) {
                (true, _) => first_at + last,
                (false, 0) => argc + last,
                (false, limit) => first_at + ((argc - first_at) / i64::from(limit) + last),
            };
            (first_at, last, step)
        }
        Find::Keynum { index, first, step } => {
            let count = line.get((first_at + i64::from(index)) as usize)?;
            let count = parse_i64(count).filter(|count| *count >= 0)?;
            let first = first_at + i64::from(first);
            (first, first + count - 1, step)
        }
        Find::Unknown => return None,
    };
    let index = |at: i64| usize::try_from(at).ok();
    Some((
        index(first)?,
        index(last)?,
        usize::try_from(step).ok()?.max(1),
    ))
}
