//! What one Raft log entry asks the state machine to do (the log's application payload).

use serde::{Deserialize, Serialize};

/// One client command: the command name followed by its arguments, as the client sent them.
pub type Argv = Vec<Vec<u8>>;

/// The application data of one log entry. Stamped by the leader: `now_ms` is the leader's
/// wall-clock time when it proposed the entry; the engine never lets its own time go backwards
/// (it uses the maximum of this and every earlier entry's time).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogCommand {
    pub now_ms: u64,
    pub op: Op,
}

/// A short summary for logs (openraft prints entries with it): what kind of entry, how big.
impl std::fmt::Display for LogCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.op {
            Op::Batch { runs } => {
                let commands: usize = runs.iter().map(|run| run.cmds.len()).sum();
                write!(f, "batch of {} runs, {commands} commands", runs.len())
            }
            Op::ExpireSweep { max_keys } => write!(f, "expiry sweep of up to {max_keys} keys"),
        }?;
        write!(f, " at {} ms", self.now_ms)
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "WireOp")]
pub enum Op {
    /// Runs of write commands, from one connection or merged by the leader from several so
    /// that concurrent clients share one trip through the log. A run is applied in order with
    /// no other command between its commands; each run keeps its own database; replies come
    /// back in order, run after run.
    Batch { runs: Vec<Run> },
    /// Delete up to `max_keys` keys whose deadline is at or before `now_ms`. Proposed by the
    /// leader so that expiry is decided once, in the log. Replies with nothing.
    ExpireSweep { max_keys: u32 },
}

/// [`Op`] as the log stores it. The tag is the variant's position, so a retired variant keeps
/// its place: position 0 held one connection's run before every run became a batch, and logs
/// written then must still decode with their batches and sweeps at 1 and 2.
#[derive(Deserialize)]
enum WireOp {
    RetiredSingleRun,
    Batch { runs: Vec<Run> },
    ExpireSweep { max_keys: u32 },
}

/// [`WireOp`] borrowing its runs, to encode an [`Op`] without copying them first (an entry is
/// encoded for the log and again for each follower). Same name, variants and fields, so the
/// same bytes.
#[derive(Serialize)]
#[serde(rename = "WireOp")]
enum WireOpRef<'a> {
    #[allow(dead_code)] // Never written again; here to keep the tags' positions.
    RetiredSingleRun,
    Batch {
        runs: &'a [Run],
    },
    ExpireSweep {
        max_keys: u32,
    },
}

impl Serialize for Op {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wire = match self {
            Op::Batch { runs } => WireOpRef::Batch { runs },
            Op::ExpireSweep { max_keys } => WireOpRef::ExpireSweep {
                max_keys: *max_keys,
            },
        };
        wire.serialize(serializer)
    }
}

impl TryFrom<WireOp> for Op {
    type Error = &'static str;

    fn try_from(wire: WireOp) -> Result<Op, Self::Error> {
        match wire {
            WireOp::RetiredSingleRun => Err("a log entry of the retired single-run kind"),
            WireOp::Batch { runs } => Ok(Op::Batch { runs }),
            WireOp::ExpireSweep { max_keys } => Ok(Op::ExpireSweep { max_keys }),
        }
    }
}

impl LogCommand {
    /// An entry of one run of commands in database `db`.
    pub fn run(now_ms: u64, db: u32, cmds: Vec<Argv>) -> LogCommand {
        LogCommand {
            now_ms,
            op: Op::Batch {
                runs: vec![Run { db, cmds }],
            },
        }
    }
}

/// One connection's run of write commands inside an [`Op::Batch`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub db: u32,
    #[serde(with = "argv_bytes")]
    pub cmds: Vec<Argv>,
}

/// The name under which a transaction travels in a run: one command that carries the
/// watched keys and the queued commands, so that the state machine checks the watches and
/// applies the commands as one step, with one reply (EXEC's array, or a null array when a
/// watched key changed). Internal: a client that sends it is told it is unknown.
pub const TRANSACTION_COMMAND: &str = "multi-exec";

/// Most keys one connection may watch (each travels in its EXEC's log entry).
pub const MAX_WATCHED_KEYS: usize = 100_000;

/// A key watched by WATCH, with the point of the log at which it was watched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watched {
    pub db: u32,
    pub key: Vec<u8>,
    /// The index of the last entry the watching node had applied when WATCH was served: a
    /// change in any later entry aborts the EXEC.
    pub since_index: u64,
    /// That node's engine time then: a key whose deadline passed since counts as changed.
    pub since_ms: u64,
}

