//! The command table: every command the server knows, as data. The dispatcher ([`resolve`])
//! finds the command (and its subcommand, for containers such as CONFIG or OBJECT) and checks
//! its arity (Redis's convention: `n` exactly n arguments including the name, `-n` at least n)
//! before any command function runs, so command functions may index `argv[..arity]` freely.
//!
//! Adding a command touches one place, its type's module: an entry in that module's `COMMANDS`
//! fragment, its function, and its test. The fragments are merged here; a new type's module
//! adds its fragment to [`all`] once.

use crate::args;
use crate::reply::Reply;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::spec::SUBCOMMAND_SYNTAX;
pub use crate::spec::{wrong_arity, CommandSpec, Kind, PROTECTED};

use crate::acl::catalog::{Catalog, CatalogEntry};
use crate::acl::{category, derive};
use crate::{
    acl, bitmap, blocking, connection, debug, dump, function, geo, hash, hyperloglog, keys, list,
    lock, pubsub, script, set, sort, stream, string, transaction, zset,
};

/// Every module's fragment of the table, with the ACL category of its type (@hash for hash's
/// commands; 0 for a module of no type): each command's other categories follow from its kind
/// and flags (see [`derive::of`]).
fn fragments() -> Vec<(&'static [CommandSpec], u32)> {
    #[allow(unused_mut)] // Pushed to in tests only.
    let mut fragments: Vec<(&'static [CommandSpec], u32)> = vec![
        (acl::COMMANDS, 0),
        (bitmap::COMMANDS, category::BITMAP),
        (connection::COMMANDS, 0),
        (debug::COMMANDS, 0),
        (dump::COMMANDS, category::KEYSPACE),
        (function::COMMANDS, category::SCRIPTING),
        (geo::COMMANDS, category::GEO),
        (hash::COMMANDS, category::HASH),
        (hyperloglog::COMMANDS, category::HYPERLOGLOG),
        (keys::COMMANDS, category::KEYSPACE),
        (list::COMMANDS, category::LIST),
        (list::blocking::COMMANDS, category::LIST),
        (lock::COMMANDS, 0),
        (pubsub::COMMANDS, 0),
        (script::COMMANDS, category::SCRIPTING),
        (set::COMMANDS, category::SET),
        (
            sort::COMMANDS,
            category::SET | category::SORTEDSET | category::LIST,
        ),
        (stream::COMMANDS, category::STREAM),
        (string::COMMANDS, category::STRING),
        (zset::COMMANDS, category::SORTEDSET),
        (zset::blocking::COMMANDS, category::SORTEDSET),
    ];
    #[cfg(test)]
    fragments.push((crate::testutil::COMMANDS, 0));
    fragments
}

/// Every module's commands, merged and sorted by name once (a test checks names are unique;
/// [`lookup`] relies on the order). Arity, flags and key positions are those Redis 7's COMMAND
/// reports. Each type's module keeps its own entries beside its functions.
pub fn all() -> &'static [&'static CommandSpec] {
    static TABLE: OnceLock<Vec<&'static CommandSpec>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: Vec<&'static CommandSpec> = fragments()
            .into_iter()
            .flat_map(|(fragment, _)| fragment)
            .collect();
        table.sort_by_key(|spec| spec.name);
        table
    })
}

/// Every command and subcommand with its ACL categories, for the ACL rules.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut entries = Vec::new();
        for (fragment, type_category) in fragments() {
            for spec in fragment {
                for spec in std::iter::once(spec).chain(spec.subcommands()) {
                    let categories = derive::of(spec, type_category);
                    entries.push(CatalogEntry {
                        name: spec.name,
                        categories,
                    });
                }
            }
        }
        Catalog::new(entries)
    })
}

/// Longer than every command's name.
const NAME_BYTES_MAX: usize = 32;

/// The table by name. A command is looked up several times on its way (routing, ACL,
/// statistics): one hash and one comparison each instead of a binary search's dozen.
/// Each command with its position in [`all`].
type ByName = HashMap<&'static [u8], (usize, &'static CommandSpec), BuildHasherDefault<NameHasher>>;

/// FNV-1a over a command name: a few multiplications for a name of a few bytes, where std's
/// SipHash showed as 1.6 % of a node's CPU under pipelined writes. The keys are the table's own
/// names, not a client's choice, so a weak hash costs nothing in safety; and it has no random
/// keys: nothing here depends on randomness.
struct NameHasher(u64);

