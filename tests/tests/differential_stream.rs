//! Stream commands on the in-process engine against redis-server: seeded random programs over
//! a few stream keys (and a string key for WRONGTYPE), compared reply by reply.
//!
//! Most XADDs use explicit IDs (increasing per key, with some stale or malformed ones), so
//! replies compare byte for byte. Time-dependent values are compared by property: idle times
//! (XPENDING, XINFO CONSUMERS) and absolute delivery/seen times (XINFO STREAM FULL) within a
//! tolerance; XINFO STREAM's radix-tree-nodes, a documented estimate, is not compared.
//! Min-idle arguments are 0 or hours, so which entries qualify never depends on timing.
//!
//! `REDRAFT_DIFF_SEED` replays a run; `REDRAFT_DIFF_OPS` sets its length.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use redis_protocol::resp2::types::OwnedFrame;
use redraft_tests::differential::{name, Command};
use redraft_tests::differential_tests;
use redraft_tests::driver::{self, argv, c, frame, parse, Coverage, Ops, Program, Redraft};
use redraft_tests::raw::show;
use redraft_tests::RedisServer;

/// Ops of a run: against the engine, and against a follower (every write is a Raft commit).
const OPS: Ops = Ops {
    engine: 3000,
    follower: 800,
};
/// Milliseconds two servers' clocks may disagree on an idle or delivery time.
const TIME_TOLERANCE_MS: i64 = 2000;

const GROUPS: &[&str] = &["g1", "g1", "g2"];
const CONSUMERS: &[&str] = &["c1", "c2", "c3"];
const FIELDS: &[&str] = &["f1", "f2", "f3", "1", "name"];
const VALUES: &[&str] = &[
    "v",
    "",
    "0",
    "1",
    "-7",
    "300",
    "70000",
    "12345678901",
    "hello world",
    "x\r\ny",
];

/// The commands of the program, some more often than others.
const NAMES: &[&str] = &[
    "XADD",
    "XADD",
    "XADD",
    "XADD",
    "XADD",
    "XADD",
    "XADD",
    "XADD",
    "XLEN",
    "XRANGE",
    "XREVRANGE",
    "XDEL",
    "XTRIM",
    "XREAD",
    "XGROUP",
    "XGROUP",
    "XGROUP",
    "XREADGROUP",
    "XREADGROUP",
    "XREADGROUP",
    "XREADGROUP",
    "XACK",
    "XACK",
    "XPENDING",
    "XPENDING",
    "XCLAIM",
    "XCLAIM",
    "XAUTOCLAIM",
    "XAUTOCLAIM",
    "XINFO",
    "XINFO",
    "XINFO",
    "XSETID",
    "SET",
    "DEL",
    "TYPE",
];

/// The generator: per-key next milliseconds, so that most explicit IDs are accepted.
struct Gen {
    rng: StdRng,
    next_ms: [u64; 4],
}