/// MULTI ... EXEC as the log carries it (see [`TRANSACTION_COMMAND`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transaction {
    pub watched: Vec<Watched>,
    pub cmds: Vec<Argv>,
}

impl Transaction {
    /// The command that carries this transaction: its name, the number of watched keys, each
    /// as `db key index ms`, then each queued command as its argument count and arguments.
    pub fn to_argv(&self) -> Argv {
        let mut argv = vec![
            TRANSACTION_COMMAND.as_bytes().to_vec(),
            number(self.watched.len()),
        ];
        for watched in &self.watched {
            argv.push(number(watched.db));
            argv.push(watched.key.clone());
            argv.push(number(watched.since_index));
            argv.push(number(watched.since_ms));
        }
        for cmd in &self.cmds {
            argv.push(number(cmd.len()));
            argv.extend(cmd.iter().cloned());
        }
        argv
    }

    /// The transaction carried by `argv`, as [`Transaction::to_argv`] wrote it.
    pub fn from_argv(argv: &[Vec<u8>]) -> Result<Transaction, TransactionFormatError> {
        let mut rest = argv.iter().skip(1);
        let mut field = || rest.next().ok_or(TransactionFormatError);
        let watch_count = parse_number(field()?)?;
        let mut transaction = Transaction::default();
        for _ in 0..watch_count {
            let db = u32::try_from(parse_number(field()?)?).map_err(|_| TransactionFormatError)?;
            let key = field()?.clone();
            let since_index = parse_number(field()?)?;
            let since_ms = parse_number(field()?)?;
            transaction.watched.push(Watched {
                db,
                key,
                since_index,
                since_ms,
            });
        }
        while let Some(count) = rest.next() {
            let count =
                usize::try_from(parse_number(count)?).map_err(|_| TransactionFormatError)?;
            let cmd: Argv = rest.by_ref().take(count).cloned().collect();
            if cmd.len() != count || count == 0 {
                return Err(TransactionFormatError);
            }
            transaction.cmds.push(cmd);
        }
        Ok(transaction)
    }
}

/// Who waits in a blocking command: the node the client is connected to, that node
/// process's incarnation (so that waiters left by a process that died can be told apart), the
/// client's id there and the command's number on that connection. Unique across the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WaiterId {
    pub node: u64,
    pub incarnation: u64,
    pub client: u64,
    pub seq: u64,
}

/// The internal command that runs a blocking command for a waiter: served at once if it can
/// be, else registered (the reply is then [`BLOCKED`]) and served later, its reply delivered
/// to the waiter's node (see `Engine::take_served`).
pub const BLOCK_COMMAND: &str = "block";
/// The internal command that removes a waiter: `unblock <id> GONE|TIMEOUT|ERROR` (its client
/// left; CLIENT UNBLOCK with TIMEOUT or ERROR, which deliver the timeout reply or an error).
pub const UNBLOCK_COMMAND: &str = "unblock";
/// The internal command a node proposes when it starts: `unblock-node <node> <incarnation>`
/// removes the waiters its earlier processes left.
pub const UNBLOCK_NODE_COMMAND: &str = "unblock-node";
/// The reply of [`BLOCK_COMMAND`] when the command waits (never sent to a client).
pub const BLOCKED: &str = "BLOCKED (internal)";

impl WaiterId {
    /// The four numbers as arguments.
    pub fn to_args(&self) -> Vec<Vec<u8>> {
        [self.node, self.incarnation, self.client, self.seq]
            .iter()
            .map(|n| number(*n))
            .collect()
    }

    /// A waiter id from the four arguments at the start of `args`.
    pub fn from_args(args: &[Vec<u8>]) -> Option<WaiterId> {
        let [node, incarnation, client, seq] = args.get(..4)? else {
            return None;
        };
        let parse = |arg: &Vec<u8>| parse_number(arg).ok();
        Some(WaiterId {
            node: parse(node)?,
            incarnation: parse(incarnation)?,
            client: parse(client)?,
            seq: parse(seq)?,
        })
    }

    /// `block <id> <argv...>`: the command `argv` run for this waiter.
    pub fn block(&self, argv: &[Vec<u8>]) -> Argv {
        let mut out = vec![BLOCK_COMMAND.as_bytes().to_vec()];
        out.extend(self.to_args());
        out.extend(argv.iter().cloned());
        out
    }

