//! End-to-end behaviour of a three-node redraft cluster of real processes.
//!
//! Each test starts its own cluster (temporary data dirs, free loopback ports); a
//! failing test prints the tail of every node's log.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use redraft_tests::raw::show;
use redraft_tests::{command_bytes, wait_for, Cluster, ClusterOptions, RawClient};

/// Bound on a new leader taking writes after the old one is killed.
const FAILOVER_MAX: Duration = Duration::from_secs(10);

fn is_cluster_error(reply: &[u8]) -> bool {
    reply.starts_with(b"-CLUSTERDOWN") || reply.starts_with(b"-TRYAGAIN")
}

/// Values of `keys` read through node `id` (linearizable reads on every node).
async fn mget(cluster: &Cluster, id: u64, keys: &[String]) -> Vec<Option<String>> {
    let mut conn = cluster.conn(id).await;
    let mut values = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(200) {
        let got: Vec<Option<String>> = redis::cmd("MGET")
            .arg(chunk)
            .query_async(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("MGET on node {id}: {e}"));
        values.extend(got);
    }
    values
}

/// Writes `count` keys `{prefix}:{i}` = `v{i}` through node `id`, each acknowledged.
async fn write_keys(cluster: &Cluster, id: u64, prefix: &str, count: usize) -> Vec<String> {
    let mut conn = cluster.conn(id).await;
    let mut keys = Vec::with_capacity(count);
    for i in 0..count {
        let key = format!("{prefix}:{i}");
        let () = conn
            .set(&key, format!("v{i}"))
            .await
            .unwrap_or_else(|e| panic!("SET {key} on node {id}: {e}"));
        keys.push(key);
    }
    keys
}

