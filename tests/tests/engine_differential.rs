//! The state machine alone against redis-server: the same seeded random sequences as
//! `differential.rs`, applied to an in-process `redraft_engine::Engine` (writes as
//! log entries stamped with the wall clock, reads through `Engine::read`). It needs no
//! `redraft` binary, so engine bugs show apart from server and Raft bugs.
//!
//! Commands the session layer answers (`Kind::Session`, e.g. PING, ECHO) are sent to
//! redis-server but not compared here; `differential.rs` covers them end to end.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::SeedableRng;
use redraft_engine::{resolve, Engine, Kind, LogCommand, ReadContext, Reply};
use redraft_server::encode::Protocol;
use redraft_tests::differential::{self, sorted_elements};
use redraft_tests::raw::show;
use redraft_tests::RedisServer;

const OPS_DEFAULT: usize = 3000;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

/// RESP2 bytes of a reply, exactly as the server encodes it for a RESP2 client.
fn resp2(reply: &Reply, out: &mut Vec<u8>) {
    redraft_server::encode::encode(reply, Protocol::Resp2, out);
}

/// Runs one command on the engine as the server would: writes as a one-command entry
/// at the next log index, reads against the replica. `None` for session commands.
fn run(engine: &mut Engine, index: &mut u64, argv: &[Vec<u8>]) -> Option<Vec<u8>> {
    let reply = match resolve(argv) {
        Err(reply) => reply,
        Ok(spec) => match spec.kind {
            Kind::Session | Kind::Cluster | Kind::Container(_) => return None,
            Kind::Read(_) => engine.read(
                0,
                argv,
                ReadContext {
                    now_ms: now_ms(),
                    seed: 0,
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
    Some(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_string_commands_on_the_engine_reply_like_redis_byte_for_byte() {
    let seed = redraft_tests::differential::run_seed(3);
    let ops = std::env::var("REDRAFT_DIFF_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(OPS_DEFAULT);
    eprintln!(
        "engine differential: seed={seed} ops={ops}; replay with REDRAFT_DIFF_SEED={}",
        seed.wrapping_sub(3)
    );
    let reference = RedisServer::start().await;
    let mut redis = reference.raw().await;
    let mut engine = Engine::new();
    let mut index = 0;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut recent = std::collections::VecDeque::new();
    for op in 0..ops {
        let command = differential::command(&mut rng);
        let a = redis.call(&command).await.expect("redis-server reply");
        let Some(b) = run(&mut engine, &mut index, &command) else {
            continue;
        };
        let mut outcome = differential::equivalent(&command, &a, &b);
        // A SCAN that fits one page (COUNT >= keys) compares as a set; longer walks
        // are compared end to end in differential.rs.
        if outcome.is_err() && differential::name(&command) == "SCAN" {
            outcome = match (
                a.starts_with(b"*2\r\n$1\r\n0\r\n"),
                b.starts_with(b"*2\r\n$1\r\n0\r\n"),
            ) {
                (true, true) if sorted_elements(&a[11..]) == sorted_elements(&b[11..]) => Ok(()),
                (true, true) => outcome,
                // Paged differently: not comparable here.
                _ if !a.starts_with(b"-") && !b.starts_with(b"-") => Ok(()),
                _ => outcome,
            };
        }
        if let Err(diff) = outcome {
            panic!(
                "MISMATCH (engine) seed={seed} op={op}\ncommand: {}\n{diff}\nprevious commands (oldest first):\n{}",
                differential::show_command(&command),
                recent.iter().cloned().collect::<Vec<String>>().join("\n")
            );
        }
        recent.push_back(format!(
            "  op {op}: {} -> {}",
            differential::show_command(&command),
            show(&a)
        ));
        if recent.len() > 15 {
            recent.pop_front();
        }
    }
}
