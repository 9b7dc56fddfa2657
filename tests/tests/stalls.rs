//! One slow command must not freeze a node (issue 13, "No stalls"): a read that runs for
//! seconds on the leader, with writes arriving meanwhile, must leave other connections answered
//! and Raft's heartbeats flowing (no election).

use std::time::{Duration, Instant};

use redraft_tests::{Cluster, ClusterOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// Members of the sorted set the slow read samples from.
const MEMBERS: usize = 50_000;
/// The slow read must take at least this long for the test to mean something.
const SLOW_ENOUGH: Duration = Duration::from_millis(1500);
/// Largest sample asked for (ZRANDMEMBER key -COUNT), about 200 MB of reply.
const MAX_COUNT: u64 = 16 * 1024 * 1024;
/// Bound on any PING while the slow read runs: far below the 1 s minimum election timeout,
/// far above a loaded machine's scheduling noise.
const PING_MAX: Duration = Duration::from_millis(500);

/// Sends `ZRANDMEMBER z -count` on a connection of its own and reads the whole reply (an
/// array of `count` bulk strings: 2 * count + 1 lines); returns how long that took.
async fn slow_read(port: u16, count: u64) -> Duration {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let count_arg = format!("-{count}");
    let command = format!(
        "*3\r\n$11\r\nZRANDMEMBER\r\n$1\r\nz\r\n${}\r\n{count_arg}\r\n",
        count_arg.len()
    );
    let start = Instant::now();
    stream.write_all(command.as_bytes()).await.unwrap();
    let mut lines = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    while lines < 2 * count + 1 {
        let n = tokio::time::timeout(Duration::from_secs(300), stream.read(&mut buf))
            .await
            .expect("the slow read answers within 5 minutes")
            .unwrap();
        assert!(n > 0, "connection closed after {lines} lines");
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    start.elapsed()
}

/// PINGs on its own connection every 20 ms until `done`; returns every round trip.
async fn ping_until(port: u16, mut done: watch::Receiver<bool>) -> Vec<Duration> {
    let mut conn = redraft_tests::cluster::connect(port).await.unwrap();
    let mut times = Vec::new();
    while !*done.borrow() {
        let start = Instant::now();
        let pong: String = redis::cmd("PING").query_async(&mut conn).await.unwrap();
        assert_eq!(pong, "PONG");
        times.push(start.elapsed());
        let _ = tokio::time::timeout(Duration::from_millis(20), done.changed()).await;
    }
    times
}

/// INCRs on its own connection until `done` (so the apply path wants the replica while the
/// read holds it); returns how many were acknowledged.
async fn write_until(port: u16, done: watch::Receiver<bool>) -> u64 {
    let mut conn = redraft_tests::cluster::connect(port).await.unwrap();
    let mut acknowledged = 0;
    while !*done.borrow() {
        let _: i64 = redis::cmd("INCR")
            .arg("ctr")
            .query_async(&mut conn)
            .await
            .unwrap();
        acknowledged += 1;
    }
    acknowledged
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_of_seconds_on_the_leader_freezes_neither_its_connections_nor_raft() {
    let cluster = Cluster::start(3).await;
    let leader = cluster.leader().await;
    let port = cluster.port(leader);
    let mut conn = cluster.conn(leader).await;
    for chunk in (0..MEMBERS).collect::<Vec<_>>().chunks(5_000) {
        let mut zadd = redis::cmd("ZADD");
        zadd.arg("z");
        for i in chunk {
            zadd.arg(*i).arg(format!("member:{i}"));
        }
        let _: u64 = zadd.query_async(&mut conn).await.unwrap();
    }
    let term = cluster.info(leader).await.num("term");

    // Find a sample size slow enough on this build and machine (debug builds are slower).
    let mut count = 250_000;
    let (elapsed, pings, writes) = loop {
        let (done_tx, done) = watch::channel(false);
        let pinger = tokio::spawn(ping_until(port, done.clone()));
        let writer = tokio::spawn(write_until(port, done));
        let elapsed = slow_read(port, count).await;
        done_tx.send(true).unwrap();
        let pings = pinger.await.unwrap();
        let writes = writer.await.unwrap();
        if elapsed >= SLOW_ENOUGH || count >= MAX_COUNT {
            break (elapsed, pings, writes);
        }
        count *= 4;
    };
    assert!(
        elapsed >= SLOW_ENOUGH,
        "ZRANDMEMBER of {count} took only {elapsed:?}: the test needs a slower read"
    );

    let mut sorted = pings.clone();
    sorted.sort();
    let (p99, max) = (percentile(&sorted, 0.99), *sorted.last().unwrap());
    println!(
        "slow read of {count} members: {elapsed:?}; {} PINGs meanwhile: p50 {:?} p99 {p99:?} \
         max {max:?}; {writes} INCRs acknowledged meanwhile",
        sorted.len(),
        percentile(&sorted, 0.5),
    );
    assert!(max < PING_MAX, "a PING waited {max:?} behind the slow read");
    for id in cluster.ids() {
        let info = cluster.info(id).await;
        assert_eq!(info.num("term"), term, "node {id} saw an election");
        assert_eq!(info.get("leader_id"), Some(leader.to_string().as_str()));
    }
}

/// Replies of a run forwarded by a follower may be far larger than one message between nodes
/// (65 MiB here, with `--proto-max-bulk-len 1048576`): the leader streams them back, and the
/// client gets them all, never "outcome unknown" for a run the leader applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_run_with_replies_larger_than_a_message_gets_them_all() {
    const VALUE_BYTES: usize = 1_000_000;
    const GETEX_COUNT: usize = 80;
    let options = ClusterOptions::default().args(&["--proto-max-bulk-len", "1048576"]);
    let cluster = Cluster::start_with(3, options).await;
    let leader = cluster.leader().await;
    let follower = cluster.followers().await[0];
    let value = vec![b'v'; VALUE_BYTES];
    let mut conn = cluster.conn(leader).await;
    let () = redis::cmd("SET")
        .arg("big")
        .arg(&value)
        .query_async(&mut conn)
        .await
        .unwrap();

    let mut pipe = redis::pipe();
    pipe.cmd("INCR").arg("ctr");
    for _ in 0..GETEX_COUNT {
        pipe.cmd("GETEX").arg("big").arg("PERSIST");
    }
    let mut conn = cluster.conn(follower).await;
    let replies: Vec<redis::Value> = pipe
        .query_async(&mut conn)
        .await
        .expect("every reply of the forwarded run");
    assert_eq!(replies.len(), 1 + GETEX_COUNT);
    assert_eq!(replies[0], redis::Value::Int(1));
    for reply in &replies[1..] {
        assert_eq!(reply, &redis::Value::BulkString(value.clone()));
    }
    let ctr: i64 = redis::cmd("GET")
        .arg("ctr")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(ctr, 1, "the run was applied once");
}
