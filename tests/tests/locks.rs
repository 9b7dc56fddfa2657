//! The lock service on a three-node cluster of real processes: contention from every node with
//! a FENCED counter, a holder paused past its lease fenced off, a lease that survives the
//! leader's death and a new leader whose wall clock runs a minute ahead, redis-py's Lock from
//! threads on every node, and the docs' example (docs/locks.md), run as written.

use std::process::Command;
use std::time::{Duration, Instant};

use redraft_tests::raw::show;
use redraft_tests::{Cluster, RawClient};

async fn client(port: u16) -> RawClient {
    let mut client = RawClient::connect(port).await.unwrap();
    client.set_reply_timeout(Duration::from_secs(30));
    client
}

/// LOCK.ACQUIRE's token, or None for nil.
async fn acquire(client: &mut RawClient, args: &[&str]) -> Option<u64> {
    let mut argv = vec!["LOCK.ACQUIRE"];
    argv.extend(args);
    let reply = client.call(&argv).await.unwrap();
    match reply.as_slice() {
        b"$-1\r\n" => None,
        _ => {
            let text = show(&reply);
            let token = text.trim_start_matches(':').trim_end_matches("\\r\\n");
            Some(token.parse().unwrap_or_else(|_| panic!("{text}")))
        }
    }
}

/// Two clients per node take the lock in turn (WAIT), each time incrementing a counter with
/// FENCED: every grant's token is above every earlier one, no two holders' intervals overlap,
/// and the counter equals the number of fenced increments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_every_node_take_a_lock_in_turn_with_fenced_writes() {
    const ROUNDS: usize = 10;
    let cluster = Cluster::start(3).await;
    let mut tasks = Vec::new();
    for (i, id) in cluster.ids().into_iter().chain(cluster.ids()).enumerate() {
        let port = cluster.port(id);
        tasks.push(tokio::spawn(async move {
            let mut c = client(port).await;
            let owner = format!("owner-{i}");
            let mut held = Vec::new();
            for _ in 0..ROUNDS {
                let token = acquire(&mut c, &["job", &owner, "10000", "WAIT", "30000"]).await;
                let token = token.expect("granted within 30 s").to_string();
                let start = Instant::now();
                let incr = c
                    .call(&["FENCED", "job", &token, "INCR", "count"])
                    .await
                    .unwrap();
                assert!(incr.starts_with(b":"), "{}", show(&incr));
                let end = Instant::now();
                let released = c.call(&["LOCK.RELEASE", "job", &token]).await.unwrap();
                assert_eq!(released, b"+OK\r\n");
                held.push((start, end, token.parse::<u64>().unwrap()));
            }
            held
        }));
    }
    let mut grants = Vec::new();
    for task in tasks {
        grants.extend(task.await.unwrap());
    }
    grants.sort();
    for pair in grants.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "two holders at once: {pair:?}");
        assert!(pair[0].2 < pair[1].2, "tokens out of grant order: {pair:?}");
    }
    let mut c = client(cluster.port(cluster.ids()[0])).await;
    let count = c.call(&["GET", "count"]).await.unwrap();
    assert_eq!(show(&count), format!("$2\\r\\n{}\\r\\n", 6 * ROUNDS));
}

/// A holder that stops (paused past its lease) loses the lock to a waiter, and its fenced
/// write after it resumes is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_paused_past_its_lease_is_fenced_off() {
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    let mut paused = client(cluster.port(followers[0])).await;
    let mut next = client(cluster.port(followers[1])).await;
    let old = acquire(&mut paused, &["res", "a", "3000"]).await.unwrap();
    let started = Instant::now();
    let new = acquire(&mut next, &["res", "b", "3000", "WAIT", "20000"])
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(2900),
        "{:?}",
        started.elapsed()
    );
    assert!(new > old);
    let refused = paused
        .call(&["FENCED", "res", &old.to_string(), "SET", "data", "stale"])
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&refused),
        format!("-EXPIRED the lease of token {old} on lock 'res' expired\r\n")
    );
    let accepted = next
        .call(&["FENCED", "res", &new.to_string(), "SET", "data", "fresh"])
        .await
        .unwrap();
    assert_eq!(accepted, b"+OK\r\n");
    assert_eq!(
        next.call(&["GET", "data"]).await.unwrap(),
        b"$5\r\nfresh\r\n"
    );
}

