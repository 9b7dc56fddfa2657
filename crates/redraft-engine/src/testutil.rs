//! Helpers for the unit tests: apply commands at a given entry time, read at a given time.

use crate::entry::LogCommand;
use crate::event::Event;
use crate::keyspace::TypedValue;
use crate::notify::Class;
use crate::reply::CmdResult;
use crate::reply::Reply;
use crate::spec::WriteCtx;
use crate::spec::{cmd, keys_then_timeout, Blocking, CommandSpec, Kind::Write, Served, BLOCKING};
use crate::{Engine, ReadContext};

pub fn argv(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|part| part.as_bytes().to_vec()).collect()
}

/// A command line split at single spaces: `c("ZADD z 1 a")`. Arguments that hold a space or
/// are empty need the slice form (`&["SET", "k", ""]`).
pub fn c(line: &str) -> Vec<Vec<u8>> {
    line.split(' ')
        .map(|word| word.as_bytes().to_vec())
        .collect()
}

/// What the helpers accept as a command: a line (`"SET k v"`, see [`c`]), a slice of words,
/// or an argv.
pub trait IntoArgv {
    fn into_argv(self) -> Vec<Vec<u8>>;
}

impl IntoArgv for &str {
    fn into_argv(self) -> Vec<Vec<u8>> {
        c(self)
    }
}

impl IntoArgv for &[&str] {
    fn into_argv(self) -> Vec<Vec<u8>> {
        argv(self)
    }
}

impl<const N: usize> IntoArgv for &[&str; N] {
    fn into_argv(self) -> Vec<Vec<u8>> {
        argv(self)
    }
}

impl IntoArgv for &Vec<&str> {
    fn into_argv(self) -> Vec<Vec<u8>> {
        argv(self)
    }
}

impl IntoArgv for Vec<Vec<u8>> {
    fn into_argv(self) -> Vec<Vec<u8>> {
        self
    }
}

/// Applies one command in db 0 as an entry stamped `now_ms`; returns its reply.
pub fn apply(engine: &mut Engine, now_ms: u64, command: impl IntoArgv) -> Reply {
    let entry = LogCommand::run(now_ms, 0, vec![command.into_argv()]);
    let mut replies = engine.apply(now_ms, &entry);
    assert_eq!(replies.len(), 1);
    replies.remove(0)
}

/// Reads in db 0 at `now_ms` with seed 0.
pub fn read(engine: &Engine, now_ms: u64, command: impl IntoArgv) -> Reply {
    read_seeded(engine, now_ms, 0, command)
}

pub fn read_seeded(engine: &Engine, now_ms: u64, seed: u64, command: impl IntoArgv) -> Reply {
    engine.read(
        0,
        &command.into_argv(),
        ReadContext {
            now_ms,
            seed,
            no_touch: false,
        },
    )
}

/// Applies each command line in turn as an entry stamped `now_ms` (reads too, through the
/// log) and checks its reply as [`show`] writes it: `("ZADD z 1 a", ":1")`.
pub fn check(engine: &mut Engine, now_ms: u64, cases: &[(&str, &str)]) {
    for (line, expected) in cases {
        assert_eq!(show(&apply(engine, now_ms, *line)), *expected, "{line}");
    }
}