impl Gen {
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from.choose(&mut self.rng).expect("non-empty")
    }

    fn key(&mut self) -> String {
        if self.rng.random_bool(0.05) {
            "str".into()
        } else {
            format!("s{}", self.rng.random_range(0..3))
        }
    }

    fn value(&mut self) -> String {
        match self.rng.random_range(0..40) {
            0 => "y".repeat(self.rng.random_range(60..700)),
            1 => "z".repeat(5000),
            _ => self.pick(VALUES).into(),
        }
    }

    /// Milliseconds near the IDs in use, mostly recent ones.
    fn ms(&mut self) -> u64 {
        let top = self.next_ms.iter().copied().max().unwrap_or(1) + 3;
        if self.rng.random_bool(0.3) {
            self.rng.random_range(0..top)
        } else {
            self.rng.random_range(top.saturating_sub(60)..top)
        }
    }

    /// An ID argument for reads, ranges, claims: mostly near the IDs in use.
    fn id(&mut self) -> String {
        match self.rng.random_range(0..30) {
            0 => "-".into(),
            1 => "+".into(),
            2 => "abc".into(),
            3 => "1-x".into(),
            4 => "0-0".into(),
            5 => "18446744073709551615-18446744073709551615".into(),
            6 => "18446744073709551616".into(),
            7 => format!("({}", self.ms()),
            8 => "(0-0".into(),
            9 => "(-".into(),
            10 => " 7".into(),
            11 => "007-1".into(),
            _ => {
                let ms = self.ms();
                if self.rng.random_bool(0.3) {
                    ms.to_string()
                } else {
                    format!("{}-{}", ms, self.rng.random_range(0..3))
                }
            }
        }
    }

    /// The ID of an XADD: usually the key's next one, sometimes stale, partial, or bad.
    fn add_id(&mut self, key: &str) -> String {
        let slot = key
            .strip_prefix('s')
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        match self.rng.random_range(0..40) {
            0 => "0-0".into(),
            1 => "0-*".into(),
            2 => "abc".into(),
            3 => self.id(),
            4 => format!("{}-*", self.next_ms[slot].saturating_sub(1)),
            5..=12 => format!("{}-*", self.next_ms[slot]),
            _ => {
                self.next_ms[slot] += self.rng.random_range(1..3);
                format!("{}-{}", self.next_ms[slot], self.rng.random_range(1..4))
            }
        }
    }

    fn count(&mut self) -> String {
        self.pick(&["0", "1", "2", "3", "5", "10", "-1", "x", "1000"])
            .into()
    }

    fn min_idle(&mut self) -> String {
        self.pick(&["0", "0", "3600000", "-5", "x"]).into()
    }

    fn trim(&mut self, c: &mut Vec<String>) {
        let strategy = self.pick(&["MAXLEN", "MAXLEN", "MINID", "maxlen"]);
        c.push(strategy.into());
        let approx = self.pick(&["", "~", "~", "="]);
        if !approx.is_empty() {
            c.push(approx.into());
        }
        if strategy.eq_ignore_ascii_case("MAXLEN") {
            c.push(
                self.pick(&["0", "1", "5", "50", "120", "250", "-1", "x"])
                    .into(),
            );
        } else {
            let ms = self.ms();
            c.push(format!("{ms}"));
        }
        if self.rng.random_bool(0.2) {
            c.extend([
                "LIMIT".into(),
                self.pick(&["0", "1", "100", "150", "-1"]).into(),
            ]);
        }
    }

    fn streams_tail(&mut self, c: &mut Vec<String>, group: bool) {
        c.push("STREAMS".into());
        let n = if self.rng.random_bool(0.8) { 1 } else { 2 };
        let keys: Vec<String> = (0..n).map(|_| self.key()).collect();
        c.extend(keys);
        for _ in 0..n {
            let id = match self.rng.random_range(0..10) {
                0..=4 if group => ">".into(),
                0 => "$".into(),
                1 => ">".into(),
                _ => self.id(),
            };
            c.push(id);
        }
        if self.rng.random_bool(0.03) {
            c.push("extra".into());
        }
    }

    fn generate(&mut self) -> Vec<String> {
        let name = self.pick(NAMES);
        let mut c: Vec<String> = vec![name.into()];
        match name {
            "XADD" => {
                let key = self.key();
                c.push(key.clone());
                if self.rng.random_bool(0.05) {
                    c.push("NOMKSTREAM".into());
                }
                if self.rng.random_bool(0.2) {
                    self.trim(&mut c);
                }
                c.push(self.add_id(&key));
                let pairs = self.rng.random_range(1..4);
                let same = self.rng.random_bool(0.7);
                for own in FIELDS.iter().take(pairs) {
                    let field = if same {
                        own.to_string()
                    } else {
                        self.pick(FIELDS).into()
                    };
                    c.push(field);
                    c.push(self.value());
                }
                if self.rng.random_bool(0.02) {
                    c.push("dangling".into());
                }
            }
            "DEL" if self.rng.random_bool(0.6) => c.push("str".into()),
            "XLEN" | "TYPE" | "DEL" => c.push(self.key()),
            "SET" => c.extend(["str".into(), "v".into()]),
            "XRANGE" | "XREVRANGE" => {
                c.push(self.key());
                c.push(self.id());
                c.push(self.id());
                if self.rng.random_bool(0.5) {
                    c.extend(["COUNT".into(), self.count()]);
                }
            }
            "XDEL" => {
                c.push(self.key());
                for _ in 0..self.rng.random_range(1..4) {
                    c.push(self.id());
                }
            }
            "XTRIM" => {
                c.push(self.key());
                self.trim(&mut c);
            }
            "XREAD" => {
                if self.rng.random_bool(0.5) {
                    c.extend(["COUNT".into(), self.count()]);
                }
                if self.rng.random_bool(0.1) {
                    c.extend(["BLOCK".into(), self.pick(&["-1", "x"]).into()]);
                }
                self.streams_tail(&mut c, false);
            }
            "XREADGROUP" => {
                c.extend([
                    "GROUP".into(),
                    self.pick(GROUPS).into(),
                    self.pick(CONSUMERS).into(),
                ]);
                if self.rng.random_bool(0.5) {
                    c.extend(["COUNT".into(), self.count()]);
                }
                if self.rng.random_bool(0.2) {
                    c.push("NOACK".into());
                }
                self.streams_tail(&mut c, true);
            }
            "XGROUP" => {
                let sub = self.pick(&[
                    "CREATE",
                    "CREATE",
                    "CREATE",
                    "CREATE",
                    "SETID",
                    "DESTROY",
                    "CREATECONSUMER",
                    "DELCONSUMER",
                    "create",
                    "bogus",
                ]);
                c.push(sub.into());
                c.push(self.key());
                c.push(self.pick(GROUPS).into());
                match sub.to_ascii_uppercase().as_str() {
                    "CREATE" | "SETID" => {
                        c.push(match self.rng.random_range(0..4) {
                            0 => "$".into(),
                            _ => self.id(),
                        });
                        if sub.eq_ignore_ascii_case("CREATE") && self.rng.random_bool(0.7) {
                            c.push("MKSTREAM".into());
                        }
                        if self.rng.random_bool(0.3) {
                            c.extend([
                                "ENTRIESREAD".into(),
                                self.pick(&["0", "3", "-1", "-2", "x"]).into(),
                            ]);
                        }
                    }
                    "CREATECONSUMER" | "DELCONSUMER" => c.push(self.pick(CONSUMERS).into()),
                    _ => {}
                }
            }
            "XACK" => {
                c.push(self.key());
                c.push(self.pick(GROUPS).into());
                for _ in 0..self.rng.random_range(1..4) {
                    c.push(self.id());
                }
            }
            "XPENDING" => {
                c.push(self.key());
                c.push(self.pick(GROUPS).into());
                if self.rng.random_bool(0.7) {
                    if self.rng.random_bool(0.3) {
                        c.extend(["IDLE".into(), self.min_idle()]);
                    }
                    c.push(self.id());
                    c.push(self.id());
                    c.push(self.count());
                    if self.rng.random_bool(0.4) {
                        c.push(self.pick(CONSUMERS).into());
                    }
                }
            }
            "XCLAIM" => {
                c.push(self.key());
                c.push(self.pick(GROUPS).into());
                c.push(self.pick(CONSUMERS).into());
                c.push(self.min_idle());
                for _ in 0..self.rng.random_range(1..4) {
                    c.push(self.id());
                }
                for _ in 0..self.rng.random_range(0..3) {
                    match self.rng.random_range(0..7) {
                        0 => c.push("FORCE".into()),
                        1 => c.push("JUSTID".into()),
                        2 => c.extend(["IDLE".into(), self.pick(&["0", "100000000", "x"]).into()]),
                        3 => c.extend([
                            "TIME".into(),
                            self.pick(&["1", "0", "-1", "99999999999999"]).into(),
                        ]),
                        4 => c.extend([
                            "RETRYCOUNT".into(),
                            self.pick(&["0", "5", "-1", "x"]).into(),
                        ]),
                        5 => c.extend(["LASTID".into(), self.id()]),
                        _ => c.push("BOGUS".into()),
                    }
                }
            }
            "XAUTOCLAIM" => {
                c.push(self.key());
                c.push(self.pick(GROUPS).into());
                c.push(self.pick(CONSUMERS).into());
                c.push(self.min_idle());
                c.push(self.id());
                if self.rng.random_bool(0.5) {
                    c.extend([
                        "COUNT".into(),
                        self.pick(&["1", "2", "5", "0", "-1", "x"]).into(),
                    ]);
                }
                if self.rng.random_bool(0.3) {
                    c.push("JUSTID".into());
                }
            }
            "XINFO" => {
                let sub = self.pick(&[
                    "STREAM",
                    "STREAM",
                    "GROUPS",
                    "GROUPS",
                    "CONSUMERS",
                    "CONSUMERS",
                    "bogus",
                ]);
                c.push(sub.into());
                c.push(self.key());
                match sub {
                    "CONSUMERS" => c.push(self.pick(GROUPS).into()),
                    "STREAM" => match self.rng.random_range(0..5) {
                        0 => c.push("FULL".into()),
                        1 => c.extend(["FULL".into(), "COUNT".into(), self.count()]),
                        2 => c.push("bogus".into()),
                        _ => {}
                    },
                    _ => {}
                }
            }
            "XSETID" => {
                let key = self.key();
                c.push(key.clone());
                let slot = key
                    .strip_prefix('s')
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(0);
                if self.rng.random_bool(0.7) {
                    self.next_ms[slot] += 1;
                    c.push(format!("{}-0", self.next_ms[slot]));
                } else {
                    c.push(self.id());
                }
                if self.rng.random_bool(0.3) {
                    c.extend([
                        "ENTRIESADDED".into(),
                        self.pick(&["0", "1000", "-1"]).into(),
                    ]);
                }
                if self.rng.random_bool(0.3) {
                    c.extend(["MAXDELETEDID".into(), self.id()]);
                }
            }
            _ => {}
        }
        if self.rng.random_bool(0.02) {
            let keep = self.rng.random_range(1..=c.len());
            c.truncate(keep);
        }
        c
    }
}

