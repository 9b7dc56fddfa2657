//! redraft against redis-server, byte for byte: seeded random sequences of the
//! strings/keyspace commands, and hand-written RESP protocol edge cases.
//!
//! Replay a failure with `REDRAFT_DIFF_SEED=<seed>`; lengthen the run with
//! `REDRAFT_DIFF_OPS=<ops>`. Tolerated differences live in one place:
//! `redraft_tests::differential::equivalent` (and SCAN, compared by following cursors to the
//! end on both sides: `redraft_tests::differential::Strings`).

use std::time::Duration;

use redraft_tests::differential::Strings;
use redraft_tests::driver::Against;
use redraft_tests::raw::show;
use redraft_tests::{Cluster, RawClient, RedisServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_string_commands_on_a_follower_reply_like_redis_byte_for_byte() {
    Strings::run(0, Against::Follower).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_string_commands_on_a_single_node_reply_like_redis_byte_for_byte() {
    Strings::run(1, Against::SingleNode).await;
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
    Strings::run(2, Against::Redis).await;
}