/// A reply on one line, for tables of expected replies:
/// - an error is its line as it is (`ERR syntax error`, `WRONGTYPE ...`: it always holds a
///   space), so the error constants of args.rs and reply.rs can stand in a table;
/// - an integer is `:3`, a simple string `+OK`, a double `,1.5`, a boolean `#t` or `#f`;
/// - a bulk string is its text when that is one printable word that no other form could be
///   mistaken for, and is quoted with byte escapes otherwise (`"a b"`, `""`, `"\x00"`);
/// - the nulls are `(nil)` and `(nil-array)`;
/// - an array is `[a b c]`, a set `~[a b]`, a map `{k v k v}`, pairs (a RESP2 flat array or
///   RESP3 pairs) `%[f v f v]`, a map of arrays `%{k v}`.
pub fn show(reply: &Reply) -> String {
    let list =
        |items: &mut dyn Iterator<Item = &Reply>| items.map(show).collect::<Vec<_>>().join(" ");
    let flat = |pairs: &[(Reply, Reply)]| list(&mut pairs.iter().flat_map(|(a, b)| [a, b]));
    match reply {
        Reply::Error(line) => line.clone(),
        Reply::Integer(n) => format!(":{n}"),
        Reply::Simple(text) => format!("+{text}"),
        Reply::Double(value) => format!(",{value}"),
        Reply::Bool(value) => (if *value { "#t" } else { "#f" }).to_string(),
        Reply::Bulk(bytes) => show_bulk(bytes),
        Reply::Nil => "(nil)".to_string(),
        Reply::NilArray => "(nil-array)".to_string(),
        Reply::Array(items) => format!("[{}]", list(&mut items.iter())),
        Reply::Push(items) => format!(">[{}]", list(&mut items.iter())),
        Reply::Set(items) => format!("~[{}]", list(&mut items.iter())),
        Reply::Map(pairs) => format!("{{{}}}", flat(pairs)),
        Reply::Pairs(pairs) => format!("%[{}]", flat(pairs)),
        Reply::PairMap(pairs) => format!("%{{{}}}", flat(pairs)),
        Reply::BigNumber(digits) => format!("({digits}"),
        Reply::Verbatim { format, text } => format!("={format}:{}", show_bulk(text)),
        Reply::Attribute(pairs) => format!("|{{{}}}", flat(pairs)),
        Reply::Preceded { before, reply } => format!("{} {}", show(before), show(reply)),
    }
}

fn show_bulk(bytes: &[u8]) -> String {
    let plain = !bytes.is_empty()
        && bytes
            .iter()
            .all(|b| b.is_ascii_graphic() && !b"[]{}\"".contains(b))
        && !b":+,#(~%".contains(&bytes[0]);
    if plain {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        // Byte by byte, so that every byte string shows differently (no lossy UTF-8).
        format!("\"{}\"", bytes.escape_ascii())
    }
}
/// A copy of the value of type `T` at `key` in db 0, which must be there.
pub fn value_of<T: TypedValue + Clone>(engine: &Engine, key: &str) -> T {
    let db = &engine.keyspace().dbs[0];
    let value = db.get_as::<T>(key.as_bytes(), 0).expect("the key's type");
    value.expect("a live key").clone()
}

/// `CONFIG SET name value` as a replicated write, which must succeed.
pub fn config_set(engine: &mut Engine, name: &str, value: &str) {
    let reply = apply(engine, 1000, &["CONFIG", "SET", name, value]);
    assert_eq!(reply, Reply::ok(), "CONFIG SET {name} {value}");
}

/// Turns keyspace notifications on for `classes` (CONFIG SET notify-keyspace-events) and
/// subscribes a client to every keyspace and keyevent channel, for [`notified`].
pub fn listen(engine: &mut Engine, classes: &str) {
    config_set(engine, "notify-keyspace-events", classes);
    let subscribe = apply(engine, 1000, "subscribe-client 1 1 1 1 pattern __key*__:*");
    assert_eq!(subscribe, Reply::Integer(1));
    engine.take_events();
}

/// The keyspace notifications published since the last call, in order, one line each:
/// `event key` for a keyevent message, `key: event` for a keyspace one, after `@<db> ` outside
/// database 0.
pub fn notified(engine: &mut Engine) -> Vec<String> {
    engine
        .take_events()
        .into_iter()
        .filter_map(|event| match event {
            Event::Message {
                channel, payload, ..
            } => Some(notification(&channel, &payload)),
            Event::Subscriptions(_) | Event::Invalidate { .. } | Event::LoginsRevoked { .. } => {
                None
            }
        })
        .collect()
}

fn notification(channel: &[u8], payload: &[u8]) -> String {
    let channel = String::from_utf8_lossy(channel);
    let payload = String::from_utf8_lossy(payload);
    let (keyspace, rest) = match channel.strip_prefix("__keyspace@") {
        Some(rest) => (true, rest),
        None => (
            false,
            channel.strip_prefix("__keyevent@").expect("a notification"),
        ),
    };
    let (db, name) = rest.split_once("__:").expect("a database number");
    let db = if db == "0" {
        String::new()
    } else {
        format!("@{db} ")
    };
    match keyspace {
        true => format!("{db}{name}: {payload}"),
        false => format!("{db}{name} {payload}"),
    }
}

