//! Blocking commands: against redis-server byte for byte (a single node and a follower), and
//! on a three-node cluster of real processes: a client blocked on one follower is served by a
//! push through the other; 100 clients blocked on every node share 10,000 pushed elements
//! exactly once, each client's elements in push order.

use std::collections::BTreeSet;
use std::time::Duration;

use redraft_tests::driver::{Against, Ops, Sides};
use redraft_tests::{Cluster, RawClient};

/// Each line is sent to both sides and the replies compared byte for byte. Waits are short
/// (50 ms) or served at once: one connection cannot push to itself while it waits.
const SCRIPT: &[&str] = &[
    "RPUSH l a b c",
    "BLPOP nokey l 0",
    "BRPOP l 0",
    "BLPOP nokey 0.05",
    "BRPOP nokey 0.05",
    "BLMOVE l dst LEFT RIGHT 0",
    "BLMOVE nokey dst LEFT RIGHT 0.05",
    "BRPOPLPUSH dst l 0",
    "BRPOPLPUSH nokey l 0.05",
    "RPUSH m 1 2 3 4",
    "BLMPOP 0 2 nokey m LEFT COUNT 3",
    "BLMPOP 0.05 1 nokey RIGHT",
    "ZADD z 1 a 2 b 3 c",
    "BZPOPMIN z 0",
    "BZPOPMAX nokey z 0",
    "BZPOPMIN nokey 0.05",
    "BZMPOP 0 1 z MIN COUNT 5",
    "BZMPOP 0.05 1 z MAX",
    "SET s x",
    "BLPOP s 0",
    "BZPOPMIN s 0",
    "BLPOP l x",
    "BLPOP l -1",
    "BLPOP l 1e20",
    "BLPOP l nan",
    "BLPOP l",
    "BLMOVE l d LEFT UP 0",
    "BLMPOP 0 0 l LEFT",
    "BZMPOP 0 1 z MIN COUNT 0",
    "MULTI",
    "BLPOP nokey 0",
    "BZPOPMIN nokey 0",
    "BRPOPLPUSH nokey l 0",
    "EXEC",
    "XADD st 1-1 f v",
    "XREAD BLOCK 50 STREAMS st $",
    "XREAD BLOCK 0 STREAMS nost st 0 0",
    "XREAD COUNT 1 BLOCK 50 STREAMS st 0-0",
    "XGROUP CREATE st g $",
    "XREADGROUP GROUP g c BLOCK 50 STREAMS st >",
    "XREADGROUP GROUP g c BLOCK 50 STREAMS st 0",
    "XREAD BLOCK -1 STREAMS st 0",
    "XREAD BLOCK x STREAMS st 0",
    "MULTI",
    "XREAD BLOCK 0 STREAMS st $",
    "XREADGROUP GROUP g c BLOCK 0 STREAMS st >",
    "EXEC",
    "CLIENT UNBLOCK 999999",
    "CLIENT UNBLOCK 999999 LATER",
];