fn int_of(frame: &OwnedFrame) -> Option<i64> {
    match frame {
        OwnedFrame::Integer(n) => Some(*n),
        _ => None,
    }
}

fn close(a: &OwnedFrame, b: &OwnedFrame) -> bool {
    matches!((int_of(a), int_of(b)), (Some(x), Some(y)) if (x - y).abs() <= TIME_TOLERANCE_MS)
}

fn bulk_is(frame: &OwnedFrame, text: &str) -> bool {
    matches!(frame, OwnedFrame::BulkString(b) if b == text.as_bytes())
}

/// Compares two frames; inside flat key-value arrays, the values of time-valued keys
/// compare within the tolerance and "radix-tree-nodes" is skipped.
fn same(a: &OwnedFrame, b: &OwnedFrame, timed_rows: bool) -> bool {
    match (a, b) {
        (OwnedFrame::Array(x), OwnedFrame::Array(y)) if x.len() == y.len() => {
            // XPENDING's extended rows: [id, consumer, idle, count].
            if timed_rows
                && x.len() == 4
                && matches!(x[0], OwnedFrame::BulkString(_))
                && matches!(x[2], OwnedFrame::Integer(_))
            {
                return x[0] == y[0] && x[1] == y[1] && close(&x[2], &y[2]) && x[3] == y[3];
            }
            let mut i = 0;
            while i < x.len() {
                let key = &x[i];
                let timed = ["idle", "seen-time"].iter().any(|k| bulk_is(key, k));
                if timed && i + 1 < x.len() && key == &y[i] {
                    if !close(&x[i + 1], &y[i + 1]) {
                        return false;
                    }
                    i += 2;
                    continue;
                }
                if bulk_is(key, "radix-tree-nodes") && key == &y[i] && i + 1 < x.len() {
                    i += 2;
                    continue;
                }
                if !same(&x[i], &y[i], timed_rows) {
                    return false;
                }
                i += 1;
            }
            true
        }
        _ => a == b,
    }
}

