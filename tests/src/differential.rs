//! Random command sequences for the strings/keyspace slice, and the one place where
//! the documented differences between redraft's and redis-server's replies are
//! tolerated.
//!
//! Generated commands never depend on wall-clock timing for their outcome: relative
//! expiries are at least 100 s, absolute ones are either long past (the key is gone on
//! both sides) or far in the future, and relative values are spread widely so that a
//! few milliseconds between the two servers cannot flip an NX/XX/GT/LT comparison.

use rand::rngs::StdRng;
use rand::Rng;
use redis_protocol::resp2::types::OwnedFrame;

use crate::driver::{self, c, frame, pick, Against, Coverage, Ops, Outcome, Program, Side, Sides};
use crate::raw::show;

/// One command: its arguments, the first being the name.
pub type Command = Vec<Vec<u8>>;

const KEYS: &[&str] = &["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"];

/// Values: plain strings, integer-ish and float-ish strings, edge integers, binary.
const VALUES: &[&str] = &[
    "v",
    "hello",
    "",
    "0",
    "1",
    "-1",
    "10",
    "42",
    "-17",
    "007",
    " 1",
    "1 ",
    "+5",
    "1.5",
    "-0.25",
    "3.0",
    "1e3",
    "0x10",
    "abc",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551615",
    "inf",
    "-inf",
    "nan",
    "1.7976931348623157e308",
    "a\r\nb",
    "\u{0}bin\u{0}",
    "k1",
];

/// Integer arguments (increments, offsets, counts), valid and not.
const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "5",
    "-3",
    "100",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "1.5",
    "abc",
    "",
    " 1",
    "+1",
    "01",
];

/// Float increments for INCRBYFLOAT, valid and not.
const FLOATS: &[&str] = &[
    "0",
    "1",
    "-1",
    "0.1",
    "1.5",
    "-0.25",
    "3",
    "1e3",
    "-2.5e-3",
    "10.0",
    "1.7976931348623157e308",
    "abc",
    "",
    "inf",
    "-inf",
    "nan",
    " 1",
    "1.5.5",
    "0x10",
    "5e",
];

/// Relative expiries in seconds: errors (0, negative → delete or error), huge
/// (overflow), and widely spread values of at least 100 s.
fn seconds(rng: &mut StdRng) -> String {
    match rng.random_range(0..12) {
        0 => "0".into(),
        1 => "-5".into(),
        2 => "abc".into(),
        3 => "9223372036854775807".into(),
        4 => "-9223372036854775808".into(),
        5 => "1.5".into(),
        _ => rng.random_range(100..10_000_000u64).to_string(),
    }
}

fn millis(rng: &mut StdRng) -> String {
    match rng.random_range(0..12) {
        0 => "0".into(),
        1 => "-5".into(),
        2 => "abc".into(),
        3 => "9223372036854775807".into(),
        4 => "9223372036854775".into(),
        _ => rng.random_range(100_000..10_000_000_000u64).to_string(),
    }
}

/// Absolute deadlines (unix seconds): long past, far future (after 2100), or junk.
///
/// SET never gets a past deadline: redis-server 7.0 then keeps the key, logically
/// expired, until its expiry cycle reclaims it, so DBSIZE would depend on timing
/// (EXPIREAT and GETEX delete such a key at once, deterministically).
fn unix_seconds(rng: &mut StdRng, past: bool) -> String {
    match rng.random_range(if past { 0 } else { 3 }..10) {
        0 => "1".into(),
        1 => "0".into(),
        2 => "1000000000".into(),
        3 => "-1".into(),
        4 => "abc".into(),
        5 => "9223372036854775807".into(),
        _ => (4_102_444_800u64 + rng.random_range(0..1_000_000_000u64)).to_string(),
    }
}

fn unix_millis(rng: &mut StdRng, past: bool) -> String {
    match rng.random_range(if past { 0 } else { 3 }..10) {
        0 => "1".into(),
        1 => "0".into(),
        2 => "1000000000000".into(),
        3 => "-1".into(),
        4 => "abc".into(),
        5 => "9223372036854775807".into(),
        _ => (4_102_444_800_000u64 + rng.random_range(0..1_000_000_000_000u64)).to_string(),
    }
}

fn key(rng: &mut StdRng) -> String {
    pick(rng, KEYS).to_string()
}

fn value(rng: &mut StdRng) -> String {
    pick(rng, VALUES).to_string()
}