async fn run_script(against: Against) {
    let ops = Ops {
        engine: SCRIPT.len(),
        follower: SCRIPT.len(),
    };
    let mut sides = Sides::start("blocking", 29, ops, against).await;
    sides.assert_same(SCRIPT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_commands_on_a_single_node_reply_like_redis_byte_for_byte() {
    run_script(Against::SingleNode).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_commands_on_a_follower_reply_like_redis_byte_for_byte() {
    run_script(Against::Follower).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_blocked_on_one_follower_is_served_by_a_push_through_the_other() {
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    let mut waiter = cluster.raw(followers[0]).await;
    waiter.set_reply_timeout(Duration::from_secs(10));
    waiter
        .send(&redraft_tests::command_bytes(&["BLPOP", "jobs", "0"]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut pusher = cluster.raw(followers[1]).await;
    assert_eq!(
        pusher.call(&["RPUSH", "jobs", "j1"]).await.unwrap(),
        b":1\r\n"
    );
    let reply = waiter.read_reply().await.unwrap();
    assert_eq!(reply, b"*2\r\n$4\r\njobs\r\n$2\r\nj1\r\n");
    assert_eq!(pusher.call(&["LLEN", "jobs"]).await.unwrap(), b":0\r\n");
    // A timeout ends the wait through the log, on whatever node the client waits.
    let started = std::time::Instant::now();
    let timed_out = waiter
        .call(&["BRPOPLPUSH", "none", "dst", "0.3"])
        .await
        .unwrap();
    assert_eq!(timed_out, b"*-1\r\n");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

/// Elements pushed while clients wait on every node: each delivered to exactly one client,
/// none left behind, and each client's elements in push order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_on_every_node_share_pushed_elements_exactly_once() {
    const CLIENTS: usize = 100;
    const ELEMENTS: usize = 10_000;
    let cluster = Cluster::start(3).await;
    let ids = cluster.ids();
    let mut consumers = Vec::new();
    for i in 0..CLIENTS {
        let port = cluster.port(ids[i % ids.len()]);
        consumers.push(tokio::spawn(consume(port)));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut pusher = cluster.raw(ids[0]).await;
    // Pipelined, 100 pushes at a time: consecutive pushes share log entries, and each entry
    // serves many waiters at once.
    for batch in 0..ELEMENTS / 100 {
        let mut bytes = Vec::new();
        for n in batch * 100..(batch + 1) * 100 {
            let element = format!("e{n:05}");
            bytes.extend(redraft_tests::command_bytes(&["RPUSH", "q", &element]));
        }
        pusher.send(&bytes).await.unwrap();
        for _ in 0..100 {
            let reply = pusher.read_reply().await.unwrap();
            assert!(
                reply.starts_with(b":"),
                "{}",
                String::from_utf8_lossy(&reply)
            );
        }
    }
    let mut seen = BTreeSet::new();
    for consumer in consumers {
        let got = consumer.await.unwrap();
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(got, sorted, "a client's elements come in push order");
        for element in got {
            assert!(seen.insert(element.clone()), "{element} delivered twice");
        }
    }
    assert_eq!(seen.len(), ELEMENTS, "every element delivered");
    assert_eq!(pusher.call(&["LLEN", "q"]).await.unwrap(), b":0\r\n");
}

/// XREADGROUP BLOCK consumers on both followers share a stream's new entries: each entry
/// delivered to exactly one of them, all of them delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_consumers_blocked_on_different_nodes_share_a_stream_without_duplicates() {
    const ENTRIES: usize = 200;
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    let mut admin = cluster.raw(followers[0]).await;
    let created = admin
        .call(&["XGROUP", "CREATE", "events", "g", "$", "MKSTREAM"])
        .await;
    assert_eq!(created.unwrap(), b"+OK\r\n");
    let consumers: Vec<_> = followers
        .iter()
        .enumerate()
        .map(|(i, &id)| tokio::spawn(read_group(cluster.port(id), format!("c{i}"))))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut producer = cluster.raw(cluster.leader().await).await;
    for n in 0..ENTRIES {
        let reply = producer
            .call(&["XADD", "events", "*", "n", &n.to_string()])
            .await;
        assert!(reply.unwrap().starts_with(b"$"));
    }
    let mut seen = BTreeSet::new();
    for consumer in consumers {
        for id in consumer.await.unwrap() {
            assert!(seen.insert(id.clone()), "{id} delivered twice");
        }
    }
    assert_eq!(seen.len(), ENTRIES);
}

/// Reads new entries one at a time until a wait of a second finds none (bounded).
async fn read_group(port: u16, consumer: String) -> Vec<String> {
    let mut client = RawClient::connect(port).await.unwrap();
    client.set_reply_timeout(Duration::from_secs(30));
    let mut ids = Vec::new();
    for _ in 0..1_000 {
        let args = [
            "XREADGROUP",
            "GROUP",
            "g",
            &consumer,
            "COUNT",
            "1",
            "BLOCK",
            "1000",
            "STREAMS",
            "events",
            ">",
        ];
        let reply = client.call(&args).await.unwrap();
        let text = String::from_utf8_lossy(&reply).into_owned();
        if text == "*-1\r\n" {
            break;
        }
        let id = text
            .lines()
            .find(|line| line.contains('-') && !line.starts_with('$'));
        ids.push(id.expect("an entry id").to_string());
    }
    ids
}

/// BLPOPs until a wait of a second finds nothing (bounded: 10,000 pops).
async fn consume(port: u16) -> Vec<String> {
    let mut client = RawClient::connect(port).await.unwrap();
    client.set_reply_timeout(Duration::from_secs(30));
    let mut got = Vec::new();
    for _ in 0..10_000 {
        let reply = client.call(&["BLPOP", "q", "1"]).await.unwrap();
        let text = String::from_utf8_lossy(&reply).into_owned();
        if text == "*-1\r\n" {
            break;
        }
        got.push(text.lines().nth(4).expect("an element").to_string());
    }
    got
}

/// The reliable-queue pattern across a leader kill: consumers on every node BLMOVE tasks into
/// their own processing lists while a producer pushes and the leader is killed. Every
/// acknowledged task ends in exactly one list (still queued, or in one processing list):
/// nothing lost, nothing duplicated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blmove_consumers_across_a_leader_kill_lose_and_duplicate_nothing() {
    const TASKS: usize = 300;
    let cluster = Cluster::start(3).await;
    let leader = cluster.leader().await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let consumers: Vec<_> = cluster
        .ids()
        .into_iter()
        .map(|id| tokio::spawn(move_tasks(cluster.port(id), id, stop.clone())))
        .collect();
    let producer_node = cluster.followers().await[0];
    let mut producer = cluster.raw(producer_node).await;
    let mut acked = Vec::new();
    for n in 0..TASKS {
        if n == TASKS / 3 {
            cluster.kill(leader);
        }
        let task = format!("t{n:04}");
        for _ in 0..100 {
            match producer.call(&["LPUSH", "tasks", &task]).await {
                Ok(reply) if reply.starts_with(b":") => {
                    acked.push(task.clone());
                    break;
                }
                Ok(reply) if reply.starts_with(b"-TRYAGAIN") => break,
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for consumer in consumers {
        let _ = consumer.await;
    }
    cluster.wait_applied_equal().await;
    let mut lists = vec!["tasks".to_string()];
    lists.extend(cluster.ids().iter().map(|id| format!("processing:{id}")));
    let mut reader = cluster.raw(producer_node).await;
    let mut seen = Vec::new();
    for list in &lists {
        let reply = reader.call(&["LRANGE", list, "0", "-1"]).await.unwrap();
        let text = String::from_utf8_lossy(&reply).into_owned();
        seen.extend(
            text.lines()
                .filter(|l| l.starts_with('t'))
                .map(String::from),
        );
    }
    let distinct: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "a task sits in two places");
    for task in &acked {
        assert!(distinct.contains(task), "acknowledged {task} is nowhere");
    }
    assert!(
        acked.len() > TASKS / 2,
        "the producer got through: {}",
        acked.len()
    );
}

/// BLMOVEs tasks into `processing:<id>` until `stop` (bounded: 1,000 moves).
async fn move_tasks(port: u16, id: u64, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let processing = format!("processing:{id}");
    let Ok(mut client) = RawClient::connect(port).await else {
        return;
    };
    client.set_reply_timeout(Duration::from_secs(10));
    for _ in 0..1_000 {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let args = [
            "BLMOVE",
            "tasks",
            processing.as_str(),
            "RIGHT",
            "LEFT",
            "0.5",
        ];
        if client.call(&args).await.is_err() {
            return;
        }
    }
}

/// WAIT counts the replicas that hold the client's writes, from any node: both followers
/// once they caught up; one while the other is down, after the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_counts_the_replicas_holding_the_clients_writes() {
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    let leader = cluster.leader().await;
    for id in [leader, followers[0]] {
        let mut client = cluster.raw(id).await;
        assert_eq!(client.call(&["SET", "k", "v"]).await.unwrap(), b"+OK\r\n");
        assert_eq!(
            client.call(&["WAIT", "2", "5000"]).await.unwrap(),
            b":2\r\n"
        );
        assert_eq!(client.call(&["WAIT", "0", "0"]).await.unwrap()[0], b':');
        let started = std::time::Instant::now();
        assert_eq!(client.call(&["WAIT", "5", "200"]).await.unwrap(), b":2\r\n");
        assert!(started.elapsed() >= Duration::from_millis(200));
        let refused = client.call(&["WAIT", "1", "-1"]).await.unwrap();
        assert_eq!(refused, b"-ERR timeout is negative\r\n");
    }
    cluster.kill(followers[1]);
    let mut client = cluster.raw(leader).await;
    assert_eq!(client.call(&["SET", "k", "w"]).await.unwrap(), b"+OK\r\n");
    assert_eq!(client.call(&["WAIT", "2", "300"]).await.unwrap(), b":1\r\n");
}