impl Default for NameHasher {
    /// FNV's offset basis.
    fn default() -> Self {
        NameHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(PRIME);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn by_name() -> &'static ByName {
    static BY_NAME: OnceLock<ByName> = OnceLock::new();
    BY_NAME.get_or_init(|| {
        all()
            .iter()
            .enumerate()
            .map(|(position, &spec)| (spec.name.as_bytes(), (position, spec)))
            .collect()
    })
}

/// The command `name` names, case-insensitively, with its position in [`all`] (without
/// allocating: every command of every client comes through here).
fn find(name: &[u8]) -> Option<(usize, &'static CommandSpec)> {
    if name.len() > NAME_BYTES_MAX {
        return None;
    }
    let mut lower = [0u8; NAME_BYTES_MAX];
    let lower = &mut lower[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    by_name().get(&*lower).copied()
}

/// Finds a command by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    find(name).map(|(_, spec)| spec)
}

/// The position in [`all`] of the command `name` names, case-insensitively: a dense index for
/// per-command counters.
pub fn position(name: &[u8]) -> Option<usize> {
    find(name).map(|(position, _)| position)
}

/// Looks the command (and, for a container, its subcommand) up and checks its arity, as
/// Redis's dispatcher does before running it.
pub fn resolve(argv: &[Vec<u8>]) -> Result<&'static CommandSpec, Reply> {
    let spec = argv
        .first()
        .and_then(|name| lookup(name))
        .ok_or_else(|| unknown_command(argv))?;
    if !spec.arity_ok(argv.len()) {
        return Err(wrong_arity(spec.name));
    }
    let Kind::Container(subcommands) = spec.kind else {
        return Ok(spec);
    };
    if argv.len() < 2 {
        // A container's arity asks for its subcommand; this guards one declared otherwise.
        return Err(wrong_arity(spec.name));
    }
    let found = subcommand(subcommands, &argv[1]);
    if spec.flags & SUBCOMMAND_SYNTAX != 0 {
        return found
            .filter(|found| found.arity_ok(argv.len()))
            .ok_or_else(|| subcommand_syntax_error(spec.name, &argv[1]));
    }
    let Some(found) = found else {
        return Err(unknown_subcommand(spec.name, &argv[1]));
    };
    if !found.arity_ok(argv.len()) {
        return Err(wrong_arity(found.name));
    }
    Ok(found)
}

/// The command (or subcommand) `argv` names, its arity unchecked: whose counters a refused
/// call counts on (INFO commandstats' rejected_calls). None for an unknown name.
pub fn named(argv: &[Vec<u8>]) -> Option<&'static CommandSpec> {
    let spec = lookup(argv.first()?)?;
    let Kind::Container(subcommands) = spec.kind else {
        return Some(spec);
    };
    let Some(sub) = argv.get(1) else {
        return Some(spec);
    };
    Some(subcommand(subcommands, sub).unwrap_or(spec))
}

/// The subcommand named `sub` (any case), compared in place: the argument may be as long as a
/// bulk string may be.
fn subcommand(subcommands: &'static [CommandSpec], sub: &[u8]) -> Option<&'static CommandSpec> {
    subcommands.iter().find(|candidate| {
        let name = candidate.name.split('|').nth(1).unwrap_or_default();
        name.as_bytes().eq_ignore_ascii_case(sub)
    })
}

/// Looks up a command of a log entry: any client command, or one of the engine's internal
/// commands (a transaction, see [`crate::entry::Transaction`]), which clients cannot send.
pub fn resolve_entry(argv: &[Vec<u8>]) -> Result<&'static CommandSpec, Reply> {
    resolve(argv).or_else(|unknown| {
        let name = argv.first().ok_or_else(|| unknown.clone())?;
        let internal = transaction::INTERNAL
            .iter()
            .chain(blocking::INTERNAL)
            .chain(pubsub::INTERNAL)
            .chain(lock::INTERNAL)
            .chain(acl::caller::INTERNAL)
            .chain(acl::file::INTERNAL)
            .chain(crate::connection::INTERNAL)
            .find(|spec| spec.name.as_bytes().eq_ignore_ascii_case(name))
            .ok_or(unknown)?;
        match internal.arity_ok(argv.len()) {
            true => Ok(internal),
            false => Err(wrong_arity(internal.name)),
        }
    })
}

/// Bytes of arguments quoted in the unknown-command error, at most (Redis's limit).
const QUOTED_ARGS_MAX: usize = 128;

