//! Membership changes on a live cluster of real processes: growing and shrinking it under a
//! write load, replacing a node whose data was lost, and handing leadership over — each with
//! zero lost acknowledged writes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redraft_tests::{wait_for, Cluster, ClusterOptions, RawClient};

/// Bound on a membership change (a learner's catch-up included) showing in INFO.
const CHANGE_MAX: Duration = Duration::from_secs(60);

/// A bounded writer: `SET {tag}:{i} v{i}` through `port` every few milliseconds until `stop`;
/// returns the acknowledged keys. Cluster errors (no leader for a moment) are not acks.
async fn writer(port: u16, tag: &'static str, stop: Arc<AtomicBool>) -> Vec<String> {
    const OPS_MAX: usize = 20_000;
    const TIME_MAX: Duration = Duration::from_secs(180);
    let started = Instant::now();
    let mut acked = Vec::new();
    let mut client: Option<RawClient> = None;
    for i in 0..OPS_MAX {
        if stop.load(Ordering::Relaxed) || started.elapsed() > TIME_MAX {
            break;
        }
        if client.is_none() {
            client = RawClient::connect(port).await.ok();
            if client.is_none() {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        }
        let key = format!("{tag}:{i}");
        let Some(conn) = client.as_mut() else {
            continue;
        };
        match conn.call(&["SET", &key, &format!("v{i}")]).await {
            Ok(reply) if reply == b"+OK\r\n" => acked.push(key),
            Ok(reply) => {
                assert!(
                    reply.starts_with(b"-CLUSTERDOWN") || reply.starts_with(b"-TRYAGAIN"),
                    "writer {tag}: unexpected reply {}",
                    String::from_utf8_lossy(&reply)
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(_) => client = None,
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    acked
}

/// Writers through each of `ids`, stopped by the returned flag.
fn start_load(
    cluster: &Cluster,
    ids: &[u64],
) -> (Arc<AtomicBool>, Vec<tokio::task::JoinHandle<Vec<String>>>) {
    const TAGS: [&str; 5] = ["w1", "w2", "w3", "w4", "w5"];
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = ids
        .iter()
        .zip(TAGS)
        .map(|(&id, tag)| tokio::spawn(writer(cluster.port(id), tag, stop.clone())))
        .collect();
    (stop, tasks)
}

async fn stop_load(
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Vec<String>>>,
) -> Vec<String> {
    stop.store(true, Ordering::Relaxed);
    let mut acked = Vec::new();
    for task in tasks {
        acked.extend(task.await.expect("writer task"));
    }
    acked
}

/// Every acknowledged key reads back with its value through node `id`.
async fn assert_all_present(cluster: &Cluster, id: u64, keys: &[String]) {
    let mut conn = cluster.conn(id).await;
    for chunk in keys.chunks(200) {
        let got: Vec<Option<String>> = redis::cmd("MGET")
            .arg(chunk)
            .query_async(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("MGET on node {id}: {e}"));
        for (key, value) in chunk.iter().zip(got) {
            let want = format!("v{}", key.rsplit(':').next().unwrap_or_default());
            assert_eq!(
                value.as_deref(),
                Some(want.as_str()),
                "acknowledged {key} lost on node {id}"
            );
        }
    }
}

/// `RAFT <args>` through node `id`: the reply's raw bytes.
async fn raft(cluster: &Cluster, id: u64, args: &[&str]) -> Vec<u8> {
    let mut client = cluster.raw(id).await;
    client.set_reply_timeout(Duration::from_secs(90));
    let mut argv = vec!["RAFT"];
    argv.extend_from_slice(args);
    client
        .call(&argv)
        .await
        .unwrap_or_else(|e| panic!("RAFT {args:?} on node {id}: {e}"))
}

/// Waits until the leader reports exactly these voters and no learner.
async fn wait_voters(cluster: &Cluster, voters: &[u64]) {
    let want = voters
        .iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    wait_for(&format!("voters {want}"), CHANGE_MAX, || async {
        let leader = cluster.current_leader().await?;
        let info = cluster.try_info(leader).await?;
        match (info.get("members"), info.get("learners")) {
            (Some(m), Some("")) if m == want => Ok(()),
            other => Err(format!("leader {leader} reports {other:?}")),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn growing_three_to_five_under_load_loses_no_acknowledged_write() {
    let mut cluster = Cluster::start(3).await;
    let (stop, tasks) = start_load(&cluster, &[1, 2, 3]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let four = cluster.add_joining_node(2);
    wait_voters(&cluster, &[1, 2, 3, four]).await;
    let five = cluster.add_joining_node(3);
    wait_voters(&cluster, &[1, 2, 3, four, five]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let acked = stop_load(stop, tasks).await;
    assert!(acked.len() > 10, "the load made progress: {}", acked.len());

    let members = raft(&cluster, four, &["MEMBERS"]).await;
    let text = String::from_utf8_lossy(&members);
    assert!(text.starts_with("*5\r\n"), "five members: {text}");
    assert_eq!(text.matches("voter").count(), 5, "{text}");
    assert!(
        text.contains("match_index") && text.contains("lag"),
        "{text}"
    );

    cluster.wait_applied_equal().await;
    for id in [1, four, five] {
        assert_all_present(&cluster, id, &acked).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shrinking_five_to_three_under_load_loses_no_acknowledged_write() {
    let cluster = Cluster::start(5).await;
    let (stop, tasks) = start_load(&cluster, &[1, 2, 3]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    for id in [4, 5] {
        let reply = raft(&cluster, 1, &["REMOVE", &id.to_string()]).await;
        assert_eq!(reply, b"+OK\r\n", "{}", String::from_utf8_lossy(&reply));
    }
    wait_voters(&cluster, &[1, 2, 3]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let acked = stop_load(stop, tasks).await;
    assert!(acked.len() > 10, "the load made progress: {}", acked.len());

    // A removed node says so instead of serving.
    let mut removed = cluster.raw(5).await;
    let reply = removed.call(&["GET", "w1:0"]).await.expect("GET on node 5");
    assert_eq!(reply, b"-ERR this node was removed from the cluster\r\n");
    cluster.stop(4);
    cluster.stop(5);

    // Removing it again is a no-op; removing a stranger too.
    assert_eq!(raft(&cluster, 2, &["REMOVE", "5"]).await, b"+OK\r\n");
    cluster.wait_applied_equal().await;
    for id in [1, 2, 3] {
        assert_all_present(&cluster, id, &acked).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_wiped_data_is_removed_and_rejoins_with_join() {
    let options = ClusterOptions::default().args(&["--snapshot-logs", "50"]);
    let cluster = Cluster::start_with(3, options).await;
    let (stop, tasks) = start_load(&cluster, &[1, 2]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.kill(3);
    let reply = raft(&cluster, 1, &["REMOVE", "3"]).await;
    assert_eq!(reply, b"+OK\r\n", "{}", String::from_utf8_lossy(&reply));
    wait_voters(&cluster, &[1, 2]).await;

    cluster.wipe_and_rejoin(3, 1);
    wait_voters(&cluster, &[1, 2, 3]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let acked = stop_load(stop, tasks).await;
    assert!(acked.len() > 10, "the load made progress: {}", acked.len());

    // Restarted with its data, it resumes without another membership change.
    cluster.stop(3);
    cluster.restart(3);
    cluster.wait_applied_equal().await;
    wait_voters(&cluster, &[1, 2, 3]).await;
    assert_all_present(&cluster, 3, &acked).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leadership_moves_to_the_named_node_and_away_from_a_stopping_leader() {
    let cluster = Cluster::start(3).await;
    let (stop, tasks) = start_load(&cluster, &[1, 2, 3]);
    let leader = cluster.leader().await;
    let target = cluster.followers().await[0];

    // openraft's transfer: the members stop honouring the leader's lease and the target
    // stands at once, so it is done well within one election timeout (1 s by default; the
    // followers' leases ran out first before, about 2.25 s).
    let asked_at = Instant::now();
    let reply = raft(&cluster, leader, &["TRANSFER", &target.to_string()]).await;
    let took = asked_at.elapsed();
    assert_eq!(reply, b"+OK\r\n", "{}", String::from_utf8_lossy(&reply));
    assert!(took < Duration::from_secs(1), "the transfer took {took:?}");
    assert_eq!(cluster.leader().await, target);

    // A SIGTERM'd leader hands over before it exits: a leader is there at once.
    let stopped_at = Instant::now();
    cluster.stop(target);
    let next = cluster.leader().await;
    assert_ne!(next, target);
    assert!(
        stopped_at.elapsed() < Duration::from_secs(8),
        "handover took {:?}",
        stopped_at.elapsed()
    );
    cluster.restart(target);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let acked = stop_load(stop, tasks).await;
    assert!(acked.len() > 10, "the load made progress: {}", acked.len());

    let bad = raft(&cluster, next, &["TRANSFER", "42"]).await;
    assert!(bad.starts_with(b"-ERR node 42 is not a voter"), "{bad:?}");
    cluster.wait_applied_equal().await;
    for id in [1, 2, 3] {
        assert_all_present(&cluster, id, &acked).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrapping_node_that_lost_its_data_joins_the_existing_cluster() {
    // Node 1 plays a StatefulSet's pod 0: `--join` naming itself (bootstrap when fresh) and
    // `--bootstrap-probe` naming the others. Its volume is lost; it must not start a second
    // cluster of its own but join the one nodes 2 and 3 still run.
    let cluster = Cluster::start(3).await;
    let (stop, tasks) = start_load(&cluster, &[2, 3]);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    cluster.kill(1);
    let reply = raft(&cluster, 2, &["REMOVE", "1"]).await;
    assert_eq!(reply, b"+OK\r\n", "{}", String::from_utf8_lossy(&reply));
    wait_voters(&cluster, &[2, 3]).await;

    cluster.wipe(1);
    let probe = format!("{},{}", cluster.raft_addr(2), cluster.raft_addr(3));
    cluster.set_own_args(1, &["--bootstrap-probe".to_string(), probe]);
    cluster.start_fresh(1, Some(1));
    wait_voters(&cluster, &[1, 2, 3]).await;
    let acked = stop_load(stop, tasks).await;
    assert!(acked.len() > 10, "the load made progress: {}", acked.len());
    cluster.wait_applied_equal().await;
    let info = cluster.info(1).await;
    assert_eq!(
        info.get("members"),
        Some("1,2,3"),
        "node 1 sees the old cluster"
    );
    assert_all_present(&cluster, 1, &acked).await;
}
