//! Three in-process nodes on loopback: election, forwarded writes, linearizable reads on
//! followers, failover, restart, catch-up by snapshot, and replica determinism.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use redraft_engine::Reply;
use redraft_raft::{ClusterError, NodeConfig, RaftNode};
use tempfile::TempDir;
use tokio::time::{sleep, timeout, Instant};

const WAIT: Duration = Duration::from_secs(20);

fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

fn argv(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

struct Cluster {
    dirs: Vec<TempDir>,
    addrs: Vec<SocketAddr>,
    nodes: Vec<Option<RaftNode>>,
    snapshot_logs_since_last: u64,
}

impl Cluster {
    async fn start(snapshot_logs_since_last: u64) -> Cluster {
        let addrs: Vec<SocketAddr> = (0..3).map(|_| free_addr()).collect();
        let dirs = (0..3).map(|_| TempDir::new().expect("tempdir")).collect();
        let mut cluster = Cluster {
            dirs,
            addrs,
            nodes: vec![None, None, None],
            snapshot_logs_since_last,
        };
        let starts = (0..3).map(|i| RaftNode::start(cluster.config(i)));
        for (i, node) in futures_join(starts).await.into_iter().enumerate() {
            cluster.nodes[i] = Some(node);
        }
        cluster
    }

    fn config(&self, i: usize) -> NodeConfig {
        let members: BTreeMap<u64, String> = self
            .addrs
            .iter()
            .enumerate()
            .map(|(j, a)| (j as u64 + 1, a.to_string()))
            .collect();
        NodeConfig {
            id: i as u64 + 1,
            raft_listen: self.addrs[i],
            raft_advertise: self.addrs[i].to_string(),
            dir: self.dirs[i].path().to_path_buf(),
            initial_members: members,
            heartbeat_ms: 50,
            election_timeout_min_ms: 300,
            election_timeout_max_ms: 600,
            snapshot_logs_since_last: self.snapshot_logs_since_last,
            request_timeout: Duration::from_secs(5),
            ..NodeConfig::default()
        }
    }

    fn node(&self, id: u64) -> &RaftNode {
        self.nodes[id as usize - 1].as_ref().expect("node running")
    }

    fn running(&self) -> impl Iterator<Item = &RaftNode> {
        self.nodes.iter().flatten()
    }

    /// Waits until every running node names the same leader, which is running.
    async fn leader(&self) -> u64 {
        let deadline = Instant::now() + WAIT;
        loop {
            let leaders: Vec<Option<u64>> = self.running().map(|n| n.status().leader_id).collect();
            if let Some(Some(leader)) = leaders.first() {
                let agreed = leaders.iter().all(|l| *l == Some(*leader));
                if agreed && self.nodes[*leader as usize - 1].is_some() {
                    return *leader;
                }
            }
            assert!(Instant::now() < deadline, "no agreed leader: {leaders:?}");
            sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(&mut self, id: u64) {
        let node = self.nodes[id as usize - 1].take().expect("running");
        timeout(WAIT, node.shutdown())
            .await
            .expect("shutdown in time");
    }

    async fn restart(&mut self, id: u64) {
        let config = self.config(id as usize - 1);
        let node = timeout(WAIT, RaftNode::start(config))
            .await
            .expect("start in time")
            .expect("restart");
        self.nodes[id as usize - 1] = Some(node);
    }

    async fn shutdown(mut self) {
        for id in 1..=3 {
            if self.nodes[id - 1].is_some() {
                self.stop(id as u64).await;
            }
        }
    }
}

/// Starts all futures and waits for all (nodes must start together to elect a leader).
async fn futures_join<F, T, E>(futures: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: std::fmt::Debug + Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        let result = timeout(WAIT, handle).await.expect("in time").expect("task");
        out.push(result.expect("start"));
    }
    out
}

async fn set(node: &RaftNode, key: &str, value: &str) {
    let replies = timeout(WAIT, node.write(0, vec![argv(&["SET", key, value])]))
        .await
        .expect("write in time")
        .expect("write");
    assert_eq!(replies, vec![Reply::ok()]);
}

async fn get(node: &RaftNode, key: &str) -> Reply {
    let context = timeout(WAIT, node.read_barrier())
        .await
        .expect("barrier in time")
        .expect("barrier");
    node.with_engine(|engine| engine.read(0, &argv(&["GET", key]), context))
}

fn bulk(value: &str) -> Reply {
    Reply::Bulk(value.as_bytes().to_vec())
}

fn others(leader: u64) -> (u64, u64) {
    let mut rest = (1..=3).filter(|&id| id != leader);
    (rest.next().unwrap(), rest.next().unwrap())
}

/// Waits until every running node has applied the same index, and returns it.
async fn settled(cluster: &Cluster) -> u64 {
    let deadline = Instant::now() + WAIT;
    loop {
        let applied: Vec<u64> = cluster
            .running()
            .map(|n| n.status().applied_index)
            .collect();
        let committed: Vec<u64> = cluster.running().map(|n| n.status().commit_index).collect();
        let max = applied.iter().copied().max().unwrap_or(0);
        if applied.iter().all(|&a| a == max) && committed.iter().all(|&c| c == max) {
            return max;
        }
        assert!(
            Instant::now() < deadline,
            "not settled: applied {applied:?}, committed {committed:?}"
        );
        sleep(Duration::from_millis(50)).await;
    }
}

fn snapshot_bytes(node: &RaftNode) -> Vec<u8> {
    node.with_engine(|engine| engine.encode_snapshot())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_forward_reads_follow_and_survive_failover() {
    let mut cluster = Cluster::start(10_000).await;
    let leader = cluster.leader().await;
    let (f1, f2) = others(leader);

    set(cluster.node(f1), "a", "1").await;
    assert_eq!(
        get(cluster.node(f2), "a").await,
        bulk("1"),
        "read on the other follower"
    );
    assert_eq!(
        get(cluster.node(leader), "a").await,
        bulk("1"),
        "read on the leader"
    );

    // Determinism: replicas at the same applied index hold byte-identical state.
    for i in 0..20 {
        set(cluster.node(1 + i % 3), &format!("k{i}"), &format!("v{i}")).await;
    }
    settled(&cluster).await;
    let expected = snapshot_bytes(cluster.node(leader));
    assert_eq!(snapshot_bytes(cluster.node(f1)), expected);
    assert_eq!(snapshot_bytes(cluster.node(f2)), expected);

    cluster.stop(leader).await;
    let new_leader = cluster.leader().await;
    assert_ne!(new_leader, leader);
    let survivor = if new_leader == f1 { f2 } else { f1 };
    set(cluster.node(survivor), "b", "2").await;
    assert_eq!(get(cluster.node(new_leader), "b").await, bulk("2"));

    // The old leader comes back from its own log and catches up.
    cluster.restart(leader).await;
    assert_eq!(get(cluster.node(leader), "b").await, bulk("2"));
    assert_eq!(get(cluster.node(leader), "a").await, bulk("1"));
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restarted_node_catches_up_by_snapshot_after_compaction() {
    let mut cluster = Cluster::start(20).await;
    let leader = cluster.leader().await;
    let (lagger, other) = others(leader);
    set(cluster.node(leader), "before", "x").await;
    settled(&cluster).await;
    let lagger_last = cluster.node(lagger).status().last_log_index;
    cluster.stop(lagger).await;

    for i in 0..200 {
        set(cluster.node(leader), &format!("k{i}"), &format!("v{i}")).await;
    }
    // Compaction has run past what the stopped node holds, so it cannot catch up from the log.
    let deadline = Instant::now() + WAIT;
    while cluster.node(leader).status().snapshot_index <= lagger_last + 100 {
        assert!(Instant::now() < deadline, "leader never snapshotted");
        sleep(Duration::from_millis(50)).await;
    }

    cluster.restart(lagger).await;
    assert_eq!(get(cluster.node(lagger), "k199").await, bulk("v199"));
    assert_eq!(get(cluster.node(lagger), "before").await, bulk("x"));
    assert!(cluster.node(lagger).status().snapshot_index > lagger_last);
    settled(&cluster).await;
    assert_eq!(
        snapshot_bytes(cluster.node(lagger)),
        snapshot_bytes(cluster.node(other))
    );

    // And it restarts again from its own persisted snapshot plus log.
    cluster.stop(lagger).await;
    cluster.restart(lagger).await;
    assert_eq!(get(cluster.node(lagger), "k150").await, bulk("v150"));
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_node_recovers_its_data_after_restart() {
    let dir = TempDir::new().unwrap();
    let addr = free_addr();
    let config = |dir: &Path| single_node_config(dir, addr);
    let node = RaftNode::start(config(dir.path())).await.unwrap();
    set(&node, "k", "v").await;
    node.shutdown().await;
    assert_eq!(node.status().role, "shutdown");
    let node = RaftNode::start(config(dir.path())).await.unwrap();
    assert_eq!(get(&node, "k").await, bulk("v"));
    node.shutdown().await;
}

fn single_node_config(dir: &Path, addr: SocketAddr) -> NodeConfig {
    NodeConfig {
        raft_listen: addr,
        raft_advertise: addr.to_string(),
        dir: dir.to_path_buf(),
        initial_members: BTreeMap::from([(1, addr.to_string())]),
        heartbeat_ms: 50,
        election_timeout_min_ms: 150,
        election_timeout_max_ms: 300,
        ..NodeConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_all_apply_in_some_order() {
    let dir = TempDir::new().unwrap();
    let node = RaftNode::start(single_node_config(dir.path(), free_addr()))
        .await
        .unwrap();
    let writes: Vec<_> = (0..200)
        .map(|i| {
            let node = node.clone();
            tokio::spawn(async move { set(&node, &format!("c{i}"), &format!("{i}")).await })
        })
        .collect();
    for write in writes {
        timeout(WAIT, write).await.expect("in time").expect("task");
    }
    for i in [0, 99, 199] {
        assert_eq!(get(&node, &format!("c{i}")).await, bulk(&i.to_string()));
    }
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_quorum_requests_fail_within_the_timeout() {
    // One member of a three-node cluster, alone: it can never be elected.
    let cluster_addrs = [free_addr(), free_addr(), free_addr()];
    let dir = TempDir::new().unwrap();
    let config = NodeConfig {
        id: 1,
        raft_listen: cluster_addrs[0],
        raft_advertise: cluster_addrs[0].to_string(),
        dir: dir.path().to_path_buf(),
        initial_members: (1..=3)
            .map(|id| (id, cluster_addrs[id as usize - 1].to_string()))
            .collect(),
        heartbeat_ms: 50,
        election_timeout_min_ms: 150,
        election_timeout_max_ms: 300,
        request_timeout: Duration::from_millis(800),
        ..NodeConfig::default()
    };
    let node = RaftNode::start(config).await.unwrap();
    let started = Instant::now();
    let write = timeout(WAIT, node.write(0, vec![argv(&["SET", "k", "v"])]))
        .await
        .expect("bounded");
    assert!(matches!(write, Err(ClusterError::NoLeader(_))), "{write:?}");
    let read = timeout(WAIT, node.read_barrier()).await.expect("bounded");
    assert!(matches!(read, Err(ClusterError::NoLeader(_))), "{read:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    node.shutdown().await;
    let after = node.write(0, vec![argv(&["SET", "k", "v"])]).await;
    assert_eq!(after, Err(ClusterError::ShuttingDown));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_sweeps_expired_keys_through_the_log() {
    let dir = TempDir::new().unwrap();
    let node = RaftNode::start(single_node_config(dir.path(), free_addr()))
        .await
        .unwrap();
    set(&node, "doomed", "v").await;
    let replies = node
        .write(0, vec![argv(&["PEXPIRE", "doomed", "100"])])
        .await
        .unwrap();
    assert_eq!(replies, vec![Reply::Integer(1)]);
    let applied_before = node.status().applied_index;
    let deadline = Instant::now() + WAIT;
    // `has_expired_keys(u64::MAX)` holds while any key with a deadline is still stored.
    while node.with_engine(|engine| engine.has_expired_keys(u64::MAX)) {
        assert!(Instant::now() < deadline, "expired key never swept");
        sleep(Duration::from_millis(50)).await;
    }
    assert!(
        node.status().applied_index > applied_before,
        "swept by a log entry"
    );
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_serves_one_node_at_a_time() {
    let dir = TempDir::new().unwrap();
    let node = RaftNode::start(single_node_config(dir.path(), free_addr()))
        .await
        .unwrap();
    let second = RaftNode::start(single_node_config(dir.path(), free_addr())).await;
    let Err(error) = second else {
        panic!("a second node started on a directory in use");
    };
    assert!(
        error
            .to_string()
            .contains("in use by another redraft process"),
        "{error}"
    );
    node.shutdown().await;
    let again = RaftNode::start(single_node_config(dir.path(), free_addr()))
        .await
        .expect("the directory is free once the first node has shut down");
    again.shutdown().await;
}

/// A replication stream carries openraft's requests: a message that does not decode ends the
/// stream with an error its sender sees, and the node goes on replicating.
#[tokio::test]
async fn an_undecodable_replication_message_is_refused_and_replication_goes_on() {
    use redraft_raft::pb::raft_service_client::RaftServiceClient;
    use redraft_raft::pb::RaftPayload;

    let cluster = Cluster::start(10_000).await;
    let leader = settled(&cluster).await;
    let (follower, _) = others(leader);
    let addr = cluster.addrs[follower as usize - 1];
    let mut client = RaftServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect");
    // Sixteen continuation bytes: no varint, so no vote, decodes from them.
    let garbage = RaftPayload {
        data: vec![0xff; 16].into(),
    };
    let mut answers = client
        .stream_append(tokio_stream::iter([garbage]))
        .await
        .expect("the stream opens")
        .into_inner();
    let refused = timeout(WAIT, answers.message())
        .await
        .expect("an answer in time")
        .expect_err("the message is refused");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");

    set(cluster.node(follower), "after", "garbage").await;
    assert_eq!(get(cluster.node(follower), "after").await, bulk("garbage"));
    cluster.shutdown().await;
}

/// The streams between nodes stay open between messages (replication, a follower's read
/// indexes); a stopping node ends its side of them instead of waiting out the gRPC server's
/// drain (2 s) for the peer to end them.
#[tokio::test]
async fn nodes_with_open_streams_stop_without_waiting_for_their_peers() {
    // Under the server's drain timeout (2 s), with room for a slow machine.
    const PROMPT: Duration = Duration::from_millis(1900);
    let mut cluster = Cluster::start(10_000).await;
    let leader = cluster.leader().await;
    let (follower, other) = others(leader);
    // A write opens the replication streams, a follower's read its stream of read indexes.
    set(cluster.node(follower), "k", "v").await;
    assert_eq!(get(cluster.node(follower), "k").await, bulk("v"));
    assert_eq!(get(cluster.node(other), "k").await, bulk("v"));
    for id in [follower, leader] {
        let node = cluster.nodes[id as usize - 1].take().expect("running");
        let started = Instant::now();
        timeout(WAIT, node.shutdown())
            .await
            .expect("shutdown in time");
        let took = started.elapsed();
        assert!(took < PROMPT, "node {id} took {took:?} to stop");
    }
    cluster.shutdown().await;
}

/// A follower's clients' writes that arrive while a forward is in flight go to the leader
/// together in the next one: many concurrent writers cost far fewer forwards than writes.
#[tokio::test]
async fn concurrent_writes_through_a_follower_share_forwards() {
    const WRITERS: u64 = 200;
    let cluster = Cluster::start(10_000).await;
    let leader = settled(&cluster).await;
    let (follower, _) = others(leader);
    let node = cluster.node(follower).clone();
    let writes: Vec<_> = (0..WRITERS)
        .map(|i| {
            let node = node.clone();
            tokio::spawn(async move { set(&node, &format!("f{i}"), &i.to_string()).await })
        })
        .collect();
    for write in writes {
        timeout(WAIT, write).await.expect("in time").expect("task");
    }
    for i in [0, WRITERS / 2, WRITERS - 1] {
        assert_eq!(get(&node, &format!("f{i}")).await, bulk(&i.to_string()));
    }
    let stats = node.stats();
    let runs = stats.forwarded_writes.load(Ordering::Relaxed);
    let forwards = stats.forwards.load(Ordering::Relaxed);
    assert!(runs >= WRITERS, "{runs} runs forwarded");
    assert!(forwards * 4 <= runs, "{forwards} forwards for {runs} runs");
    cluster.shutdown().await;
}
