//! redraft against redis-server, byte for byte: seeded random sequences of the
//! strings/keyspace commands, and hand-written RESP protocol edge cases.
//!
//! Replay a failure with `REDRAFT_DIFF_SEED=<seed>`; lengthen the run with
//! `REDRAFT_DIFF_OPS=<ops per sequence>`. Tolerated differences live in one place:
//! `redraft_tests::differential::equivalent` (and SCAN, compared below by following
//! cursors to the end on both sides).

use std::collections::VecDeque;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;
use redraft_tests::differential::{self, sorted_elements, Command};
use redraft_tests::raw::show;
use redraft_tests::{Cluster, RawClient, RedisServer};

const OPS_DEFAULT: usize = 1500;
/// Bound on the cursor steps of one SCAN walk.
const SCAN_STEPS_MAX: usize = 10_000;

fn seed() -> u64 {
    differential::run_seed(0)
}

fn ops() -> usize {
    std::env::var("REDRAFT_DIFF_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(OPS_DEFAULT)
}

async fn call(client: &mut RawClient, command: &Command, side: &str) -> Vec<u8> {
    client.call(command).await.unwrap_or_else(|e| {
        panic!(
            "{side}: {} failed: {e}",
            differential::show_command(command)
        )
    })
}

/// Follows a SCAN from its first reply to cursor 0; returns the sorted, deduplicated
/// keys, or `None` when the reply is not a SCAN page (an error: compared as bytes).
async fn scan_to_end(
    client: &mut RawClient,
    command: &Command,
    first: &[u8],
    side: &str,
) -> Option<Vec<Vec<u8>>> {
    use redis_protocol::resp2::decode::decode;
    use redis_protocol::resp2::types::OwnedFrame;
    let mut keys = Vec::new();
    let mut reply = first.to_vec();
    for _ in 0..SCAN_STEPS_MAX {
        let Some((OwnedFrame::Array(parts), _)) = decode(&reply).ok().flatten() else {
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
        reply = call(client, &next, side).await;
    }
    panic!("{side}: SCAN did not finish within {SCAN_STEPS_MAX} steps")
}

/// Runs `ops` random commands in lockstep on both servers, comparing every reply.
async fn run_sequence(seed: u64, ops: usize, redis: &mut RawClient, redraft: &mut RawClient) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut recent: VecDeque<String> = VecDeque::new();
    for op in 0..ops {
        let command = differential::command(&mut rng);
        let a = call(redis, &command, "redis-server").await;
        let b = call(redraft, &command, "redraft").await;
        let mut outcome = differential::equivalent(&command, &a, &b);
        if outcome.is_err() && differential::name(&command) == "SCAN" {
            let keys_a = scan_to_end(redis, &command, &a, "redis-server").await;
            let keys_b = scan_to_end(redraft, &command, &b, "redraft").await;
            if keys_a.is_some() && keys_a == keys_b {
                outcome = Ok(());
            } else if keys_a.is_some() || keys_b.is_some() {
                outcome = Err(format!(
                    "SCAN walks differ:\nredis-server: {keys_a:?}\nredraft:      {keys_b:?}"
                ));
            }
        }
        if let Err(diff) = outcome {
            panic!(
                "MISMATCH seed={seed} op={op} (replay: REDRAFT_DIFF_SEED={seed})\ncommand: {}\n{diff}\n\
                 previous commands (oldest first):\n{}",
                differential::show_command(&command),
                recent.iter().cloned().collect::<Vec<_>>().join("\n")
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
    // The final state agrees key by key, and the key sets agree.
    let mut all = vec![b"KEYS".to_vec(), b"*".to_vec()];
    let (a, b) = (
        call(redis, &all, "redis-server").await,
        call(redraft, &all, "redraft").await,
    );
    assert_eq!(
        sorted_elements(&a),
        sorted_elements(&b),
        "seed={seed}: final KEYS *"
    );
    all = vec![b"DBSIZE".to_vec()];
    assert_eq!(
        show(&call(redis, &all, "r").await),
        show(&call(redraft, &all, "d").await),
        "seed={seed}: DBSIZE"
    );
    for key in ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"] {
        for name in ["GET", "PTTL"] {
            let command = vec![name.as_bytes().to_vec(), key.as_bytes().to_vec()];
            let (a, b) = (
                call(redis, &command, "r").await,
                call(redraft, &command, "d").await,
            );
            if let Err(diff) = differential::equivalent(&command, &a, &b) {
                panic!("seed={seed}: final {name} {key}:\n{diff}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_string_commands_on_a_follower_reply_like_redis_byte_for_byte() {
    let seed = seed();
    let ops = ops();
    eprintln!(
        "differential (follower): seed={seed} ops={ops}; replay with REDRAFT_DIFF_SEED={seed}"
    );
    let cluster = Cluster::start(3).await;
    let follower = cluster.followers().await[0];
    let reference = RedisServer::start().await;
    let mut redis = reference.raw().await;
    let mut redraft = cluster.raw(follower).await;
    run_sequence(seed, ops, &mut redis, &mut redraft).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_string_commands_on_a_single_node_reply_like_redis_byte_for_byte() {
    // A different seed from the same base, so one REDRAFT_DIFF_SEED replays both.
    let seed = seed().wrapping_add(1);
    let ops = ops();
    eprintln!(
        "differential (single node): seed={seed} ops={ops}; replay with REDRAFT_DIFF_SEED={}",
        seed.wrapping_sub(1)
    );
    let cluster = Cluster::start(1).await;
    let reference = RedisServer::start().await;
    let mut redis = reference.raw().await;
    let mut redraft = cluster.raw(1).await;
    run_sequence(seed, ops, &mut redis, &mut redraft).await;
}

/// What a server did with some bytes: its replies (in order) and whether it then
/// closed the connection.
#[derive(Debug, PartialEq, Eq)]
struct Transcript {
    replies: Vec<String>,
    closed: bool,
}

/// Sends `chunks` (pausing briefly between them, so a split frame arrives in pieces),
/// reads up to `replies_max` replies, then notes whether the connection closed.
async fn transcript(port: u16, chunks: &[&[u8]], replies_max: usize) -> Transcript {
    let mut client = RawClient::connect(port).await.expect("connect");
    client.set_reply_timeout(Duration::from_secs(5));
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if client.send(chunk).await.is_err() {
            break;
        }
    }
    let mut replies = Vec::new();
    let mut closed = false;
    while replies.len() < replies_max {
        match client.read_reply().await {
            Ok(reply) => replies.push(show(&reply)),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => break,
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    if !closed {
        closed = match client.closed_within(Duration::from_millis(200)).await {
            Ok(closed) => closed,
            Err(extra) => {
                replies.push(format!("unexpected extra bytes: {}", show(&extra)));
                false
            }
        };
    }
    Transcript { replies, closed }
}

/// Sends the same bytes to redis-server and to redraft; the transcripts must be equal.
async fn same_as_redis(
    redis_port: u16,
    redraft_port: u16,
    chunks: &[&[u8]],
    replies_max: usize,
) -> Transcript {
    let expected = transcript(redis_port, chunks, replies_max).await;
    let got = transcript(redraft_port, chunks, replies_max).await;
    let shown: Vec<String> = chunks.iter().map(|c| show(c)).collect();
    assert_eq!(got, expected, "bytes sent: {shown:?}");
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resp_protocol_edge_cases_are_handled_like_redis() {
    let cluster = Cluster::start(1).await;
    let reference = RedisServer::start().await;
    let (r, d) = (reference.port(), cluster.port(1));

    // Inline commands.
    let t = same_as_redis(r, d, &[b"PING\r\n"], 1).await;
    assert_eq!(t.replies, vec!["+PONG\\r\\n"]);
    same_as_redis(r, d, &[b"ECHO hello\r\n"], 1).await;
    same_as_redis(
        r,
        d,
        &[b"SET inline-k \"a b\"\r\nGET inline-k\r\nDEL inline-k\r\n"],
        3,
    )
    .await;
    same_as_redis(r, d, &[b"ECHO \"x\\x41y\\n\"\r\n"], 1).await;
    same_as_redis(r, d, &[b"\r\n\r\nPING\r\n"], 1).await;
    same_as_redis(r, d, &[b"nosuchcommand a b\r\n"], 1).await;
    same_as_redis(r, d, &[b"PING\n"], 1).await;

    // A frame split across many writes, and a pipeline split mid-frame.
    let ping = b"*1\r\n$4\r\nPING\r\n";
    let pieces: Vec<&[u8]> = ping.chunks(1).collect();
    same_as_redis(r, d, &pieces, 1).await;
    same_as_redis(
        r,
        d,
        &[
            b"*2\r\n$4\r\nECHO\r\n$5\r\nhel",
            b"lo\r\n*1\r\n$4\r\nPI",
            b"NG\r\n",
        ],
        2,
    )
    .await;

    // Binary-safe arguments.
    same_as_redis(
        r,
        d,
        &[b"*3\r\n$3\r\nSET\r\n$3\r\nbin\r\n$5\r\na\r\n\0b\r\n*2\r\n$3\r\nGET\r\n$3\r\nbin\r\n"],
        2,
    )
    .await;

    // An empty multibulk is ignored.
    same_as_redis(r, d, &[b"*0\r\n*1\r\n$4\r\nPING\r\n"], 1).await;

    // Malformed RESP: an error reply starting "-ERR Protocol error", then the close.
    for bad in [
        &b"*1\r\n$x\r\n"[..],
        b"*1\r\n+PING\r\n",
        b"*x\r\n",
        b"*1\r\n$-5\r\n",
        b"*1\r\n$536870913\r\n",
        b"*2147483648\r\n",
        b"SET \"unbalanced\r\n",
    ] {
        let t = same_as_redis(r, d, &[bad], 2).await;
        assert!(t.closed, "connection left open after {}", show(bad));
        assert!(
            t.replies.len() == 1 && t.replies[0].starts_with("-ERR Protocol error"),
            "reply to {}: {:?}",
            show(bad),
            t.replies
        );
    }
}

/// The harness's own check: two redis-servers agree on every generated sequence, so a
/// mismatch against redraft is never the generator's timing dependence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_sequences_are_timing_independent_on_two_redis_servers() {
    let seed = seed().wrapping_add(2);
    eprintln!("differential (redis vs redis): seed={seed}");
    let (one, two) = (RedisServer::start().await, RedisServer::start().await);
    let (mut a, mut b) = (one.raw().await, two.raw().await);
    // Offset the second server in time a little, as a replicated write would be.
    tokio::time::sleep(Duration::from_millis(3)).await;
    run_sequence(seed, ops() * 2, &mut a, &mut b).await;
}
