//! Helpers for the unit tests: apply commands at a given entry time, read at a given time.

use crate::entry::{LogCommand, Op};
use crate::reply::Reply;
use crate::{Engine, ReadContext};

pub fn argv(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|part| part.as_bytes().to_vec()).collect()
}

/// Applies one command in db 0 as an entry stamped `now_ms`; returns its reply.
pub fn apply(engine: &mut Engine, now_ms: u64, parts: &[&str]) -> Reply {
    apply_argv(engine, now_ms, argv(parts))
}

pub fn apply_argv(engine: &mut Engine, now_ms: u64, argv: Vec<Vec<u8>>) -> Reply {
    let entry = LogCommand {
        now_ms,
        op: Op::Commands {
            db: 0,
            cmds: vec![argv],
        },
    };
    let mut replies = engine.apply(now_ms, &entry);
    assert_eq!(replies.len(), 1);
    replies.remove(0)
}

/// Reads in db 0 at `now_ms` with seed 0.
pub fn read(engine: &Engine, now_ms: u64, parts: &[&str]) -> Reply {
    read_seeded(engine, now_ms, 0, parts)
}

pub fn read_seeded(engine: &Engine, now_ms: u64, seed: u64, parts: &[&str]) -> Reply {
    engine.read(0, &argv(parts), ReadContext { now_ms, seed })
}

/// `CONFIG SET name value` as a replicated write, which must succeed.
pub fn config_set(engine: &mut Engine, name: &str, value: &str) {
    let reply = apply(engine, 1000, &["CONFIG", "SET", name, value]);
    assert_eq!(reply, Reply::ok(), "CONFIG SET {name} {value}");
}

/// The encoding OBJECT ENCODING reports for `key` (in db 0), as text.
pub fn encoding(engine: &Engine, key: &str) -> String {
    match read(engine, 1000, &["OBJECT", "ENCODING", key]) {
        Reply::Bulk(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        other => panic!("OBJECT ENCODING {key}: {other:?}"),
    }
}

pub fn bulk(text: &str) -> Reply {
    Reply::bulk(text.as_bytes())
}

pub fn int(value: i64) -> Reply {
    Reply::Integer(value)
}

pub fn err(line: &str) -> Reply {
    Reply::error(line)
}

pub fn ok() -> Reply {
    Reply::ok()
}

pub fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|item| bulk(item)).collect())
}

/// A snapshot of `engine` with its value replaced by `value` (a value's own encoding, without
/// its type tag), for tests of a value type's decoder. `engine` holds exactly one key, of one
/// byte, in database 0, without a deadline.
pub fn splice_value(engine: &Engine, value: &[u8]) -> Vec<u8> {
    // Magic 8, version 4, time 8, configuration 5 * 8, db 0's count 8, key 4 + 1, no
    // deadline 1, type tag 1.
    const VALUE_AT: usize = 75;
    // The entry counts of databases 1 to 15.
    const TAIL: usize = 15 * 8;
    let bytes = engine.encode_snapshot();
    let mut out = bytes[..VALUE_AT].to_vec();
    out.extend_from_slice(value);
    out.extend_from_slice(&bytes[bytes.len() - TAIL..]);
    out
}
