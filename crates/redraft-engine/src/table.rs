//! The command table: every command the server knows, as data. The dispatcher checks arity
//! (Redis's convention: `n` exactly n arguments including the name, `-n` at least n) before any
//! command function runs, so command functions may index `argv[..arity]` freely.
//!
//! Adding a command touches one place, its type's module: an entry in that module's `COMMANDS`
//! fragment, its function, and its test (plus its name in the module's `TESTED` list). The
//! fragments are merged here; a new type's module adds its fragment to [`all`] once.

use crate::engine::{ReadCtx, WriteCtx};
use crate::reply::Reply;
use std::sync::OnceLock;

use crate::{
    args, bitmap, config, connection, dump, geo, hash, hyperloglog, keys, list, set, sort, stream,
    string, zset,
};

/// Modifies the keyspace: goes through the Raft log.
pub const WRITE: u32 = 1 << 0;
/// Reads the keyspace only: served after a read barrier on any node.
pub const READONLY: u32 = 1 << 1;
/// Runs in O(1) or O(log N).
pub const FAST: u32 = 1 << 2;
/// May grow memory (Redis's `denyoom`).
pub const DENYOOM: u32 = 1 << 3;
/// Administrative or server-wide.
pub const ADMIN: u32 = 1 << 4;
/// Answered by the client's session without touching the keyspace (PING, HELLO, SELECT...).
pub const CONNECTION: u32 = 1 << 5;
/// Returns or draws something random; in a write path the seed comes from the log entry.
pub const RANDOM: u32 = 1 << 6;

pub type WriteFn = fn(&mut WriteCtx, &[Vec<u8>]) -> Reply;
pub type ReadFn = fn(&ReadCtx, &[Vec<u8>]) -> Reply;

/// Who executes a command.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Applied by the state machine on every replica, from the log.
    Write(WriteFn),
    /// Executed against the local replica after a read barrier.
    Read(ReadFn),
    /// Executed by the client's session (connection state, server information).
    Session,
}

pub struct CommandSpec {
    /// Lower-case name, as COMMAND reports it.
    pub name: &'static str,
    pub arity: i32,
    pub flags: u32,
    /// Key positions as Redis reports them in COMMAND: first key, last key (negative counts
    /// from the end), step. All zero when the command takes no key.
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    pub kind: Kind,
}

impl CommandSpec {
    pub fn is_write(&self) -> bool {
        matches!(self.kind, Kind::Write(_))
    }

    /// Whether `argc` arguments (command name included) satisfy this command's arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let arity = self.arity.unsigned_abs() as usize;
        if self.arity >= 0 {
            argc == arity
        } else {
            argc >= arity
        }
    }

    /// Redis's flag names, for COMMAND INFO.
    pub fn flag_names(&self) -> Vec<&'static str> {
        const NAMES: [(u32, &str); 7] = [
            (WRITE, "write"),
            (READONLY, "readonly"),
            (DENYOOM, "denyoom"),
            (ADMIN, "admin"),
            (FAST, "fast"),
            (CONNECTION, "stale"),
            (RANDOM, "random"),
        ];
        NAMES
            .iter()
            .filter(|(bit, _)| self.flags & bit != 0)
            .map(|(_, name)| *name)
            .collect()
    }
}

macro_rules! cmd {
    ($name:literal, $arity:expr, $flags:expr, $first:expr, $last:expr, $step:expr, $kind:expr) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            first_key: $first,
            last_key: $last,
            step: $step,
            kind: $kind,
        }
    };
}
pub(crate) use cmd;

/// Every module's commands, merged and sorted by name once (a test checks names are unique;
/// [`lookup`] relies on the order). Arity, flags and key positions are those Redis 7's COMMAND
/// reports. Each type's module keeps its own entries beside its functions.
pub fn all() -> &'static [&'static CommandSpec] {
    static TABLE: OnceLock<Vec<&'static CommandSpec>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: Vec<&'static CommandSpec> = [
            bitmap::COMMANDS,
            config::COMMANDS,
            connection::COMMANDS,
            dump::COMMANDS,
            geo::COMMANDS,
            hash::COMMANDS,
            hyperloglog::COMMANDS,
            keys::COMMANDS,
            list::COMMANDS,
            set::COMMANDS,
            sort::COMMANDS,
            stream::COMMANDS,
            string::COMMANDS,
            zset::COMMANDS,
        ]
        .into_iter()
        .flatten()
        .collect();
        table.sort_by_key(|spec| spec.name);
        table
    })
}

/// Finds a command by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    if name.len() > 32 {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let table = all();
    table
        .binary_search_by(|spec| spec.name.as_bytes().cmp(&lower))
        .ok()
        .map(|i| table[i])
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

/// Redis's reply to a known command with the wrong number of arguments.
pub fn wrong_arity(name: &str) -> Reply {
    Reply::error(format!(
        "ERR wrong number of arguments for '{name}' command"
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

    #[test]
    fn every_state_machine_command_has_a_unit_test() {
        let mut tested: Vec<&str> = [
            crate::bitmap::tests::TESTED,
            crate::config::tests::TESTED,
            crate::dump::tests::TESTED,
            crate::geo::tests::TESTED,
            crate::hash::tests::TESTED,
            crate::hyperloglog::tests::TESTED,
            crate::keys::tests::TESTED,
            crate::list::tests::TESTED,
            crate::set::tests::TESTED,
            crate::sort::tests::TESTED,
            crate::stream::tests::TESTED,
            crate::string::tests::TESTED,
            crate::zset::tests::TESTED,
        ]
        .concat();
        tested.sort_unstable();
        let in_table: Vec<&str> = all()
            .iter()
            .filter(|spec| !matches!(spec.kind, Kind::Session))
            .map(|spec| spec.name)
            .collect();
        assert_eq!(
            tested, in_table,
            "add the command's tests and its name to TESTED"
        );
    }

    #[test]
    fn session_commands_are_in_the_table_without_a_function() {
        let names = [
            "client", "command", "echo", "hello", "info", "ping", "quit", "raft", "select", "time",
        ];
        for name in names {
            let spec = lookup(name.as_bytes()).expect(name);
            assert!(matches!(spec.kind, Kind::Session), "{name}");
            assert!(spec.flags & CONNECTION != 0, "{name}");
        }
    }

    #[test]
    fn flags_and_key_positions_are_consistent() {
        for spec in all() {
            match spec.kind {
                // CONFIG keeps Redis's flags: only its SET reaches the state machine.
                Kind::Write(_) => assert!(
                    spec.flags & WRITE != 0 || spec.name == "config",
                    "{}",
                    spec.name
                ),
                Kind::Read(_) => assert!(spec.flags & READONLY != 0, "{}", spec.name),
                Kind::Session => assert!(spec.flags & (WRITE | READONLY) == 0, "{}", spec.name),
            }
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
        assert_eq!(
            lookup(b"set").unwrap().flag_names(),
            vec!["write", "denyoom"]
        );
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