/// An expiry option for SET: `EX s`, `PX ms`, `EXAT t`, `PXAT t` or `KEEPTTL`.
fn set_expiry(rng: &mut StdRng, out: &mut Vec<String>) {
    match rng.random_range(0..5) {
        0 => out.extend(["EX".into(), seconds(rng)]),
        1 => out.extend(["PX".into(), millis(rng)]),
        2 => out.extend(["EXAT".into(), unix_seconds(rng, false)]),
        3 => out.extend(["PXAT".into(), unix_millis(rng, false)]),
        _ => out.push("KEEPTTL".into()),
    }
}

fn expire_flag(rng: &mut StdRng, out: &mut Vec<String>) {
    if rng.random_bool(0.5) {
        out.push(pick(rng, &["NX", "XX", "GT", "LT", "nx", "gt", "FOO"]).into());
        if rng.random_bool(0.1) {
            out.push(pick(rng, &["NX", "XX", "GT", "LT"]).into());
        }
    }
}

fn keys_pattern(rng: &mut StdRng) -> String {
    pick(
        rng,
        &[
            "*", "k*", "k[1-3]", "?1", "*x*", "k\\*", "k[^0]", "", "k1", "[", "k?",
        ],
    )
    .into()
}

/// The commands of the slice, some more often than others.
const NAMES: &[&str] = &[
    "GET",
    "SET",
    "SET",
    "SET",
    "SETNX",
    "SETEX",
    "PSETEX",
    "GETSET",
    "GETDEL",
    "GETEX",
    "MGET",
    "MSET",
    "MSETNX",
    "APPEND",
    "STRLEN",
    "INCR",
    "INCRBY",
    "DECR",
    "DECRBY",
    "INCRBYFLOAT",
    "GETRANGE",
    "SETRANGE",
    "DEL",
    "UNLINK",
    "EXISTS",
    "TYPE",
    "EXPIRE",
    "PEXPIRE",
    "EXPIREAT",
    "PEXPIREAT",
    "TTL",
    "PTTL",
    "EXPIRETIME",
    "PEXPIRETIME",
    "PERSIST",
    "KEYS",
    "SCAN",
    "RENAME",
    "RENAMENX",
    "DBSIZE",
    "ECHO",
    "PING",
    "GET",
    "INCR",
    "TTL",
];

/// Generates one well-formed (mostly) command of the slice.
fn valid_command(rng: &mut StdRng) -> Vec<String> {
    let mut c: Vec<String> = Vec::new();
    let name = pick(rng, NAMES);
    c.push(name.into());
    match name {
        "GET" | "GETDEL" | "STRLEN" | "INCR" | "DECR" | "TYPE" | "TTL" | "PTTL" | "EXPIRETIME"
        | "PEXPIRETIME" | "PERSIST" => c.push(key(rng)),
        "SET" => {
            c.extend([key(rng), value(rng)]);
            for _ in 0..rng.random_range(0..3) {
                match rng.random_range(0..4) {
                    0 => set_expiry(rng, &mut c),
                    1 => c.push(pick(rng, &["NX", "XX"]).into()),
                    2 => c.push("GET".into()),
                    _ => c.push(pick(rng, &["nx", "get", "keepttl", "ex"]).into()),
                }
            }
        }
        "SETNX" | "GETSET" | "APPEND" => c.extend([key(rng), value(rng)]),
        "SETEX" => c.extend([key(rng), seconds(rng), value(rng)]),
        "PSETEX" => c.extend([key(rng), millis(rng), value(rng)]),
        "GETEX" => {
            c.push(key(rng));
            match rng.random_range(0..7) {
                0 => c.extend(["EX".into(), seconds(rng)]),
                1 => c.extend(["PX".into(), millis(rng)]),
                2 => c.extend(["EXAT".into(), unix_seconds(rng, true)]),
                3 => c.extend(["PXAT".into(), unix_millis(rng, true)]),
                4 => c.push("PERSIST".into()),
                5 => c.extend(["PERSIST".into(), "EX".into(), "100".into()]),
                _ => {}
            }
        }
        "MGET" | "DEL" | "UNLINK" | "EXISTS" => {
            for _ in 0..rng.random_range(1..5) {
                c.push(key(rng));
            }
        }
        "MSET" | "MSETNX" => {
            for _ in 0..rng.random_range(1..4) {
                c.extend([key(rng), value(rng)]);
            }
        }
        "INCRBY" | "DECRBY" => c.extend([key(rng), pick(rng, INTS).into()]),
        "INCRBYFLOAT" => c.extend([key(rng), pick(rng, FLOATS).into()]),
        "GETRANGE" => c.extend([key(rng), pick(rng, INTS).into(), pick(rng, INTS).into()]),
        "SETRANGE" => {
            let offset = pick(
                rng,
                &["0", "1", "3", "10", "-1", "abc", "536870912", "100000"],
            );
            // Past 512 MB a write must fail the size check; stay far below it
            // otherwise (a 512 MB value would make every later reply huge).
            let v = if offset == "536870912" {
                "x".into()
            } else {
                value(rng)
            };
            c.extend([key(rng), offset.into(), v]);
        }
        "EXPIRE" => {
            c.extend([key(rng), seconds(rng)]);
            expire_flag(rng, &mut c);
        }
        "PEXPIRE" => {
            c.extend([key(rng), millis(rng)]);
            expire_flag(rng, &mut c);
        }
        "EXPIREAT" => {
            c.extend([key(rng), unix_seconds(rng, true)]);
            expire_flag(rng, &mut c);
        }
        "PEXPIREAT" => {
            c.extend([key(rng), unix_millis(rng, true)]);
            expire_flag(rng, &mut c);
        }
        "KEYS" => c.push(keys_pattern(rng)),
        "SCAN" => {
            c.push(pick(rng, &["0", "0", "0", "abc"]).into());
            for _ in 0..rng.random_range(0..3) {
                match rng.random_range(0..4) {
                    0 => c.extend(["MATCH".into(), keys_pattern(rng)]),
                    1 => c.extend([
                        "COUNT".into(),
                        pick(rng, &["1", "3", "100", "0", "-1", "x"]).into(),
                    ]),
                    2 => c.extend([
                        "TYPE".into(),
                        pick(rng, &["string", "hash", "STRING"]).into(),
                    ]),
                    _ => c.push(pick(rng, &["MATCH", "BOGUS"]).into()),
                }
            }
        }
        "RENAME" | "RENAMENX" => c.extend([key(rng), key(rng)]),
        "ECHO" => c.push(value(rng)),
        "PING" if rng.random_bool(0.5) => c.push(value(rng)),
        _ => {}
    }
    c
}