/// XINFO STREAM FULL's pending rows hold absolute delivery times: [id, consumer, time,
/// count] and [id, time, count]. Compared within the tolerance.
fn same_full(a: &OwnedFrame, b: &OwnedFrame) -> bool {
    match (a, b) {
        (OwnedFrame::Array(x), OwnedFrame::Array(y)) if x.len() == y.len() => {
            let row4 = x.len() == 4
                && matches!(x[0], OwnedFrame::BulkString(_))
                && matches!(x[2], OwnedFrame::Integer(_));
            let row3 = x.len() == 3
                && matches!(x[0], OwnedFrame::BulkString(_))
                && matches!(x[1], OwnedFrame::Integer(_))
                && matches!(x[2], OwnedFrame::Integer(_));
            if row4 {
                return x[0] == y[0] && x[1] == y[1] && close(&x[2], &y[2]) && x[3] == y[3];
            }
            if row3 {
                return x[0] == y[0] && close(&x[1], &y[1]) && x[2] == y[2];
            }
            let mut i = 0;
            while i < x.len() {
                let key = &x[i];
                let skip = bulk_is(key, "radix-tree-nodes") || bulk_is(key, "seen-time");
                if skip && key == &y[i] && i + 1 < x.len() {
                    if bulk_is(key, "seen-time") && !close(&x[i + 1], &y[i + 1]) {
                        return false;
                    }
                    i += 2;
                    continue;
                }
                if !same_full(&x[i], &y[i]) {
                    return false;
                }
                i += 1;
            }
            true
        }
        _ => a == b,
    }
}

