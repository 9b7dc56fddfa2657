//! This node's slow log (SLOWLOG): the commands its clients ran that took at least
//! `slowlog-log-slower-than` microseconds, newest first, at most `slowlog-max-len` of them, shared
//! by all the node's connections. An entry keeps at most 32 arguments of at most 128 bytes each
//! (Redis's shape), with secrets redacted as Redis redacts them.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use redraft_engine::args::parse_i64;
use redraft_engine::Reply;

/// Most arguments an entry keeps (the command name included; the last one kept says how many
/// more there were).
const ARGS_MAX: usize = 32;
/// Most bytes an argument keeps (the rest is replaced by how many more there were).
const ARG_BYTES_MAX: usize = 128;
/// GET's count when none is given.
const GET_DEFAULT: usize = 10;
/// What a redacted argument reads.
const REDACTED: &[u8] = b"(redacted)";

/// One slow command.
pub struct SlowEntry {
    id: u64,
    unix_secs: u64,
    took_us: u64,
    args: Vec<Vec<u8>>,
    peer: String,
    name: Vec<u8>,
}

#[derive(Default)]
struct Entries {
    newest_first: VecDeque<SlowEntry>,
    next_id: u64,
}

#[derive(Default)]
pub struct SlowLog {
    entries: Mutex<Entries>,
}

/// Who ran a slow command: its address and name.
pub struct Client<'a> {
    pub peer: String,
    pub name: &'a [u8],
}

