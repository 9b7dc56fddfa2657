//! The one differential driver: every differential test (strings, lists, sorted sets, bitmaps
//! and HLLs, hashes and sets, streams, geo/SORT, DUMP/RESTORE) runs its commands through it.
//!
//! - [`Sides`]: redis-server and redraft side by side (the in-process engine run as the server
//!   runs it, a follower of a three-node cluster, a single node, or a second redis-server for
//!   the harness's own check), with the run's seed and length. [`Sides::compare`] is the one way
//!   to run an op on both sides and judge the two replies.
//! - [`Program`]: what a differential brings (its command generator, how it judges replies,
//!   what it checks after a write, what the run must cover); [`Sides::run`] drives it, reports
//!   a mismatch with the commands before it, and checks the [`Coverage`] at the end.
//! - Small helpers the programs share: [`c`] (a command line), [`pick`], [`mutate`], and RESP2
//!   decoding ([`frame`], [`bulks`], [`elements`]).

use std::collections::{BTreeMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use redis_protocol::resp2::decode::decode;
use redis_protocol::resp2::types::OwnedFrame;
use redraft_engine::{resolve, Engine, Kind, LogCommand, ReadContext, Reply};
use redraft_server::encode::Protocol;

use crate::differential::{equivalent, name, show_command, Command};
use crate::raw::show;
use crate::{Cluster, RawClient, RedisServer};

/// The base seed when REDRAFT_DIFF_SEED is unset: the suite (and CI) runs the same programs
/// every time, so a failure is a regression, not the luck of the draw.
pub const DEFAULT_SEED: u64 = 20_261_126;

/// How many earlier commands a mismatch report shows.
const RECENT: usize = 15;

/// The seed of one differential run: the base seed plus `salt` (each test has its own salt, so
/// one base replays them all). The base is REDRAFT_DIFF_SEED when it holds a u64, a fresh
/// random value when it is `random` (to explore), and [`DEFAULT_SEED`] when it is unset.
pub fn run_seed(salt: u64) -> u64 {
    let base = match std::env::var("REDRAFT_DIFF_SEED") {
        Ok(s) if s == "random" => rand::random(),
        Ok(s) => s
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("REDRAFT_DIFF_SEED={s:?} is neither a u64 nor `random`")),
        Err(_) => DEFAULT_SEED,
    };
    base.wrapping_add(salt)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

/// A command line split at single spaces: `c("GEOSEARCH s FROMLONLAT 1 1 BYRADIUS 5 km ASC")`.
/// Arguments that hold a space or are empty need the argv form.
pub fn c(line: &str) -> Command {
    line.split(' ')
        .map(|word| word.as_bytes().to_vec())
        .collect()
}

/// A command line split at spaces outside double quotes; a quoted argument keeps its spaces,
/// and inside quotes `\n` stands for a newline and `\"` for a quote:
/// `quoted(r#"EVAL "return 'a b'" 0"#)`.
pub fn quoted(line: &str) -> Command {
    let mut argv = Vec::new();
    let mut word = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' => in_quotes = !in_quotes,
            '\\' if in_quotes && chars.peek() == Some(&'n') => {
                chars.next();
                word.push('\n');
            }
            '\\' if in_quotes && chars.peek() == Some(&'"') => {
                chars.next();
                word.push('"');
            }
            ' ' if !in_quotes => argv.push(std::mem::take(&mut word).into_bytes()),
            other => word.push(other),
        }
    }
    argv.push(word.into_bytes());
    argv
}

/// A generated command (words) as an argv.
pub fn argv(words: Vec<String>) -> Command {
    words.into_iter().map(String::into_bytes).collect()
}

pub fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from.choose(rng).expect("non-empty")
}

/// Now and then drops arguments or adds one (arity errors), or lower-cases the name.
pub fn mutate(rng: &mut StdRng, mut c: Vec<String>) -> Vec<String> {
    match rng.random_range(0..100) {
        0..=3 => {
            let keep = rng.random_range(1..=c.len());
            c.truncate(keep);
        }
        4..=5 => c.push("extra".into()),
        6..=8 => c[0] = c[0].to_lowercase(),
        _ => {}
    }
    c
}

/// The decoded reply, or None when `bytes` are not one complete RESP2 reply.
pub fn frame(bytes: &[u8]) -> Option<OwnedFrame> {
    decode(bytes).ok().flatten().map(|(frame, _)| frame)
}

/// The decoded reply; panics when `bytes` are not one.
pub fn parse(bytes: &[u8]) -> OwnedFrame {
    frame(bytes).unwrap_or_else(|| panic!("not one RESP2 reply: {}", show(bytes)))
}