/// Applies each command line in turn as an entry stamped `now_ms` and checks the keyspace
/// notifications it published (see [`notified`]): `("LPUSH l a", &["lpush l"])`.
pub fn check_notified(engine: &mut Engine, now_ms: u64, cases: &[(&str, &[&str])]) {
    for (line, expected) in cases {
        let reply = apply(engine, now_ms, *line);
        assert_eq!(
            notified(engine),
            *expected,
            "{line} (replied {})",
            show(&reply)
        );
    }
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
    // Magic 8, version 4, time 8, configuration 8 * PARAM_COUNT, applied index 8, db 0's count
    // 8, key 4 + 1, no deadline 1, type tag 1.
    const VALUE_AT: usize = 43 + 8 * crate::config::PARAM_COUNT;
    // Database 0's table of changes (whole-database entry 8, count 4, 12 per bucket), then
    // the entry count and the empty table of changes of databases 1 to 15, then the counts of
    // an empty script cache (8) and of no function library (8), then an empty table of
    // waiters (next order 8, count 8), of no pub/sub subscriber (8) and of no lock (last token
    // 8, last lease 8, lock count 8, ended count 8), then the users (only the default one, as it encodes).
    let changed_buckets = engine.keyspace().dbs[0]
        .changes
        .buckets
        .as_ref()
        .map_or(0, |buckets| {
            buckets.iter().filter(|&&index| index != 0).count()
        });
    let mut users = Vec::new();
    let catalog = crate::table::catalog();
    engine.keyspace().users.encode_snapshot(catalog, &mut users);
    let tail = 12 + 12 * changed_buckets + 15 * (8 + 12) + 8 + 8 + 16 + 8 + 32 + users.len();
    let bytes = engine.encode_snapshot();
    let mut out = bytes[..VALUE_AT].to_vec();
    out.extend_from_slice(value);
    out.extend_from_slice(&bytes[bytes.len() - tail..]);
    out
}

/// Commands that exist only in the engine's unit tests.
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("debug-block", -3, BLOCKING, 1, -2, 1, Write(debug_block)),
    cmd!("debug-panic", -1, 0, 0, 0, 0, Write(panics)),
];

/// How DEBUG-BLOCK key [key ...] timeout waits: a blocking command whose serve notifies and
/// then does not happen, for the tests that such a serve leaves no notification behind.
pub(crate) static WAITING: &[Blocking] = &[Blocking::on_keys(
    "debug-block",
    keys_then_timeout,
    notify_then_fail,
)];

fn debug_block(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    WAITING[0].now(ctx, argv)
}

/// Notifies "debug", then panics when the key holds "panic", else finds nothing to serve.
fn notify_then_fail(
    ctx: &mut WriteCtx,
    _argv: &[Vec<u8>],
    key: &[u8],
) -> Result<Option<Served>, Reply> {
    let now = ctx.now_ms;
    let value = ctx.db().get_as::<Vec<u8>>(key, now)?;
    let panics = value.is_some_and(|value| value == b"panic");
    ctx.notify(Class::GENERIC, "debug", key);
    assert!(!panics, "DEBUG-BLOCK was served");
    Ok(None)
}

/// DEBUG-PANIC: a command with a bug, for the test that apply contains it.
fn panics(_: &mut WriteCtx, _: &[Vec<u8>]) -> CmdResult {
    panic!("DEBUG-PANIC was called")
}

#[test]
fn show_writes_every_reply_on_one_unambiguous_line() {
    let pairs = vec![(bulk("f"), int(1))];
    let cases = [
        (err("ERR syntax error"), "ERR syntax error"),
        (int(-3), ":-3"),
        (ok(), "+OK"),
        (Reply::Double(1.5), ",1.5"),
        (Reply::Bool(true), "#t"),
        (bulk("word"), "word"),
        (bulk("two words"), "\"two words\""),
        (bulk(""), "\"\""),
        (bulk(":1"), "\":1\""),
        (bulk("[x]"), "\"[x]\""),
        (Reply::Bulk(vec![0, 0xf0, b'"']), r#""\x00\xf0\"""#),
        (Reply::Nil, "(nil)"),
        (Reply::NilArray, "(nil-array)"),
        (bulks(&["a", "b"]), "[a b]"),
        (Reply::Set(vec![bulk("a")]), "~[a]"),
        (Reply::Map(pairs.clone()), "{f :1}"),
        (Reply::Pairs(pairs.clone()), "%[f :1]"),
        (Reply::PairMap(pairs), "%{f :1}"),
        (
            Reply::Array(vec![Reply::Array(vec![]), Reply::Nil]),
            "[[] (nil)]",
        ),
    ];
    for (reply, shown) in cases {
        assert_eq!(show(&reply), shown, "{reply:?}");
    }
}