/// Redis's reply to a command name it does not know: the name (128 bytes at most) and the
/// first arguments, each cut to the room left in 128 bytes, as C strings; CR/LF become spaces.
pub fn unknown_command(argv: &[Vec<u8>]) -> Reply {
    let name = argv.first().map_or(&[][..], |name| args::c_str(name));
    let name = &name[..name.len().min(QUOTED_ARGS_MAX)];
    let mut quoted = Vec::new();
    for arg in argv.iter().skip(1) {
        if quoted.len() >= QUOTED_ARGS_MAX {
            break;
        }
        let arg = args::c_str(arg);
        let room = QUOTED_ARGS_MAX - quoted.len();
        quoted.push(b'\'');
        quoted.extend_from_slice(&arg[..arg.len().min(room)]);
        quoted.extend_from_slice(b"' ");
    }
    args::client_error(format!(
        "ERR unknown command '{}', with args beginning with: {}",
        String::from_utf8_lossy(name),
        String::from_utf8_lossy(&quoted)
    ))
}

/// Redis's reply to a subcommand a container does not have (128 bytes of it at most).
pub fn unknown_subcommand(container: &str, sub: &[u8]) -> Reply {
    let sub = args::c_str(sub);
    args::client_error(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        String::from_utf8_lossy(&sub[..sub.len().min(QUOTED_ARGS_MAX)]),
        container.to_ascii_uppercase()
    ))
}