/// Polls an ACQUIRE by another owner until it is granted; the time it took.
async fn granted_after(client: &mut RawClient, name: &str, since: Instant) -> Duration {
    let deadline = since + Duration::from_secs(40);
    loop {
        assert!(Instant::now() < deadline, "the lock was never freed");
        let reply = client.call(&["LOCK.ACQUIRE", name, "other", "3000"]).await;
        if let Ok(reply) = reply {
            if reply.starts_with(b":") {
                return since.elapsed();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The leader dies right after granting a lease: the lease is not cut short (the new leader
/// times it afresh), and it does end without its holder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_outlives_the_leaders_death_and_ends_without_its_holder() {
    let cluster = Cluster::start(3).await;
    let leader = cluster.leader().await;
    let followers = cluster.followers().await;
    let mut holder = client(cluster.port(followers[0])).await;
    acquire(&mut holder, &["survivor", "a", "4000"])
        .await
        .unwrap();
    let granted = Instant::now();
    cluster.kill(leader);
    let mut other = client(cluster.port(followers[1])).await;
    let waited = granted_after(&mut other, "survivor", granted).await;
    assert!(waited >= Duration::from_millis(4000), "{waited:?}");
}

/// A new leader whose wall clock runs a minute ahead does not end leases early: lease time is
/// the leader's monotonic clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_whose_clock_jumps_ahead_does_not_end_leases_early() {
    let cluster = Cluster::start(3).await;
    let ids = cluster.ids();
    let ahead = cluster.followers().await[0];
    cluster.kill(ahead);
    cluster.restart_with_args(
        ahead,
        &["--clock-offset-ms".to_string(), "60000".to_string()],
    );
    cluster.wait_applied_equal().await;
    let others: Vec<u64> = ids.iter().copied().filter(|&id| id != ahead).collect();
    let mut holder = client(cluster.port(others[0])).await;
    acquire(&mut holder, &["jump", "a", "5000"]).await.unwrap();
    let granted = Instant::now();
    let mut admin = client(cluster.port(others[0])).await;
    let moved = admin
        .call(&["RAFT", "TRANSFER", &ahead.to_string()])
        .await
        .unwrap();
    assert_eq!(moved, b"+OK\r\n", "{}", show(&moved));
    let mut other = client(cluster.port(others[1])).await;
    let waited = granted_after(&mut other, "jump", granted).await;
    assert!(waited >= Duration::from_millis(5000), "{waited:?}");
    // Keys are another matter: their TTLs follow the entries' wall-clock time.
    assert_eq!(cluster.leader().await, ahead);
}

fn python(script: &str, args: &[String], envs: &[(&str, String)]) -> std::process::Output {
    let mut command = Command::new("python3");
    command.arg(script).args(args);
    for (name, value) in envs {
        command.env(name, value);
    }
    command.output().expect("python3 runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_py_locks_from_threads_on_every_node_exclude_each_other() {
    let cluster = Cluster::start(3).await;
    let ports: Vec<String> = cluster
        .ids()
        .iter()
        .map(|&id| cluster.port(id).to_string())
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/acceptance/redis_py_lock.py");
    let run = tokio::task::spawn_blocking(move || python(script, &ports, &[]));
    let output = tokio::time::timeout(Duration::from_secs(240), run)
        .await
        .unwrap()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The docs' redis-py example (the first python block of docs/locks.md), on every node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_example_runs_against_every_node() {
    let doc = include_str!("../../docs/locks.md");
    let start = doc.find("```python\n").expect("a python example") + "```python\n".len();
    let code = &doc[start..start + doc[start..].find("```").expect("its end")];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locks_example.py");
    std::fs::write(&path, code).unwrap();
    let cluster = Cluster::start(3).await;
    for id in cluster.ids() {
        let port = cluster.port(id).to_string();
        let path = path.display().to_string();
        let run =
            tokio::task::spawn_blocking(move || python(&path, &[], &[("REDRAFT_PORT", port)]));
        let output = tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .unwrap()
            .unwrap();
        assert!(
            output.status.success(),
            "node {id}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