    /// `unblock <id> <how>` (GONE, TIMEOUT or ERROR).
    pub fn unblock(&self, how: &str) -> Argv {
        let mut out = vec![UNBLOCK_COMMAND.as_bytes().to_vec()];
        out.extend(self.to_args());
        out.push(how.as_bytes().to_vec());
        out
    }
}

/// A waiter served (or timed out, or unblocked with an error) by an entry: what its node
/// answers the waiting client, and what it proposes instead when the client is gone.
#[derive(Clone, Debug, PartialEq)]
pub struct ServedWaiter {
    pub waiter: WaiterId,
    /// The database the waiter's command ran in (where its undo runs).
    pub db: u32,
    pub reply: crate::Reply,
    /// Puts back what was taken for the waiter (None when nothing was).
    pub undo: Option<Argv>,
}

/// A transaction command that [`Transaction::to_argv`] did not write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed transaction")]
pub struct TransactionFormatError;

fn number(n: impl ToString) -> Vec<u8> {
    n.to_string().into_bytes()
}

fn parse_number(arg: &[u8]) -> Result<u64, TransactionFormatError> {
    std::str::from_utf8(arg)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or(TransactionFormatError)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log entry as versions before the retirement of the single-run op wrote it.
    #[derive(Serialize)]
    enum EarlierOp {
        Commands { db: u32, cmds: Vec<Argv> },
        Batch { runs: Vec<Run> },
        ExpireSweep { max_keys: u32 },
    }

    #[derive(Serialize)]
    struct EarlierLogCommand {
        now_ms: u64,
        op: EarlierOp,
    }

    /// A reply as versions that encoded its byte strings as sequences of bytes wrote it.
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    enum EarlierReply {
        Simple(String),
        Error(String),
        Integer(i64),
        Bulk(Vec<u8>),
    }

    #[test]
    fn a_byte_string_reply_encodes_as_a_sequence_of_bytes_did() {
        let value = vec![7u8; 3000];
        let now = postcard::to_stdvec(&crate::Reply::Bulk(value.clone())).unwrap();
        let before = postcard::to_stdvec(&EarlierReply::Bulk(value.clone())).unwrap();
        assert_eq!(now, before);
        let read: crate::Reply = postcard::from_bytes(&before).unwrap();
        assert_eq!(read, crate::Reply::Bulk(value));
    }

    fn decode(op: EarlierOp) -> Result<LogCommand, postcard::Error> {
        let bytes = postcard::to_stdvec(&EarlierLogCommand { now_ms: 7, op }).unwrap();
        postcard::from_bytes(&bytes)
    }

    #[test]
    fn entries_written_before_the_retired_op_still_decode() {
        let cmds = vec![vec![b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()]];
        let runs = vec![Run {
            db: 2,
            cmds: cmds.clone(),
        }];
        let batch = decode(EarlierOp::Batch { runs: runs.clone() }).unwrap();
        assert_eq!(
            batch,
            LogCommand {
                now_ms: 7,
                op: Op::Batch { runs }
            }
        );
        let sweep = decode(EarlierOp::ExpireSweep { max_keys: 9 }).unwrap();
        assert_eq!(sweep.op, Op::ExpireSweep { max_keys: 9 });
        assert!(decode(EarlierOp::Commands { db: 0, cmds }).is_err());
        let entry = LogCommand::run(3, 1, vec![vec![b"PING".to_vec()]]);
        let again: LogCommand =
            postcard::from_bytes(&postcard::to_stdvec(&entry).unwrap()).unwrap();
        assert_eq!(again, entry);
    }

    /// The borrowed encoding writes what the owned one did, byte for byte.
    #[test]
    fn an_entry_encodes_as_before_without_copying_its_runs() {
        let runs = vec![
            Run {
                db: 1,
                cmds: vec![vec![b"SET".to_vec(), b"k".to_vec(), vec![9; 300]]],
            },
            Run {
                db: 0,
                cmds: vec![vec![b"INCR".to_vec(), b"n".to_vec()], Vec::new()],
            },
        ];
        let cases = [
            (Op::Batch { runs: runs.clone() }, EarlierOp::Batch { runs }),
            (
                Op::ExpireSweep { max_keys: 20 },
                EarlierOp::ExpireSweep { max_keys: 20 },
            ),
        ];
        for (op, earlier) in cases {
            let now = postcard::to_stdvec(&LogCommand { now_ms: 7, op }).unwrap();
            let before = postcard::to_stdvec(&EarlierLogCommand {
                now_ms: 7,
                op: earlier,
            })
            .unwrap();
            assert_eq!(now, before);
        }
    }

    /// A run as versions before byte-string arguments wrote it: each argument a sequence.
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct RunOfSequences {
        db: u32,
        cmds: Vec<Argv>,
    }

    #[test]
    fn arguments_as_byte_strings_encode_as_sequences_of_bytes_did() {
        let big = vec![0xA5; 70_000];
        let cmds = vec![
            vec![b"SET".to_vec(), b"k".to_vec(), big],
            vec![b"DEL".to_vec(), Vec::new(), vec![0, 255, 128]],
            Vec::new(),
        ];
        let run = Run {
            db: 5,
            cmds: cmds.clone(),
        };
        let old = RunOfSequences { db: 5, cmds };
        let bytes = postcard::to_stdvec(&run).unwrap();
        assert_eq!(bytes, postcard::to_stdvec(&old).unwrap());
        assert_eq!(postcard::from_bytes::<Run>(&bytes).unwrap(), run);
        assert_eq!(postcard::from_bytes::<RunOfSequences>(&bytes).unwrap(), old);
        // A claimed length far beyond the input reserves little and fails cleanly.
        let lying = [5u8, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1];
        assert!(postcard::from_bytes::<Run>(&lying).is_err());
    }
}