impl SlowLog {
    /// Logs a command that took `took_us`, its arguments as [`entry_args`] keeps them, keeping
    /// at most `max_len` entries; the entry's id.
    pub fn push(
        &self,
        args: Vec<Vec<u8>>,
        took_us: u64,
        client: Client<'_>,
        max_len: usize,
    ) -> u64 {
        let unix_secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |now| now.as_secs());
        let mut entries = self.lock();
        let id = entries.next_id;
        entries.next_id += 1;
        entries.newest_first.push_front(SlowEntry {
            id,
            unix_secs,
            took_us,
            args,
            peer: client.peer,
            name: client.name.to_vec(),
        });
        entries.newest_first.truncate(max_len);
        id
    }

    pub fn len(&self) -> usize {
        self.lock().newest_first.len()
    }

    /// SLOWLOG RESET: the entries go; ids go on from where they were.
    pub fn reset(&self) {
        self.lock().newest_first.clear();
    }

    /// SLOWLOG GET [count]: the newest `count` entries (10 by default, -1 for all).
    pub fn get(&self, count: Option<&[u8]>) -> Reply {
        let count = match count.map(parse_i64) {
            None => GET_DEFAULT,
            Some(Some(-1)) => usize::MAX,
            Some(Some(n)) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
            Some(_) => return Reply::error("ERR count should be greater than or equal to -1"),
        };
        let entries = self.lock();
        Reply::Array(
            entries
                .newest_first
                .iter()
                .take(count)
                .map(entry_reply)
                .collect(),
        )
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn entry_reply(entry: &SlowEntry) -> Reply {
    let int = |n: u64| Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    Reply::Array(vec![
        int(entry.id),
        int(entry.unix_secs),
        int(entry.took_us),
        Reply::Array(entry.args.iter().cloned().map(Reply::Bulk).collect()),
        Reply::bulk(entry.peer.clone()),
        Reply::Bulk(entry.name.clone()),
    ])
}

/// `argv` (`command` as the table names it) as an entry keeps it: redacted, then cut to
/// [`ARGS_MAX`] arguments of [`ARG_BYTES_MAX`] bytes.
pub fn entry_args(command: &str, argv: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let secret = secret_positions(command, argv);
    let kept = argv.len().min(ARGS_MAX);
    let mut args = Vec::with_capacity(kept);
    for (i, arg) in argv.iter().enumerate().take(kept) {
        if i == kept - 1 && argv.len() > kept {
            let more = argv.len() - kept + 1;
            args.push(format!("... ({more} more arguments)").into_bytes());
        } else if secret.contains(&i) {
            args.push(REDACTED.to_vec());
        } else if arg.len() > ARG_BYTES_MAX {
            let mut cut = arg[..ARG_BYTES_MAX].to_vec();
            let more = arg.len() - ARG_BYTES_MAX;
            cut.extend_from_slice(format!("... ({more} more bytes)").as_bytes());
            args.push(cut);
        } else {
            args.push(arg.clone());
        }
    }
    args
}

/// The positions of `argv` that hold passwords or ACL rules, which Redis does not log.
fn secret_positions(command: &str, argv: &[Vec<u8>]) -> Vec<usize> {
    match command {
        "auth" => (1..argv.len()).collect(),
        "acl|setuser" => (2..argv.len()).collect(),
        "hello" => argv
            .iter()
            .position(|arg| arg.eq_ignore_ascii_case(b"auth"))
            .filter(|&at| at >= 2)
            .map_or_else(Vec::new, |at| vec![at + 1, at + 2]),
        "config|set" => (2..argv.len())
            .step_by(2)
            .filter(|&at| argv[at].eq_ignore_ascii_case(b"requirepass"))
            .map(|at| at + 1)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|a| a.as_bytes().to_vec()).collect()
    }

    fn push(log: &SlowLog, command: &str, line: &str, took_us: u64, max_len: usize) {
        log.push(entry_args(command, &argv(line)), took_us, client(), max_len);
    }

    fn client() -> Client<'static> {
        Client {
            peer: "127.0.0.1:5000".into(),
            name: b"worker",
        }
    }

    fn args_of(reply: &Reply, at: usize) -> Vec<String> {
        let Reply::Array(entries) = reply else {
            panic!("{reply:?}")
        };
        let Reply::Array(fields) = &entries[at] else {
            panic!("{reply:?}")
        };
        let Reply::Array(args) = &fields[3] else {
            panic!("{reply:?}")
        };
        args.iter()
            .map(|arg| match arg {
                Reply::Bulk(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn entries_keep_32_arguments_and_128_bytes_of_each_as_redis_does() {
        let log = SlowLog::default();
        let many: Vec<String> = (0..40).map(|i| format!("a{i}")).collect();
        push(&log, "del", &format!("DEL {}", many.join(" ")), 7, 128);
        let long = "x".repeat(200);
        push(&log, "echo", &format!("ECHO {long}"), 4, 128);
        let got = log.get(None);
        assert_eq!(
            args_of(&got, 0),
            [
                "ECHO".to_string(),
                format!("{}... (72 more bytes)", "x".repeat(128))
            ]
        );
        let del = args_of(&got, 1);
        assert_eq!(del.len(), 32);
        assert_eq!(del[30], "a29");
        assert_eq!(del[31], "... (10 more arguments)");
        let Reply::Array(entries) = &got else {
            panic!()
        };
        let Reply::Array(fields) = &entries[0] else {
            panic!()
        };
        assert_eq!(fields[0], Reply::Integer(1));
        assert_eq!(fields[2], Reply::Integer(4));
        assert_eq!(fields[4], Reply::bulk("127.0.0.1:5000"));
        assert_eq!(fields[5], Reply::bulk("worker"));
    }

    #[test]
    fn secrets_are_redacted_as_redis_redacts_them() {
        let log = SlowLog::default();
        for (command, line) in [
            ("auth", "AUTH user pass"),
            ("hello", "HELLO 3 AUTH user pass SETNAME x"),
            ("acl|setuser", "ACL SETUSER bob on >pw"),
            ("config|set", "CONFIG SET requirepass pw maxmemory 1"),
        ] {
            push(&log, command, line, 1, 128);
        }
        let got = log.get(Some(b"-1"));
        let r = "(redacted)";
        assert_eq!(
            args_of(&got, 0),
            ["CONFIG", "SET", "requirepass", r, "maxmemory", "1"]
        );
        assert_eq!(args_of(&got, 1), ["ACL", "SETUSER", r, r, r]);
        assert_eq!(
            args_of(&got, 2),
            ["HELLO", "3", "AUTH", r, r, "SETNAME", "x"]
        );
        assert_eq!(args_of(&got, 3), ["AUTH", r, r]);
    }

    #[test]
    fn get_counts_len_reset_and_the_length_bound() {
        let log = SlowLog::default();
        for i in 0..5 {
            push(&log, "get", &format!("GET k{i}"), 1, 3);
        }
        assert_eq!(log.len(), 3);
        assert_eq!(args_of(&log.get(Some(b"1")), 0), ["GET", "k4"]);
        let Reply::Array(all) = log.get(Some(b"-1")) else {
            panic!()
        };
        assert_eq!(all.len(), 3);
        assert_eq!(log.get(Some(b"0")), Reply::Array(Vec::new()));
        let refused = Reply::error("ERR count should be greater than or equal to -1");
        assert_eq!(log.get(Some(b"-2")), refused);
        assert_eq!(log.get(Some(b"x")), refused);
        log.reset();
        assert_eq!(log.len(), 0);
        push(&log, "get", "GET k", 1, 3);
        // Ids go on after RESET.
        let Reply::Array(entries) = log.get(None) else {
            panic!()
        };
        assert!(matches!(&entries[0], Reply::Array(fields) if fields[0] == Reply::Integer(5)));
    }
}