/// The bulk strings of an array, in order; None for anything else.
pub fn bulks(frame: &OwnedFrame) -> Option<Vec<Vec<u8>>> {
    match frame {
        OwnedFrame::Array(items) => items
            .iter()
            .map(|item| match item {
                OwnedFrame::BulkString(bytes) => Some(bytes.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// The bulk strings of an array reply, in order; None for any other reply.
pub fn elements(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    bulks(&parse(bytes))
}

/// The bytes of a bulk string reply.
pub fn bulk(bytes: &[u8]) -> Option<Vec<u8>> {
    match parse(bytes) {
        OwnedFrame::BulkString(b) => Some(b),
        _ => None,
    }
}

pub fn is_error(bytes: &[u8]) -> bool {
    bytes.starts_with(b"-")
}

fn is_write(command: &Command) -> bool {
    resolve(command).is_ok_and(|spec| spec.is_write())
}

/// RESP2 bytes of a reply, exactly as the server encodes it for a RESP2 client.
pub fn resp2(reply: &Reply) -> Vec<u8> {
    let mut out = Vec::new();
    redraft_server::encode::encode(reply, Protocol::Resp2, &mut out);
    out
}

/// What redraft is in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    /// The in-process engine, run as the server runs it: no binary, so engine bugs show apart
    /// from server and Raft bugs.
    Engine,
    /// A follower of a three-node cluster, over RESP.
    Follower,
    /// A one-node cluster, over RESP.
    SingleNode,
    /// A second redis-server: the harness's own check that a program does not depend on timing.
    Redis,
}

impl Against {
    fn name(self) -> &'static str {
        match self {
            Against::Engine => "engine",
            Against::Follower => "follower",
            Against::SingleNode => "single node",
            Against::Redis => "redis vs redis",
        }
    }
}

/// The default lengths of a differential's runs: on the engine (and two redis-servers), and
/// over RESP to a cluster, where every write is a Raft commit. REDRAFT_DIFF_OPS sets the
/// engine's length; the others scale in proportion.
#[derive(Clone, Copy, Debug)]
pub struct Ops {
    pub engine: usize,
    pub follower: usize,
}

impl Ops {
    fn of(self, against: Against) -> usize {
        let default = match against {
            Against::Engine | Against::Redis => self.engine,
            Against::Follower | Against::SingleNode => self.follower,
        };
        match std::env::var("REDRAFT_DIFF_OPS")
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        {
            Some(ops) => (ops * default / self.engine).max(1),
            None => default,
        }
    }
}

/// The redraft side of a run.
pub enum Redraft {
    /// Writes are one-command entries at the next log index; reads run against the replica
    /// with a seed that varies per read, as the server draws one per read.
    Engine {
        engine: Box<Engine>,
        index: u64,
        reads: u64,
    },
    /// A server over RESP, whose replies are the exact bytes it sends.
    Client(RawClient),
}

impl Redraft {
    pub fn engine() -> Redraft {
        Redraft::Engine {
            engine: Box::new(Engine::new()),
            index: 0,
            reads: 0,
        }
    }

    /// The reply's bytes; None for a command only a server answers (a session or cluster
    /// command) when this is the engine.
    pub async fn call(&mut self, argv: &[Vec<u8>]) -> Option<Vec<u8>> {
        let (engine, index, reads) = match self {
            Redraft::Client(client) => {
                return Some(client.call(argv).await.unwrap_or_else(|e| {
                    panic!("redraft: {} failed: {e}", show_command(&argv.to_vec()))
                }))
            }
            Redraft::Engine {
                engine,
                index,
                reads,
            } => (engine, index, reads),
        };
        let reply = match resolve(argv) {
            Err(reply) => reply,
            Ok(spec) => match spec.kind {
                Kind::Session | Kind::Cluster | Kind::Transaction | Kind::Container(_) => {
                    return None
                }
                Kind::Read(_) => {
                    *reads += 1;
                    let context = ReadContext {
                        now_ms: now_ms(),
                        seed: reads.wrapping_mul(0x9e37_79b9),
                        no_touch: false,
                    };
                    engine.read(0, argv, context)
                }
                Kind::Write(_) => {
                    *index += 1;
                    let entry = LogCommand::run(now_ms(), 0, vec![argv.to_vec()]);
                    let mut replies = engine.apply(*index, &entry);
                    assert_eq!(replies.len(), 1, "one reply per command");
                    replies.remove(0)
                }
            },
        };
        Some(resp2(&reply))
    }
}

/// One of the two sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Redis,
    Redraft,
}

/// What one op came to: redis-server's reply, redraft's (None: not compared, the engine cannot
/// answer the command), and the verdict.
pub struct Outcome {
    pub redis: Vec<u8>,
    pub redraft: Option<Vec<u8>>,
    pub verdict: Result<(), String>,
}

/// What the ops of one command name came to.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    /// Compared, and redis-server's reply is not an error.
    replies: usize,
    /// Compared, and redis-server's reply is an error.
    errors: usize,
    /// Not compared: the engine does not answer the command.
    uncompared: usize,
    /// Writes whose replies agreed.
    writes: usize,
}

/// What a run must have done, so that a generator that drifts into errors (or stops making a
/// command) fails instead of passing on nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Coverage {
    /// Every one of these commands (but those that may go uncompared) compared a reply that is
    /// not an error at least once; checked on runs of the engine's default length or longer (a
    /// follower's shorter run need not reach every command). A generator's own name for a
    /// variant counts as the command before its colon (`ZADD:many` as ZADD; `:grow`, which
    /// stands for several, as none).
    pub commands: &'static [&'static str],
    /// More than this percentage of the ops compared a reply that is not an error.
    pub replies_percent: usize,
    /// More than this percentage of the ops were writes whose replies agreed.
    pub writes_percent: usize,
    /// Commands that may go uncompared (session commands, which the engine does not answer).
    pub uncompared: &'static [&'static str],
}