/// Time-valued replies within the tolerance, XINFO STREAM's radix-tree-nodes skipped, HELP
/// texts not compared; byte equality for everything else.
fn equivalent(command: &Command, a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let sub = command
        .get(1)
        .map(|s| s.to_ascii_uppercase())
        .unwrap_or_default();
    let (Some(x), Some(y)) = (frame(a), frame(b)) else {
        return false;
    };
    match name(command).as_str() {
        "XPENDING" => same(&x, &y, true),
        "XINFO" if command.iter().any(|a| a.eq_ignore_ascii_case(b"FULL")) => same_full(&x, &y),
        "XINFO" if sub == b"HELP" => true,
        "XGROUP" if sub == b"HELP" => true,
        "XINFO" => same(&x, &y, false),
        _ => false,
    }
}

/// The stream program: per-key explicit IDs, so that most replies compare byte for byte.
impl Program for Gen {
    fn command(&mut self) -> Command {
        argv(self.generate())
    }

    fn coverage(&self) -> Coverage {
        Coverage {
            commands: NAMES,
            replies_percent: 40,
            writes_percent: 50,
            uncompared: &[],
        }
    }

    fn judge(&self, command: &Command, a: &[u8], b: &[u8]) -> Result<(), String> {
        if equivalent(command, a, b) {
            Ok(())
        } else {
            Err(format!(
                "redis-server: {}\nredraft:      {}",
                show(a),
                show(b)
            ))
        }
    }
}

differential_tests!(
    random_stream_commands_on_the_engine_reply_like_redis,
    random_stream_commands_on_a_follower_reply_like_redis,
    |against| driver::run("stream", 0, OPS, against, |rng| Gen {
        rng,
        next_ms: [1; 4],
    })
);

/// XADD with `*` takes the entry's time: the IDs differ between the servers only in the
/// milliseconds, which both take from their clocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_ids_use_the_clock_and_count_sequences_within_a_millisecond() {
    let reference = RedisServer::start().await;
    let mut redis = reference.raw().await;
    let mut engine = Redraft::engine();
    let id = |bytes: &[u8]| -> (u64, u64) {
        let OwnedFrame::BulkString(id) = parse(bytes) else {
            panic!("not an ID: {}", show(bytes));
        };
        let text = String::from_utf8(id).expect("utf-8");
        let (ms, seq) = text.split_once('-').expect("ms-seq");
        (ms.parse().expect("ms"), seq.parse().expect("seq"))
    };
    let mut last = (0, 0);
    for _ in 0..50 {
        let xadd = c("XADD auto * f v");
        let a = id(&redis.call(&xadd).await.expect("reply"));
        let b = id(&engine.call(&xadd).await.expect("write"));
        assert!(
            (a.0 as i64 - b.0 as i64).abs() < TIME_TOLERANCE_MS,
            "{a:?} {b:?}"
        );
        assert!(b > last, "IDs increase: {b:?} after {last:?}");
        last = b;
    }
}