/// Redis's one reply to a subcommand that is unknown or has the wrong arity, for the
/// containers marked [`SUBCOMMAND_SYNTAX`] (DEBUG).
pub fn subcommand_syntax_error(container: &str, sub: &[u8]) -> Reply {
    let sub = args::c_str(sub);
    args::client_error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        String::from_utf8_lossy(&sub[..sub.len().min(QUOTED_ARGS_MAX)]),
        container.to_ascii_uppercase()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique_so_lookup_finds_every_entry() {
        for pair in all().windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} !< {}",
                pair[0].name,
                pair[1].name
            );
        }
        for spec in all() {
            assert!(std::ptr::eq(lookup(spec.name.as_bytes()).unwrap(), *spec));
            assert!(lookup(spec.name.to_uppercase().as_bytes()).is_some());
        }
    }

    /// Every command the table runs in the engine, subcommands included.
    fn engine_commands() -> Vec<&'static CommandSpec> {
        all()
            .iter()
            .flat_map(|spec| std::iter::once(*spec).chain(spec.subcommands()))
            .filter(|spec| matches!(spec.kind, Kind::Read(_) | Kind::Write(_)))
            .collect()
    }

    /// The test code of the engine's sources, lower-cased: whole files named tests.rs (or
    /// `<name>_tests.rs`) and every
    /// file from its `#[cfg(test)]` module on.
    fn test_sources() -> String {
        fn walk(dir: &std::path::Path, out: &mut String) {
            let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
            entries.sort_by_key(|entry| entry.path());
            for entry in entries {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let whole = path
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().ends_with("tests.rs"));
                let from = if whole {
                    Some(0)
                } else {
                    text.find("#[cfg(test)]\nmod tests")
                };
                if let Some(from) = from {
                    out.push_str(&text[from..].to_ascii_lowercase());
                }
            }
        }
        let mut out = String::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut out,
        );
        out
    }

    #[test]
    fn every_engine_command_is_called_by_a_unit_test() {
        let sources = test_sources();
        let untested: Vec<&str> = engine_commands()
            .into_iter()
            .map(|spec| spec.name)
            .filter(|name| {
                let words = name.replace('|', " ");
                let listed = name.replace('|', "\", \"");
                ![
                    format!("\"{words} "),
                    format!("\"{words}\""),
                    format!("\"{listed}\""),
                ]
                .iter()
                .any(|call| sources.contains(call.as_str()))
            })
            .collect();
        assert!(untested.is_empty(), "no unit test calls {untested:?}");
    }

    #[test]
    fn key_positions_are_consistent_and_flags_follow_the_kind() {
        for spec in engine_commands() {
            let keyless = (spec.first_key, spec.last_key, spec.step) == (0, 0, 0);
            assert!(
                keyless || (spec.first_key >= 1 && spec.step >= 1),
                "{}",
                spec.name
            );
        }
        let rename = lookup(b"rename").unwrap();
        assert_eq!((rename.first_key, rename.last_key, rename.step), (1, 2, 1));
        let mset = lookup(b"MSET").unwrap();
        assert_eq!(
            (mset.arity, mset.first_key, mset.last_key, mset.step),
            (-3, 1, -1, 2)
        );
        assert_eq!(lookup(b"set").unwrap().flag_names(), vec!["denyoom"]);
        assert_eq!(lookup(b"get").unwrap().flag_names(), vec!["fast"]);
        assert_eq!(lookup(b"ping").unwrap().flag_names(), vec!["fast"]);
    }

    #[test]
    fn the_name_hasher_is_fnv_1a() {
        let hash = |bytes: &[u8]| {
            let mut hasher = NameHasher::default();
            hasher.write(bytes);
            hasher.finish()
        };
        assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn lookup_finds_every_command_in_any_case_and_nothing_else() {
        for spec in all() {
            assert!(spec.name.len() <= NAME_BYTES_MAX, "{}", spec.name);
            let upper = spec.name.to_ascii_uppercase();
            assert!(std::ptr::eq(lookup(upper.as_bytes()).unwrap(), *spec));
            assert!(std::ptr::eq(lookup(spec.name.as_bytes()).unwrap(), *spec));
        }
        assert!(lookup(b"GeT").is_some_and(|spec| spec.name == "get"));
        assert!(lookup(b"nosuchcommand").is_none());
        assert!(lookup(b"").is_none());
        assert!(lookup(&[b'g'; NAME_BYTES_MAX + 1]).is_none());
    }

    #[test]
    fn resolve_finds_subcommands_and_checks_both_arities() {
        use crate::testutil::c;
        assert!(resolve(&c("config get x"))
            .unwrap()
            .subcommands()
            .is_empty());
        let arity = |name| format!("ERR wrong number of arguments for '{name}' command");
        for (line, expected) in [
            ("config GET x", Ok("config|get")),
            ("CONFIG set a b", Ok("config|set")),
            ("config", Err(arity("config"))),
            ("config get", Err(arity("config|get"))),
            (
                "config nope\r\nx",
                Err("ERR unknown subcommand 'nope  x'. Try CONFIG HELP.".into()),
            ),
            (
                "nope a",
                Err("ERR unknown command 'nope', with args beginning with: 'a' ".into()),
            ),
        ] {
            let found = resolve(&c(line)).map(|spec| spec.name);
            assert_eq!(found, expected.map_err(Reply::error), "{line:?}");
        }
    }

    #[test]
    fn named_finds_the_command_a_refused_call_counts_on() {
        use crate::testutil::c;
        let name = |line| named(&c(line)).map(|spec| spec.name);
        assert_eq!(name("config get"), Some("config|get"));
        assert_eq!(name("SLOWLOG len x"), Some("slowlog|len"));
        assert_eq!(name("slowlog"), Some("slowlog"));
        assert_eq!(name("slowlog nope"), Some("slowlog"));
        assert_eq!(name("set k"), Some("set"));
        assert_eq!(name("nope"), None);
    }

    #[test]
    fn subcommands_are_named_after_their_container_and_sorted() {
        for spec in all() {
            let subs = spec.subcommands();
            for sub in subs {
                let (container, name) = sub.name.split_once('|').expect(sub.name);
                assert_eq!(container, spec.name);
                assert_eq!(name, name.to_ascii_lowercase());
                assert!(sub.arity.unsigned_abs() >= 2, "{}", sub.name);
                assert!(sub.subcommands().is_empty(), "{}", sub.name);
            }
            for pair in subs.windows(2) {
                assert!(pair[0].name < pair[1].name, "{}", pair[1].name);
            }
        }
    }

    #[test]
    fn unknown_command_quotes_at_most_128_bytes_of_arguments() {
        let long = vec![b'x'; 200];
        let argv = vec![b"foo".to_vec(), long, b"next".to_vec()];
        let expected = format!(
            "ERR unknown command 'foo', with args beginning with: '{}' ",
            "x".repeat(128)
        );
        assert_eq!(unknown_command(&argv), Reply::error(expected));
        let argv = vec![b"f\r\no".to_vec(), b"a\0b".to_vec()];
        assert_eq!(
            unknown_command(&argv),
            Reply::error("ERR unknown command 'f  o', with args beginning with: 'a' ")
        );
    }

    #[test]
    fn unknown_command_reply_matches_redis() {
        let argv = vec![b"foo".to_vec(), b"a".to_vec(), b"b".to_vec()];
        assert_eq!(
            unknown_command(&argv),
            Reply::error("ERR unknown command 'foo', with args beginning with: 'a' 'b' ")
        );
    }
}