/// Runs the `what` differential against `against`: starts both sides and drives the program
/// `make` builds from the run's seeded generator.
pub async fn run<P: Program>(
    what: &str,
    salt: u64,
    ops: Ops,
    against: Against,
    make: impl FnOnce(StdRng) -> P,
) {
    let mut sides = Sides::start(what, salt, ops, against).await;
    let mut program = make(sides.rng());
    sides.run(&mut program).await;
}

/// A differential's two tests, against the engine and against a follower:
/// `differential_tests!(on_the_engine, on_a_follower, |against| run(.., against, ..));`.
#[macro_export]
macro_rules! differential_tests {
    ($on_the_engine:ident, $on_a_follower:ident, $run:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $on_the_engine() {
            ($run)($crate::driver::Against::Engine).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $on_a_follower() {
            ($run)($crate::driver::Against::Follower).await;
        }
    };
}

/// What a differential brings to the driver.
// Driven on the test's own runtime (block_on), so the futures need no Send bound.
#[allow(async_fn_in_trait)]
pub trait Program {
    /// The next command of the run.
    fn command(&mut self) -> Command;

    /// Commands run on both sides before the first op; their replies must be equal.
    fn setup(&self) -> Vec<Command> {
        Vec::new()
    }

    /// What the run must cover.
    fn coverage(&self) -> Coverage;

    /// Whether redraft's reply to `command` is equivalent to redis-server's: by default byte
    /// equality but for the documented differences ([`equivalent`]).
    fn judge(&self, command: &Command, redis: &[u8], redraft: &[u8]) -> Result<(), String> {
        equivalent(command, redis, redraft)
    }

    /// Runs `command` on both sides and judges the replies (override to look further than the
    /// two replies: state before, more commands after).
    async fn compare(&mut self, sides: &mut Sides, command: &Command) -> Outcome {
        sides.compare(command, |c, a, b| self.judge(c, a, b)).await
    }

    /// After a write whose replies agreed: whether the state agrees too.
    async fn after_write(&mut self, _sides: &mut Sides, _command: &Command) -> Result<(), String> {
        Ok(())
    }

    /// After the last op: whether the final state agrees.
    async fn finish(&mut self, _sides: &mut Sides) -> Result<(), String> {
        Ok(())
    }
}

/// One side-by-side run: redis-server and redraft, with the run's seed and length. The servers
/// live as long as this value. Each side is one connection for the whole run, so a program may
/// rely on connection state (the user AUTH logged in as, the database SELECT chose, an open
/// MULTI): both sides see the same commands in the same order on it.
pub struct Sides {
    pub seed: u64,
    pub ops: usize,
    what: String,
    salt: u64,
    against: Against,
    full_length: bool,
    redis: RawClient,
    redraft: Redraft,
    recent: VecDeque<String>,
    tally: BTreeMap<String, Tally>,
    _servers: (RedisServer, Option<RedisServer>, Option<Cluster>),
}

impl Sides {
    /// Starts both sides for the `what` differential and prints the line that replays it.
    pub async fn start(what: &str, salt: u64, ops: Ops, against: Against) -> Sides {
        let seed = run_seed(salt);
        let length = ops.of(against);
        eprintln!(
            "{what} differential ({}): seed={seed} ops={length}; replay with REDRAFT_DIFF_SEED={}",
            against.name(),
            seed.wrapping_sub(salt)
        );
        let cluster = match against {
            Against::Follower => Some(Cluster::start(3).await),
            Against::SingleNode => Some(Cluster::start(1).await),
            Against::Engine | Against::Redis => None,
        };
        let reference = RedisServer::start().await;
        let redis = reference.raw().await;
        let mut second = None;
        let redraft = match (&cluster, against) {
            (Some(cluster), Against::Follower) => {
                let follower = cluster.followers().await[0];
                Redraft::Client(cluster.raw(follower).await)
            }
            (Some(cluster), _) => Redraft::Client(cluster.raw(1).await),
            (None, Against::Redis) => {
                let server = RedisServer::start().await;
                let client = server.raw().await;
                second = Some(server);
                // Offset the second server in time a little, as a replicated write would be.
                tokio::time::sleep(std::time::Duration::from_millis(3)).await;
                Redraft::Client(client)
            }
            (None, _) => Redraft::engine(),
        };
        Sides {
            seed,
            ops: length,
            what: what.to_string(),
            salt,
            against,
            full_length: length >= ops.engine,
            redis,
            redraft,
            recent: VecDeque::new(),
            tally: BTreeMap::new(),
            _servers: (reference, second, cluster),
        }
    }

    /// A generator seeded with the run's seed.
    pub fn rng(&self) -> StdRng {
        StdRng::seed_from_u64(self.seed)
    }

    pub async fn redis(&mut self, argv: &[Vec<u8>]) -> Vec<u8> {
        self.redis.call(argv).await.unwrap_or_else(|e| {
            panic!("redis-server: {} failed: {e}", show_command(&argv.to_vec()))
        })
    }

    /// Redraft's reply to a command the engine answers too.
    pub async fn redraft(&mut self, argv: &[Vec<u8>]) -> Vec<u8> {
        self.redraft.call(argv).await.unwrap_or_else(|| {
            panic!(
                "the engine does not answer {} (a server's command)",
                show_command(&argv.to_vec())
            )
        })
    }

    pub async fn on(&mut self, side: Side, argv: &[Vec<u8>]) -> Vec<u8> {
        match side {
            Side::Redis => self.redis(argv).await,
            Side::Redraft => self.redraft(argv).await,
        }
    }

    /// Sends each line ([`quoted`]) to both sides and asserts the same reply bytes, in order:
    /// a scripted comparison.
    pub async fn assert_same(&mut self, lines: &[&str]) {
        for line in lines {
            let (redis, redraft) = self.both(&quoted(line)).await;
            assert_eq!(
                String::from_utf8_lossy(&redraft),
                String::from_utf8_lossy(&redis),
                "{line}"
            );
        }
    }

    /// Both sides' replies to a command the engine answers too.
    pub async fn both(&mut self, argv: &[Vec<u8>]) -> (Vec<u8>, Vec<u8>) {
        let redis = self.redis(argv).await;
        (redis, self.redraft(argv).await)
    }

    /// Runs `command` on both sides and judges the replies; a command the engine does not
    /// answer runs on redis-server alone, uncompared.
    pub async fn compare(
        &mut self,
        command: &Command,
        judge: impl FnOnce(&Command, &[u8], &[u8]) -> Result<(), String>,
    ) -> Outcome {
        let redis = self.redis(command).await;
        let redraft = self.redraft.call(command).await;
        let verdict = match &redraft {
            Some(b) => judge(command, &redis, b),
            None => Ok(()),
        };
        Outcome {
            redis,
            redraft,
            verdict,
        }
    }

    /// Runs each command on both sides; Err at the first whose replies are not `same`.
    pub async fn agree_on(
        &mut self,
        commands: &[Command],
        same: fn(&[u8], &[u8]) -> bool,
    ) -> Result<(), String> {
        for command in commands {
            let (a, b) = self.both(command).await;
            if !same(&a, &b) {
                return Err(format!(
                    "{} differs:\nredis-server: {}\nredraft:      {}",
                    show_command(command),
                    show(&a),
                    show(&b)
                ));
            }
        }
        Ok(())
    }

    /// Runs set-up commands on both sides; their replies must be equal byte for byte.
    pub async fn setup(&mut self, commands: impl IntoIterator<Item = Command>) {
        for command in commands {
            if let Err(diff) = self.agree_on(&[command], |a, b| a == b).await {
                panic!("set-up: {diff}");
            }
        }
    }

    /// The encoding of `key` on one side (OBJECT ENCODING; the string encodings count as
    /// one, since the two servers choose them apart); None when there is no such key.
    pub async fn encoding(&mut self, side: Side, key: &[u8]) -> Option<String> {
        let object = [c("OBJECT ENCODING"), vec![key.to_vec()]].concat();
        let reply = self.on(side, &object).await;
        let name = String::from_utf8_lossy(&bulk(&reply)?).into_owned();
        Some(match name.as_str() {
            "int" | "embstr" | "raw" => "string".into(),
            _ => name,
        })
    }

    /// Panics with a mismatch report: where, the difference, and the commands before it.
    pub fn fail(&self, at: &str, diff: &str) -> ! {
        panic!(
            "MISMATCH ({}, {}) seed={} {at} (replay: REDRAFT_DIFF_SEED={})\n{diff}\nprevious commands (oldest first):\n{}",
            self.what,
            self.against.name(),
            self.seed,
            self.seed.wrapping_sub(self.salt),
            self.recent.iter().cloned().collect::<Vec<_>>().join("\n")
        )
    }

    /// Reports op number `op`: panics on a mismatch, else counts it and remembers it.
    pub fn record(&mut self, op: usize, command: &Command, outcome: &Outcome, wrote: bool) {
        if let Err(diff) = &outcome.verdict {
            self.fail(
                &format!("op={op}"),
                &format!("command: {}\n{diff}", show_command(command)),
            );
        }
        let tally = self.tally.entry(name(command)).or_default();
        match &outcome.redraft {
            None => tally.uncompared += 1,
            Some(_) if is_error(&outcome.redis) => tally.errors += 1,
            Some(_) => tally.replies += 1,
        }
        tally.writes += usize::from(wrote);
        if is_error(&outcome.redis) && std::env::var("REDRAFT_DIFF_ERRORS").is_ok() {
            eprintln!("{} -> {}", show_command(command), show(&outcome.redis));
        }
        let shown: String = show_command(command).chars().take(300).collect();
        let reply: String = show(&outcome.redis).chars().take(300).collect();
        self.recent
            .push_back(format!("  op {op}: {shown} -> {reply}"));
        if self.recent.len() > RECENT {
            self.recent.pop_front();
        }
    }

    /// Runs `program` for the run's length, comparing every reply (and the state after every
    /// write that agreed), then its final checks and its coverage.
    pub async fn run(&mut self, program: &mut impl Program) {
        self.setup(program.setup()).await;
        for op in 0..self.ops {
            let command = program.command();
            let mut outcome = program.compare(self, &command).await;
            let wrote = outcome.redraft.is_some() && outcome.verdict.is_ok() && is_write(&command);
            if wrote {
                outcome.verdict = program.after_write(self, &command).await;
            }
            self.record(op, &command, &outcome, wrote);
        }
        if let Err(diff) = program.finish(self).await {
            self.fail("after the last op", &diff);
        }
        self.check(program.coverage());
    }

    /// Checks what the run covered (and prints it).
    pub fn check(&self, coverage: Coverage) {
        let tally: Vec<String> = self
            .tally
            .iter()
            .map(|(name, t)| {
                format!(
                    "{name} {}/{}/{}/{}",
                    t.replies, t.errors, t.uncompared, t.writes
                )
            })
            .collect();
        eprintln!(
            "{} ({}) replies/errors/uncompared/writes per command: {}",
            self.what,
            self.against.name(),
            tally.join(", ")
        );
        let sum = |count: fn(&Tally) -> usize| self.tally.values().map(count).sum::<usize>();
        let (replies, writes) = (sum(|t| t.replies), sum(|t| t.writes));
        assert!(
            replies * 100 > self.ops * coverage.replies_percent,
            "only {replies} of {} ops compared a reply that is not an error (at least {}% expected)",
            self.ops,
            coverage.replies_percent
        );
        assert!(
            writes * 100 > self.ops * coverage.writes_percent,
            "only {writes} of {} ops were writes that agreed (at least {}% expected)",
            self.ops,
            coverage.writes_percent
        );
        for (name, t) in &self.tally {
            assert!(
                t.uncompared == 0 || coverage.uncompared.contains(&name.as_str()),
                "{} {name} ops went uncompared",
                t.uncompared
            );
        }
        if self.full_length {
            // `ZADD:many` stands for a ZADD; `:grow` for several commands, each listed too.
            let commands = coverage.commands.iter().map(|name| name.split(':').next());
            let compared =
                |command: &&str| !command.is_empty() && !coverage.uncompared.contains(command);
            for command in commands.flatten().filter(compared) {
                assert!(
                    self.tally.get(command).is_some_and(|t| t.replies > 0),
                    "no {command} compared a reply that is not an error"
                );
            }
        }
    }
}