fn expected_values(keys: &[String]) -> Vec<Option<String>> {
    keys.iter()
        .map(|k| Some(format!("v{}", k.rsplit(':').next().unwrap())))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_on_one_follower_is_read_on_the_other() {
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    let (writer, reader) = (followers[0], followers[1]);

    let mut w = cluster.conn(writer).await;
    let mut r = cluster.conn(reader).await;
    for i in 0..20 {
        let value = format!("value-{i}");
        let () = w.set("shared", &value).await.expect("SET on follower");
        // No waiting: a read after an acknowledged write must see it (linearizable).
        let got: Option<String> = r.get("shared").await.expect("GET on other follower");
        assert_eq!(
            got.as_deref(),
            Some(value.as_str()),
            "read {i} on node {reader} after write on node {writer}"
        );
    }
    let n: i64 = w.incr("counter", 5).await.expect("INCRBY on follower");
    assert_eq!(n, 5);
    let got: i64 = r.get("counter").await.expect("GET counter");
    assert_eq!(got, 5);
}

/// What one writer saw: writes the cluster acknowledged and increments attempted.
#[derive(Debug, Default)]
struct WriterLog {
    acked_keys: Vec<String>,
    incr_acked: u64,
    incr_attempted: u64,
}

/// A bounded writer: alternately `SET {tag}:{i} v{i}` and `INCR counter` through
/// `port`, reconnecting on errors, until `stop` is set, `OPS_MAX` ops or `TIME_MAX`.
async fn run_writer(
    port: u16,
    tag: String,
    stop: Arc<AtomicBool>,
    acked_total: Arc<AtomicU64>,
) -> WriterLog {
    const OPS_MAX: usize = 20_000;
    const TIME_MAX: Duration = Duration::from_secs(60);
    let started = Instant::now();
    let mut log = WriterLog::default();
    let mut client: Option<RawClient> = None;
    for i in 0..OPS_MAX {
        if stop.load(Ordering::Relaxed) || started.elapsed() > TIME_MAX {
            break;
        }
        if client.is_none() {
            match RawClient::connect(port).await {
                Ok(c) => client = Some(c),
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            }
        }
        let conn = client.as_mut().expect("connected");
        let key = format!("{tag}:{i}");
        let is_set = i % 2 == 0;
        let reply = if is_set {
            conn.call(&["SET", key.as_str(), &format!("v{i}")]).await
        } else {
            log.incr_attempted += 1;
            conn.call(&["INCR", "counter"]).await
        };
        match reply {
            Ok(bytes) if is_set && bytes == b"+OK\r\n" => {
                log.acked_keys.push(key);
                acked_total.fetch_add(1, Ordering::Relaxed);
            }
            Ok(bytes) if !is_set && bytes.starts_with(b":") => {
                log.incr_acked += 1;
                acked_total.fetch_add(1, Ordering::Relaxed);
            }
            Ok(bytes) => {
                // Not acknowledged; only cluster-state errors are acceptable.
                assert!(
                    is_cluster_error(&bytes),
                    "writer {tag}: unexpected reply {}",
                    show(&bytes)
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(_) => {
                client = None;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_killed_mid_writes_loses_no_acknowledged_write_and_a_new_leader_takes_writes() {
    let cluster = Cluster::start(3).await;
    let old_leader = cluster.leader().await;

    let stop = Arc::new(AtomicBool::new(false));
    let acked_total = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = cluster
        .ids()
        .into_iter()
        .map(|id| {
            tokio::spawn(run_writer(
                cluster.port(id),
                format!("w{id}"),
                stop.clone(),
                acked_total.clone(),
            ))
        })
        .collect();

    wait_for(
        "writers to get 60 acknowledgements",
        Duration::from_secs(20),
        || async {
            let n = acked_total.load(Ordering::Relaxed);
            if n >= 60 {
                Ok(())
            } else {
                Err(format!("{n} acked"))
            }
        },
    )
    .await;
    cluster.kill(old_leader);
    let killed_at = Instant::now();
    let acked_at_kill = acked_total.load(Ordering::Relaxed);

    // A new leader (not the killed one) takes writes through every survivor.
    let survivors: Vec<u64> = cluster.up_ids();
    for &id in &survivors {
        wait_for(
            &format!("a write through node {id} after the kill"),
            FAILOVER_MAX,
            || async {
                let mut c = RawClient::connect(cluster.port(id))
                    .await
                    .map_err(|e| e.to_string())?;
                let reply = c
                    .call(&["SET", "after-kill", "x"])
                    .await
                    .map_err(|e| e.to_string())?;
                if reply == b"+OK\r\n" {
                    Ok(())
                } else {
                    Err(show(&reply))
                }
            },
        )
        .await;
    }
    let failover = killed_at.elapsed();
    let new_leader = cluster.leader().await;
    assert_ne!(new_leader, old_leader);
    eprintln!("failover: first write through every survivor {failover:?} after the kill");

    wait_for(
        "writers to get 60 more acknowledgements",
        Duration::from_secs(20),
        || async {
            let n = acked_total.load(Ordering::Relaxed);
            if n >= acked_at_kill + 60 {
                Ok(())
            } else {
                Err(format!("{n} acked"))
            }
        },
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let mut logs = Vec::new();
    for writer in writers {
        logs.push(writer.await.expect("writer task"));
    }

    let acked_keys: Vec<String> = logs
        .iter()
        .flat_map(|l| l.acked_keys.iter().cloned())
        .collect();
    let incr_acked: u64 = logs.iter().map(|l| l.incr_acked).sum();
    let incr_attempted: u64 = logs.iter().map(|l| l.incr_attempted).sum();
    for &id in &survivors {
        let values = mget(&cluster, id, &acked_keys).await;
        for (key, (got, want)) in acked_keys
            .iter()
            .zip(values.iter().zip(expected_values(&acked_keys)))
        {
            assert_eq!(got, &want, "acknowledged key {key} read on node {id}");
        }
        let mut conn = cluster.conn(id).await;
        let counter: u64 = conn.get("counter").await.expect("GET counter");
        assert!(
            (incr_acked..=incr_attempted).contains(&counter),
            "counter {counter} on node {id}: acknowledged {incr_acked}, attempted {incr_attempted}"
        );
    }
    eprintln!(
        "acknowledged {} SETs and {incr_acked}/{incr_attempted} INCRs across the kill",
        acked_keys.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_leader_restarts_and_catches_up_with_the_same_values() {
    let cluster = Cluster::start(3).await;
    let before = write_keys(&cluster, cluster.leader().await, "before", 50).await;
    let old_leader = cluster.leader().await;
    cluster.kill(old_leader);
    let new_leader = cluster.wait_leader(FAILOVER_MAX).await;
    assert_ne!(new_leader, old_leader);
    let during = write_keys(&cluster, new_leader, "during", 100).await;

    cluster.restart(old_leader);
    let _ = cluster.info(old_leader).await;
    let applied = cluster.wait_applied_equal().await;
    let info = cluster.info(old_leader).await;
    assert_eq!(info.num("applied_index"), applied);
    assert!(
        info.role() == "follower",
        "restarted node should follow: {:?}",
        info
    );

    let all: Vec<String> = before.into_iter().chain(during).collect();
    assert_eq!(
        mget(&cluster, old_leader, &all).await,
        expected_values(&all)
    );
    let mut dbsizes = Vec::new();
    for id in cluster.ids() {
        let mut conn = cluster.conn(id).await;
        let n: usize = redis::cmd("DBSIZE")
            .query_async(&mut conn)
            .await
            .expect("DBSIZE");
        dbsizes.push(n);
    }
    assert_eq!(dbsizes, vec![all.len(); 3], "DBSIZE per node");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_nodes_stopped_and_restarted_keep_their_data() {
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    let keys = write_keys(&cluster, followers[0], "k", 100).await;
    let mut conn = cluster.conn(followers[1]).await;
    let counter: i64 = conn.incr("counter", 42).await.expect("INCRBY");
    assert_eq!(counter, 42);
    drop(conn);

    for id in cluster.ids() {
        cluster.stop(id);
    }
    for id in cluster.ids() {
        cluster.restart(id);
    }
    cluster.leader().await;
    for id in cluster.ids() {
        assert_eq!(
            mget(&cluster, id, &keys).await,
            expected_values(&keys),
            "values on node {id}"
        );
        let mut conn = cluster.conn(id).await;
        let counter: i64 = conn.get("counter").await.expect("GET counter");
        assert_eq!(counter, 42, "counter on node {id}");
    }
    // The restarted cluster still takes writes.
    let mut conn = cluster.conn(cluster.leader().await).await;
    let counter: i64 = conn.incr("counter", 1).await.expect("INCR after restart");
    assert_eq!(counter, 43);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_nodes_killed_and_restarted_keep_every_acknowledged_write() {
    let cluster = Cluster::start(3).await;
    let keys = write_keys(&cluster, cluster.leader().await, "k", 100).await;
    for id in cluster.ids() {
        cluster.kill(id);
    }
    for id in cluster.ids() {
        cluster.restart(id);
    }
    cluster.leader().await;
    for id in cluster.ids() {
        assert_eq!(
            mget(&cluster, id, &keys).await,
            expected_values(&keys),
            "values on node {id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_behind_the_log_cache_catches_up_from_entries_read_back_from_disk() {
    // No log cache: every entry the leader sends the lagging node, and every entry a
    // restarted node replays, is read back from its segment file. No snapshot either (the
    // entry count and byte bounds are far away), so the catch-up is by log, not snapshot.
    let cluster = Cluster::start_with(
        3,
        ClusterOptions::default().args(&["--log-cache-bytes", "0", "--snapshot-logs", "100000"]),
    )
    .await;
    let leader = cluster.leader().await;
    let lagging = cluster.followers().await[0];
    let early = write_keys(&cluster, leader, "early", 20).await;
    cluster.wait_applied_equal().await;
    cluster.kill(lagging);
    let late = write_keys(&cluster, leader, "late", 200).await;

    cluster.restart(lagging);
    cluster.wait_applied_equal().await;
    let info = cluster.info(lagging).await;
    assert_eq!(info.num("snapshot_index"), 0, "caught up by log: {info:?}");
    let all: Vec<String> = early.into_iter().chain(late).collect();
    assert_eq!(mget(&cluster, lagging, &all).await, expected_values(&all));

    // A full restart replays the log from disk on every node.
    for id in cluster.ids() {
        cluster.stop(id);
    }
    for id in cluster.ids() {
        cluster.restart(id);
    }
    cluster.wait_leader(Duration::from_secs(20)).await;
    for id in cluster.ids() {
        assert_eq!(
            mget(&cluster, id, &all).await,
            expected_values(&all),
            "node {id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_down_past_a_compaction_rejoins_by_snapshot() {
    let cluster = Cluster::start_with(
        3,
        ClusterOptions::default().args(&["--snapshot-logs", "50"]),
    )
    .await;
    let leader = cluster.leader().await;
    let lagging = cluster.followers().await[0];
    let early = write_keys(&cluster, leader, "early", 10).await;
    cluster.wait_applied_equal().await;
    let lagging_applied = cluster.info(lagging).await.num("applied_index");
    cluster.kill(lagging);

    // Writes until the leader's log no longer holds what the down node lacks. openraft
    // postpones a purge while a replication request to the down node is in flight (it retries
    // one after each new entry), so how many writes that takes varies.
    let mut late = Vec::new();
    for round in 0..20 {
        late.extend(write_keys(&cluster, leader, &format!("late{round}"), 100).await);
        if cluster.info(leader).await.num("purged_index") > lagging_applied {
            break;
        }
    }
    let leader_info = cluster.info(leader).await;
    assert!(
        leader_info.num("purged_index") > lagging_applied,
        "precondition: the leader purged past the down node's last entry ({lagging_applied}): {leader_info:?}"
    );

    cluster.restart(lagging);
    cluster.wait_applied_equal().await;
    let info = cluster.info(lagging).await;
    assert!(
        info.num("snapshot_index") > 0,
        "rejoined node has no snapshot: {info:?}"
    );
    let all: Vec<String> = early.into_iter().chain(late).collect();
    assert_eq!(mget(&cluster, lagging, &all).await, expected_values(&all));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_expiry_is_seen_identically_on_every_node() {
    const TTL: Duration = Duration::from_millis(1500);
    let cluster = Cluster::start(3).await;
    let ids = cluster.ids();
    let writer = cluster.followers().await[0];
    let mut conns = Vec::new();
    for &id in &ids {
        conns.push((id, cluster.raw(id).await));
    }
    let (_, w) = conns
        .iter_mut()
        .find(|(id, _)| *id == writer)
        .expect("writer conn");
    assert_eq!(w.call(&["SET", "keep", "k"]).await.unwrap(), b"+OK\r\n");
    let set_sent = Instant::now();
    assert_eq!(
        w.call(&["SET", "volatile", "v", "PX", &TTL.as_millis().to_string()])
            .await
            .unwrap(),
        b"+OK\r\n"
    );
    let set_acked = Instant::now();

    for (id, c) in conns.iter_mut() {
        let reply = c.call(&["GET", "volatile"]).await.unwrap();
        if set_sent.elapsed() < TTL {
            assert_eq!(reply, b"$1\r\nv\r\n", "node {id} before the deadline");
        }
        let pttl = c.call_frame(&["PTTL", "volatile"]).await.unwrap();
        if let redis_protocol::resp2::types::OwnedFrame::Integer(ms) = pttl {
            assert!(ms <= TTL.as_millis() as i64, "node {id}: PTTL {ms}");
            assert!(
                ms > 0 || set_sent.elapsed() >= TTL,
                "node {id}: PTTL {ms} before the deadline"
            );
        } else {
            panic!("node {id}: PTTL replied {pttl:?}");
        }
    }
    assert!(
        set_sent.elapsed() < TTL,
        "the reads before the deadline took too long to prove anything"
    );

    // Waiting for time to pass (the deadline), not for a condition: a sleep.
    tokio::time::sleep_until((set_acked + TTL + Duration::from_millis(100)).into()).await;
    for (id, c) in conns.iter_mut() {
        assert_eq!(
            c.call(&["GET", "volatile"]).await.unwrap(),
            b"$-1\r\n",
            "node {id} after the deadline"
        );
        assert_eq!(
            c.call(&["EXISTS", "volatile"]).await.unwrap(),
            b":0\r\n",
            "node {id}"
        );
        assert_eq!(
            c.call(&["PTTL", "volatile"]).await.unwrap(),
            b":-2\r\n",
            "node {id}"
        );
        assert_eq!(
            c.call(&["GET", "keep"]).await.unwrap(),
            b"$1\r\nk\r\n",
            "node {id}"
        );
    }
    // DBSIZE must agree on every node (the expired key counted nowhere).
    wait_for("DBSIZE 1 on every node", Duration::from_secs(5), || async {
        let mut sizes = Vec::new();
        for &id in &ids {
            let mut c = RawClient::connect(cluster.port(id))
                .await
                .map_err(|e| e.to_string())?;
            sizes.push(show(&c.call(&["DBSIZE"]).await.map_err(|e| e.to_string())?));
        }
        if sizes.iter().all(|s| s == ":1\\r\\n") {
            Ok(())
        } else {
            Err(format!("{sizes:?}"))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_mixed_commands_on_a_follower_are_answered_in_order() {
    let cluster = Cluster::start(3).await;
    let follower = cluster.followers().await[0];
    let mut client = cluster.raw(follower).await;

    let mut request = Vec::new();
    let mut expected = Vec::new();
    let mut counter = 0;
    for i in 0..100 {
        match i % 4 {
            0 => {
                let value = format!("value-{i}");
                request.extend(command_bytes(&["SET", &format!("p{}", i / 4), &value]));
                expected.push(b"+OK\r\n".to_vec());
            }
            1 => {
                let value = format!("value-{}", i - 1);
                request.extend(command_bytes(&["GET", &format!("p{}", i / 4)]));
                expected.push(format!("${}\r\n{value}\r\n", value.len()).into_bytes());
            }
            2 => {
                counter += 1;
                request.extend(command_bytes(&["INCR", "pipelined-counter"]));
                expected.push(format!(":{counter}\r\n").into_bytes());
            }
            _ => {
                request.extend(command_bytes(&["GET", "missing"]));
                expected.push(b"$-1\r\n".to_vec());
            }
        }
    }
    client.send(&request).await.expect("send pipeline");
    for (i, want) in expected.iter().enumerate() {
        let got = client
            .read_reply()
            .await
            .unwrap_or_else(|e| panic!("reply {i}: {e}"));
        assert_eq!(show(&got), show(want), "reply {i} of the pipeline");
    }
    assert_eq!(
        client.closed_within(Duration::from_millis(100)).await,
        Ok(false),
        "no extra reply bytes"
    );
}

fn redis_cli(port: u16, args: &[&str]) -> String {
    let output = std::process::Command::new("timeout")
        .args([
            "20",
            "redis-cli",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .args(args)
        .output()
        .expect("run redis-cli (install redis-tools)");
    assert!(output.status.success(), "redis-cli {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cli_sets_and_gets_through_followers() {
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    let (a, b) = (cluster.port(followers[0]), cluster.port(followers[1]));
    let out = tokio::task::spawn_blocking(move || {
        vec![
            redis_cli(a, &["SET", "a", "b"]),
            redis_cli(a, &["GET", "a"]),
            redis_cli(b, &["GET", "a"]),
            redis_cli(b, &["INCR", "n"]),
            redis_cli(a, &["GET", "missing"]),
        ]
    })
    .await
    .expect("redis-cli task");
    assert_eq!(out, vec!["OK\n", "b\n", "b\n", "1\n", "\n"]);
}

/// Kills the nodes in `victims`, then checks that a write and a read through the
/// survivor fail with a cluster error within the request timeout plus slack.
async fn assert_survivor_fails_fast(cluster: &Cluster, survivor: u64) {
    const REQUEST_TIMEOUT_MS: u64 = 1500;
    const SLACK: Duration = Duration::from_millis(2500);
    let mut client = cluster.raw(survivor).await;
    client.set_reply_timeout(Duration::from_secs(15));
    for command in [
        &["SET", "k", "v"][..],
        &["INCR", "n"][..],
        &["GET", "k"][..],
    ] {
        let started = Instant::now();
        let reply = client
            .call(command)
            .await
            .unwrap_or_else(|e| panic!("{command:?} on the survivor: {e}"));
        let elapsed = started.elapsed();
        assert!(
            is_cluster_error(&reply),
            "{command:?} without quorum replied {}",
            show(&reply)
        );
        assert!(
            elapsed <= Duration::from_millis(REQUEST_TIMEOUT_MS) + SLACK,
            "{command:?} without quorum took {elapsed:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_without_quorum_fails_writes_fast_with_a_cluster_error() {
    let cluster = Cluster::start_with(
        3,
        ClusterOptions::default().args(&["--request-timeout-ms", "1500"]),
    )
    .await;
    let leader = cluster.leader().await;
    let followers = cluster.followers().await;
    cluster.kill(leader);
    cluster.kill(followers[1]);
    assert_survivor_fails_fast(&cluster, followers[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_without_quorum_fails_writes_fast_with_a_cluster_error() {
    let cluster = Cluster::start_with(
        3,
        ClusterOptions::default().args(&["--request-timeout-ms", "1500"]),
    )
    .await;
    let leader = cluster.leader().await;
    for follower in cluster.followers().await {
        cluster.kill(follower);
    }
    assert_survivor_fails_fast(&cluster, leader).await;
}

/// Pre-Vote (Raft thesis 9.6): a follower cut off for several election timeouts asks whether
/// it would win before it raises its term, finds no voter, and so comes back with the term it
/// left with: the leader stands. Without Pre-Vote it would come back with a higher term and
/// depose the leader.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_cut_off_and_healed_leaves_the_leader_and_its_term_alone() {
    let cluster = Cluster::start_with(3, ClusterOptions::default().proxied_links()).await;
    let leader = cluster.leader().await;
    let term = cluster.info(leader).await.num("term");
    let follower = cluster.followers().await[0];
    let others: Vec<u64> = cluster
        .ids()
        .into_iter()
        .filter(|&id| id != follower)
        .collect();
    cluster.cut_between(&[follower], &others);
    // More than twice the longest election timeout (2 s by default).
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        cluster.info(follower).await.num("term"),
        term,
        "cut-off node's term"
    );
    cluster.heal_links();
    cluster.wait_applied_equal().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(cluster.current_leader().await, Ok(leader));
    assert_eq!(
        cluster.info(leader).await.num("term"),
        term,
        "leader's term"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_leader_is_replaced_and_serves_no_stale_read_after_resuming() {
    let cluster = Cluster::start(3).await;
    let old_leader = cluster.leader().await;
    let mut stale = cluster.raw(old_leader).await;
    assert_eq!(stale.call(&["SET", "k", "old"]).await.unwrap(), b"+OK\r\n");

    cluster.pause(old_leader);
    let new_leader = cluster.wait_leader(FAILOVER_MAX).await;
    assert_ne!(new_leader, old_leader);
    let mut fresh = cluster.raw(new_leader).await;
    assert_eq!(fresh.call(&["SET", "k", "new"]).await.unwrap(), b"+OK\r\n");

    cluster.resume(old_leader);
    // Its first answer after waking must not be the value it held as leader.
    let reply = stale
        .call(&["GET", "k"])
        .await
        .expect("GET on the resumed node");
    assert!(
        reply == b"$3\r\nnew\r\n" || is_cluster_error(&reply),
        "resumed old leader answered {}",
        show(&reply)
    );
    cluster.wait_applied_equal().await;
    assert_eq!(stale.call(&["GET", "k"]).await.unwrap(), b"$3\r\nnew\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_raft_reports_one_leader_known_to_every_node_and_all_members() {
    let cluster = Cluster::start(3).await;
    let leader = cluster.leader().await;
    let mut conn = cluster.conn(leader).await;
    let () = conn.set("k", "v").await.expect("SET");
    cluster.wait_applied_equal().await;
    for id in cluster.ids() {
        let info = cluster.info(id).await;
        assert_eq!(
            info.get("node_id"),
            Some(id.to_string().as_str()),
            "{info:?}"
        );
        assert_eq!(
            info.get("leader_id"),
            Some(leader.to_string().as_str()),
            "node {id}: {info:?}"
        );
        assert_eq!(
            info.role(),
            if id == leader { "leader" } else { "follower" },
            "node {id}"
        );
        assert_eq!(info.get("members"), Some("1,2,3"), "node {id}");
        assert!(
            info.num("applied_index") <= info.num("commit_index"),
            "node {id}: {info:?}"
        );
        assert!(info.num("term") >= 1, "node {id}: {info:?}");
        assert_eq!(
            info.num("snapshot_index"),
            0,
            "no snapshot yet at node {id}: {info:?}"
        );
    }
}

/// Replicas that applied the same entries hold the same state: after mixed writes of every
/// type, each node reports the same applied index and the same state digest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_replica_reports_the_same_state_digest_at_the_same_applied_index() {
    let cluster = Cluster::start(3).await;
    let follower = cluster.followers().await[0];
    let mut conn = cluster.conn(follower).await;
    let writes: &[&[&str]] = &[
        &["SET", "s", "v", "PX", "600000"],
        &["HSET", "h", "f", "1", "g", "2"],
        &["RPUSH", "l", "a", "b", "c"],
        &["SADD", "set", "x", "1", "y"],
        &["ZADD", "z", "1.5", "m", "2", "n"],
        &["XADD", "st", "1-1", "f", "v"],
        &["SPOP", "set"],
        &["PFADD", "hll", "a", "b", "c"],
    ];
    for argv in writes {
        let mut cmd = redis::cmd(argv[0]);
        for arg in &argv[1..] {
            cmd.arg(*arg);
        }
        let _: redis::Value = cmd
            .query_async(&mut conn)
            .await
            .expect("write on a follower");
    }
    let applied = cluster.wait_applied_equal().await;
    let mut digests = Vec::new();
    for id in cluster.ids() {
        let mut conn = cluster.conn(id).await;
        let (index, digest): (u64, String) = redis::cmd("RAFT")
            .arg("DIGEST")
            .query_async(&mut conn)
            .await
            .expect("RAFT DIGEST");
        assert_eq!(
            index, applied,
            "node {id} answers at the common applied index"
        );
        digests.push(digest);
    }
    assert!(
        digests.windows(2).all(|pair| pair[0] == pair[1]),
        "replicas disagree: {digests:?}"
    );
}

/// The log held in memory is bounded in bytes, not only in entries: a few large writes (far
/// fewer entries than --snapshot-logs) past --snapshot-log-bytes make every node snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_grown_past_its_byte_bound_is_snapshotted_before_the_entry_count() {
    let options = ClusterOptions::default().args(&[
        "--snapshot-logs",
        "1000000",
        "--snapshot-log-bytes",
        "200000",
    ]);
    let cluster = Cluster::start_with(3, options).await;
    let leader = cluster.leader().await;
    let mut conn = cluster.conn(leader).await;
    let value = "x".repeat(16 * 1024);
    for i in 0..40 {
        let _: () = conn.set(format!("big{i}"), &value).await.expect("SET");
    }
    for id in cluster.ids() {
        wait_for(
            &format!("a size-triggered snapshot on node {id}"),
            Duration::from_secs(20),
            || async {
                let info = cluster.info(id).await;
                match info.num("snapshot_index") {
                    0 => Err("snapshot_index still 0".to_string()),
                    index => Ok(index),
                }
            },
        )
        .await;
    }
}