/// One byte string as a serde byte string: postcard writes it exactly as a sequence of bytes
/// (its length, then the bytes), so what was stored either way reads back either way, but
/// with one copy instead of a call per byte (a 1 MB reply forwarded between nodes).
pub(crate) mod byte_string {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_byte_buf(super::argv_bytes::ArgVisitor)
    }
}

/// Serializes commands with each argument as a byte string rather than a sequence of `u8`s.
/// The encoding is the same in postcard (a length, then the bytes), so logs and snapshots
/// written before still decode; what changes is the cost: serde's sequence path handles a
/// 1 MiB value one byte at a time on every encode and decode (leader, network, follower), slow
/// enough in a debug build to outlast a replication RPC's deadline.
mod argv_bytes {
    use std::fmt;

    use serde::de::{SeqAccess, Visitor};
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Argv;

    /// Elements reserved before they arrive: a decoded length is a peer's claim, not a fact.
    const MAX_RESERVED: usize = 1024;

    struct Args<'a>(&'a [Vec<u8>]);

    impl Serialize for Args<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
            for arg in self.0 {
                seq.serialize_element(&Bytes(arg))?;
            }
            seq.end()
        }
    }

    struct Bytes<'a>(&'a [u8]);

    impl Serialize for Bytes<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            super::byte_string::serialize(self.0, serializer)
        }
    }

    pub fn serialize<S: Serializer>(cmds: &[Argv], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(cmds.iter().map(|argv| Args(argv)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Argv>, D::Error> {
        let commands: Vec<ArgvBuf> = Vec::deserialize(deserializer)?;
        Ok(commands.into_iter().map(|argv| argv.0).collect())
    }

    /// One command, deserialized argument by argument as byte strings.
    struct ArgvBuf(Argv);

    impl<'de> Deserialize<'de> for ArgvBuf {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_seq(ArgvVisitor).map(ArgvBuf)
        }
    }

    struct ArgvVisitor;

    impl<'de> Visitor<'de> for ArgvVisitor {
        type Value = Argv;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a command's arguments")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Argv, A::Error> {
            let reserve = seq.size_hint().unwrap_or(0).min(MAX_RESERVED);
            let mut argv = Vec::with_capacity(reserve);
            while let Some(arg) = seq.next_element::<ArgBuf>()? {
                argv.push(arg.0);
            }
            Ok(argv)
        }
    }

    /// One argument: a byte string (or, from a format without one, a sequence of bytes).
    struct ArgBuf(Vec<u8>);

    impl<'de> Deserialize<'de> for ArgBuf {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            super::byte_string::deserialize(deserializer).map(ArgBuf)
        }
    }

    pub(super) struct ArgVisitor;

    impl<'de> Visitor<'de> for ArgVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an argument's bytes")
        }

        fn visit_bytes<E>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
            Ok(bytes.to_vec())
        }

        fn visit_byte_buf<E>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(bytes)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let reserve = seq.size_hint().unwrap_or(0).min(MAX_RESERVED);
            let mut bytes = Vec::with_capacity(reserve);
            while let Some(byte) = seq.next_element()? {
                bytes.push(byte);
            }
            Ok(bytes)
        }
    }
}