/// Generates the next command: mostly valid ones, plus wrong arity, unknown commands
/// and odd casing.
pub fn command(rng: &mut StdRng) -> Command {
    let mut c = valid_command(rng);
    match rng.random_range(0..100) {
        // Wrong arity: drop or add arguments.
        0..=4 => {
            let keep = rng.random_range(1..=c.len());
            c.truncate(keep);
        }
        5..=7 => {
            for _ in 0..rng.random_range(1..4) {
                c.push(value(rng));
            }
        }
        // Unknown commands, with and without arguments.
        8..=9 => {
            c[0] = pick(rng, &["FOO", "GETT", "sett", "X", "SETT"]).into();
        }
        // Odd casing of the command name.
        10..=14 => {
            c[0] = c[0]
                .chars()
                .enumerate()
                .map(|(i, ch)| {
                    if i % 2 == 0 {
                        ch.to_ascii_lowercase()
                    } else {
                        ch
                    }
                })
                .collect();
        }
        _ => {}
    }
    c.into_iter().map(String::into_bytes).collect()
}

/// Shows a command readably for failure messages.
pub fn show_command(command: &Command) -> String {
    command
        .iter()
        .map(|a| format!("{:?}", String::from_utf8_lossy(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The upper-cased command name.
pub fn name(command: &Command) -> String {
    String::from_utf8_lossy(&command[0]).to_ascii_uppercase()
}

fn integer(bytes: &[u8]) -> Option<i64> {
    match frame(bytes)? {
        OwnedFrame::Integer(n) => Some(n),
        _ => None,
    }
}

/// The elements of an array reply, sorted.
pub fn sorted_elements(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    match frame(bytes)? {
        OwnedFrame::Array(items) => {
            let mut out: Vec<Vec<u8>> = items
                .into_iter()
                .map(|f| match f {
                    OwnedFrame::BulkString(b) | OwnedFrame::SimpleString(b) => b,
                    other => format!("{other:?}").into_bytes(),
                })
                .collect();
            out.sort();
            Some(out)
        }
        _ => None,
    }
}

/// redraft's error with every quoted argument cut at its first NUL byte, as
/// redis-server's C-string formatting (`%s`) cuts it.
fn nul_truncated(command: &Command, error: &[u8]) -> Vec<u8> {
    let mut out = error.to_vec();
    for arg in command.iter().filter(|a| a.contains(&0)) {
        let cut = &arg[..arg.iter().position(|&b| b == 0).expect("contains NUL")];
        while let Some(at) = out.windows(arg.len()).position(|w| w == arg.as_slice()) {
            out.splice(at..at + arg.len(), cut.iter().copied());
        }
    }
    out
}

/// OBJECT REFCOUNT of a small integer string: redraft judges sharing from the bytes, while
/// Redis's COPY makes a private copy of a shared integer, whose refcount is 1 (documented).
fn copied_integer_refcount(command: &Command, redis: &[u8], redraft: &[u8]) -> bool {
    command
        .get(1)
        .is_some_and(|sub| sub.eq_ignore_ascii_case(b"REFCOUNT"))
        && redis == b":1\r\n"
        && redraft == b":2147483647\r\n"
}

/// Whether redraft's reply to `command` is equivalent to redis-server's.
///
/// Byte equality, except these documented differences:
/// - KEYS: the same elements in any order;
/// - errors quoting an argument that holds a NUL byte: redis-server cuts the argument
///   at the NUL (C-string formatting); redraft may quote it whole;
/// - TTL/PTTL/EXPIRETIME/PEXPIRETIME: non-negative integers within a tolerance (the
///   two servers set and read deadlines a few milliseconds apart); -1 and -2 exact.
///
/// SCAN is compared by the driver, which follows cursors to the end on both sides.
pub fn equivalent(command: &Command, redis: &[u8], redraft: &[u8]) -> Result<(), String> {
    if redis == redraft {
        return Ok(());
    }
    let tolerance = match name(command).as_str() {
        "TTL" | "EXPIRETIME" => Some(1),
        "PTTL" | "PEXPIRETIME" => Some(1000),
        "KEYS" => {
            let (a, b) = (sorted_elements(redis), sorted_elements(redraft));
            if a.is_some() && a == b {
                return Ok(());
            }
            None
        }
        _ => None,
    };
    if redis.starts_with(b"-")
        && redraft.starts_with(b"-")
        && nul_truncated(command, redraft) == redis
    {
        return Ok(());
    }
    if name(command) == "OBJECT" && copied_integer_refcount(command, redis, redraft) {
        return Ok(());
    }
    if let (Some(tolerance), Some(a), Some(b)) = (tolerance, integer(redis), integer(redraft)) {
        if a >= 0 && b >= 0 && (a - b).abs() <= tolerance {
            return Ok(());
        }
    }
    Err(format!(
        "redis-server: {}\nredraft:      {}",
        show(redis),
        show(redraft)
    ))
}

/// The strings/keyspace program. A SCAN whose replies differ is followed to its end on both
/// sides and compared as a set of keys; after the last op the key sets, DBSIZE and every key's
/// value and TTL agree.
pub struct Strings {
    rng: StdRng,
}

impl Strings {
    /// The runs' lengths: against the engine or a second redis-server, and against a cluster.
    pub const OPS: Ops = Ops {
        engine: 3000,
        follower: 1500,
    };

    /// Runs the program against `against`; `salt` tells the runs of one base seed apart.
    pub async fn run(salt: u64, against: Against) {
        driver::run("strings", salt, Self::OPS, against, |rng| Strings { rng }).await;
    }
}

/// Bound on the cursor steps of one SCAN walk.
const SCAN_STEPS_MAX: usize = 10_000;

/// Follows a SCAN from its first reply to cursor 0 on one side; returns the sorted, deduplicated
/// keys, or `None` when the reply is not a SCAN page (an error: compared as bytes).
async fn scan_to_end(
    sides: &mut Sides,
    side: Side,
    command: &Command,
    first: &[u8],
) -> Option<Vec<Vec<u8>>> {
    let mut keys = Vec::new();
    let mut reply = first.to_vec();
    for _ in 0..SCAN_STEPS_MAX {
        let Some(OwnedFrame::Array(parts)) = frame(&reply) else {
            return None;
        };
        let [OwnedFrame::BulkString(cursor), OwnedFrame::Array(page)] = &parts[..] else {
            return None;
        };
        for item in page {
            if let OwnedFrame::BulkString(key) = item {
                keys.push(key.clone());
            }
        }
        if cursor == b"0" {
            keys.sort();
            keys.dedup();
            return Some(keys);
        }
        let mut next = command.clone();
        next[1] = cursor.clone();
        reply = sides.on(side, &next).await;
    }
    panic!("{side:?}: SCAN did not finish within {SCAN_STEPS_MAX} steps")
}

impl Program for Strings {
    fn command(&mut self) -> Command {
        command(&mut self.rng)
    }

    fn coverage(&self) -> Coverage {
        Coverage {
            commands: NAMES,
            replies_percent: 50,
            writes_percent: 40,
            // Session commands: the engine does not answer them (the server does).
            uncompared: &["PING", "ECHO"],
        }
    }

    async fn compare(&mut self, sides: &mut Sides, command: &Command) -> Outcome {
        let mut outcome = sides.compare(command, equivalent).await;
        if let (Err(_), Some(b), "SCAN") = (&outcome.verdict, &outcome.redraft, &*name(command)) {
            let b = b.clone();
            let keys_a = scan_to_end(sides, Side::Redis, command, &outcome.redis).await;
            let keys_b = scan_to_end(sides, Side::Redraft, command, &b).await;
            if keys_a.is_some() && keys_a == keys_b {
                outcome.verdict = Ok(());
            } else if keys_a.is_some() || keys_b.is_some() {
                outcome.verdict = Err(format!(
                    "SCAN walks differ:\nredis-server: {keys_a:?}\nredraft:      {keys_b:?}"
                ));
            }
        }
        outcome
    }

    async fn finish(&mut self, sides: &mut Sides) -> Result<(), String> {
        let (a, b) = sides.both(&c("KEYS *")).await;
        if sorted_elements(&a) != sorted_elements(&b) {
            return Err(format!("final KEYS *:\n{}\n{}", show(&a), show(&b)));
        }
        sides.agree_on(&[c("DBSIZE")], |a, b| a == b).await?;
        for key in KEYS {
            for name in ["GET", "PTTL"] {
                let command = c(&format!("{name} {key}"));
                let (a, b) = sides.both(&command).await;
                equivalent(&command, &a, &b)
                    .map_err(|diff| format!("final {name} {key}:\n{diff}"))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_copied_integer_may_report_the_shared_refcount_only() {
        let refcount = c("OBJECT REFCOUNT k");
        assert!(equivalent(&refcount, b":1\r\n", b":2147483647\r\n").is_ok());
        assert!(equivalent(&refcount, b":2147483647\r\n", b":1\r\n").is_err());
        let encoding = c("OBJECT ENCODING k");
        assert!(equivalent(&encoding, b":1\r\n", b":2147483647\r\n").is_err());
    }

    #[test]
    fn equivalent_tolerates_only_the_documented_differences() {
        assert!(equivalent(&c("GET k"), b"$1\r\na\r\n", b"$1\r\na\r\n").is_ok());
        assert!(equivalent(&c("GET k"), b"$1\r\na\r\n", b"$1\r\nb\r\n").is_err());
        assert!(equivalent(&c("PTTL k"), b":100000\r\n", b":99990\r\n").is_ok());
        assert!(equivalent(&c("pttl k"), b":100000\r\n", b":90000\r\n").is_err());
        assert!(equivalent(&c("TTL k"), b":-1\r\n", b":0\r\n").is_err());
        assert!(equivalent(&c("TTL k"), b":-2\r\n", b":-1\r\n").is_err());
        assert!(equivalent(
            &c("KEYS *"),
            b"*2\r\n$1\r\na\r\n$1\r\nb\r\n",
            b"*2\r\n$1\r\nb\r\n$1\r\na\r\n"
        )
        .is_ok());
        assert!(equivalent(&c("KEYS *"), b"*1\r\n$1\r\na\r\n", b"*1\r\n$1\r\nb\r\n").is_err());
        let nul = c("EXPIRE k 1 a\0b");
        let (cut, whole) = (
            b"-ERR Unsupported option a\r\n",
            b"-ERR Unsupported option a\0b\r\n",
        );
        assert!(equivalent(&nul, cut, whole).is_ok());
        assert!(equivalent(&nul, cut, b"-ERR Unsupported option b\r\n").is_err());
        // Order matters everywhere else.
        assert!(equivalent(
            &c("MGET a b"),
            b"*2\r\n$1\r\na\r\n$1\r\nb\r\n",
            b"*2\r\n$1\r\nb\r\n$1\r\na\r\n"
        )
        .is_err());
    }

    #[test]
    fn the_same_seed_generates_the_same_commands() {
        let mut a = StdRng::seed_from_u64(7);
        let mut b = StdRng::seed_from_u64(7);
        let first: Vec<Command> = (0..200).map(|_| command(&mut a)).collect();
        let second: Vec<Command> = (0..200).map(|_| command(&mut b)).collect();
        assert_eq!(first, second);
        assert!(first.iter().all(|c| !c.is_empty()));
    }
}
