//! What the per-type differential tests share: the redraft side of a comparison (the
//! in-process engine run as the server would run it, or a follower of a real cluster over
//! RESP), the reply encoding, and the seed and length of a run.

use std::time::{SystemTime, UNIX_EPOCH};

use redraft_engine::{resolve, Engine, Kind, LogCommand, ReadContext, Reply};
use redraft_server::encode::Protocol;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

/// RESP2 bytes of a reply, exactly as the server encodes it for a RESP2 client.
pub fn resp2(reply: &Reply, out: &mut Vec<u8>) {
    redraft_server::encode::encode(reply, Protocol::Resp2, out);
}

/// Runs one command on the engine as the server would: writes as a one-command entry at
/// the next log index, reads against the replica with a seed of their own.
pub fn run_on_engine(engine: &mut Engine, index: &mut u64, argv: &[Vec<u8>]) -> Vec<u8> {
    let reply = match resolve(argv) {
        Err(reply) => reply,
        Ok(spec) => match spec.kind {
            Kind::Session | Kind::Cluster | Kind::Container(_) => {
                panic!("no session commands here")
            }
            Kind::Read(_) => engine.read(
                0,
                argv,
                ReadContext {
                    now_ms: now_ms(),
                    seed: *index,
                },
            ),
            Kind::Write(_) => {
                *index += 1;
                let entry = LogCommand::run(now_ms(), 0, vec![argv.to_vec()]);
                let mut replies = engine.apply(*index, &entry);
                assert_eq!(replies.len(), 1, "one reply per command");
                replies.remove(0)
            }
        },
    };
    let mut out = Vec::new();
    resp2(&reply, &mut out);
    out
}

/// The redraft side: the in-process engine, or a follower of a three-node cluster over RESP
/// (whose replies are the exact bytes it sends).
pub enum Redraft {
    Engine { engine: Engine, index: u64 },
    Follower(crate::RawClient),
}

impl Redraft {
    pub async fn call(&mut self, argv: &[Vec<u8>]) -> Vec<u8> {
        match self {
            Redraft::Engine { engine, index } => run_on_engine(engine, index, argv),
            Redraft::Follower(client) => client.call(argv).await.expect("follower reply"),
        }
    }
}

/// The run's seed (see [`crate::differential::run_seed`]) and its number of operations
/// (REDRAFT_DIFF_OPS, else `ops_default`).
pub fn seed_and_ops(salt: u64, ops_default: usize) -> (u64, usize) {
    let seed = crate::differential::run_seed(salt);
    let ops = std::env::var("REDRAFT_DIFF_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(ops_default);
    (seed, ops)
}

/// One side-by-side run: redis-server and redraft (the engine as the server runs it, or a
/// follower of a three-node cluster), with the run's seed and length. The servers live as long
/// as this value.
pub struct Sides {
    pub seed: u64,
    pub ops: usize,
    pub redis: crate::RawClient,
    pub redraft: Redraft,
    _reference: crate::RedisServer,
    _cluster: Option<crate::Cluster>,
}

impl Sides {
    /// Starts both sides for the `what` differential and prints the line that replays it. A
    /// follower run is shorter (`follower_ops_default` of `ops_default`): each write is a
    /// Raft commit.
    pub async fn start(
        what: &str,
        salt: u64,
        ops_default: usize,
        follower_ops_default: usize,
        on_follower: bool,
    ) -> Sides {
        let (seed, mut ops) = seed_and_ops(salt, ops_default);
        if on_follower {
            ops = (ops * follower_ops_default / ops_default).max(1);
        }
        let against = if on_follower { "follower" } else { "engine" };
        eprintln!(
            "{what} differential ({against}): seed={seed} ops={ops}; replay with REDRAFT_DIFF_SEED={}",
            seed.wrapping_sub(salt)
        );
        let cluster = if on_follower {
            Some(crate::Cluster::start(3).await)
        } else {
            None
        };
        let reference = crate::RedisServer::start().await;
        let redis = reference.raw().await;
        let redraft = match &cluster {
            Some(cluster) => {
                let follower = cluster.followers().await[0];
                Redraft::Follower(cluster.raw(follower).await)
            }
            None => Redraft::Engine {
                engine: Engine::new(),
                index: 0,
            },
        };
        Sides {
            seed,
            ops,
            redis,
            redraft,
            _reference: reference,
            _cluster: cluster,
        }
    }
}
