//! Client-side caching (CLIENT TRACKING): invalidation frames against redis-server byte for
//! byte (the tracking client on a follower, the writer on the leader), a key tracked on one
//! node invalidated by a write through another, and redis-py's client-side cache (RESP3)
//! against every node of a three-node cluster.

use std::process::Command;
use std::time::Duration;

use redraft_tests::transcript::{self, Conn, Step};
use redraft_tests::Cluster;

/// Connections: a RESP3 tracking client, a writer, a RESP2 client that receives redirected
/// invalidations, a RESP2 client that redirects to it.
const TRACKER: usize = 0;
const WRITER: usize = 1;
const LISTENER: usize = 2;
const REDIRECTING: usize = 3;

const STEPS: &[Step] = &[
    Step(TRACKER, "CLIENT TRACKINGINFO", 1),
    Step(TRACKER, "CLIENT GETREDIR", 1),
    Step(TRACKER, "CLIENT TRACKING ON", 1),
    Step(TRACKER, "CLIENT TRACKINGINFO", 1),
    Step(TRACKER, "CLIENT GETREDIR", 1),
    Step(WRITER, "SET k 1", 1),
    Step(TRACKER, "GET k", 1),
    Step(WRITER, "SET k 2", 1),
    Step(TRACKER, "", 1),
    Step(WRITER, "SET k 3", 1),
    Step(TRACKER, "MGET k k2", 1),
    Step(WRITER, "SET k2 x", 1),
    Step(TRACKER, "", 1),
    Step(TRACKER, "HGET h f", 1),
    Step(WRITER, "HSET h f v", 1),
    Step(TRACKER, "", 1),
    Step(TRACKER, "ZUNION 2 z1 z2", 1),
    Step(WRITER, "ZADD z2 1 m", 1),
    Step(TRACKER, "", 1),
    Step(TRACKER, "CLIENT TRACKING ON BCAST", 1),
    Step(TRACKER, "CLIENT TRACKING OFF", 1),
    Step(
        TRACKER,
        "CLIENT TRACKING ON BCAST PREFIX user: PREFIX cart:",
        1,
    ),
    Step(TRACKER, "CLIENT TRACKINGINFO", 1),
    Step(WRITER, "SET user:1 a", 1),
    Step(TRACKER, "", 1),
    Step(WRITER, "SET other a", 1),
    Step(WRITER, "SET cart:9 b", 1),
    Step(TRACKER, "", 1),
    Step(WRITER, "FLUSHALL", 1),
    Step(TRACKER, "", 1),
    Step(TRACKER, "CLIENT TRACKING OFF", 1),
    Step(TRACKER, "CLIENT TRACKING ON OPTIN", 1),
    Step(TRACKER, "CLIENT CACHING NO", 1),
    Step(TRACKER, "GET a", 1),
    Step(WRITER, "SET a 1", 1),
    Step(TRACKER, "CLIENT CACHING YES", 1),
    Step(TRACKER, "CLIENT TRACKINGINFO", 1),
    Step(TRACKER, "CLIENT CACHING YES", 1),
    Step(TRACKER, "GET b", 1),
    Step(WRITER, "SET b 1", 1),
    Step(TRACKER, "", 1),
    Step(TRACKER, "CLIENT TRACKING ON OPTOUT", 1),
    Step(TRACKER, "CLIENT TRACKING OFF", 1),
    Step(TRACKER, "CLIENT TRACKING ON OPTIN OPTOUT", 1),
    Step(TRACKER, "CLIENT TRACKING ON BCAST OPTIN", 1),
    Step(TRACKER, "CLIENT TRACKING ON PREFIX x", 1),
    Step(TRACKER, "CLIENT TRACKING MAYBE", 1),
    Step(TRACKER, "CLIENT TRACKING ON REDIRECT 999999", 1),
    Step(TRACKER, "CLIENT TRACKING ON REDIRECT x", 1),
    Step(TRACKER, "CLIENT CACHING YES", 1),
    Step(TRACKER, "CLIENT CACHING MAYBE", 1),
    Step(LISTENER, "SUBSCRIBE __redis__:invalidate", 1),
    Step(REDIRECTING, "CLIENT TRACKING ON REDIRECT {id:2}", 1),
    Step(REDIRECTING, "GET r", 1),
    Step(WRITER, "SET r 1", 1),
    Step(LISTENER, "", 1),
];

async fn compare_with_redis(tracker: u16, writer: u16) {
    transcript::compare_with_redis(
        &[
            Conn::resp3(tracker),
            Conn::resp2(writer),
            Conn::resp2(tracker),
            Conn::resp2(tracker),
        ],
        STEPS,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracking_on_one_node_is_redis_byte_for_byte() {
    let cluster = Cluster::start(1).await;
    let port = cluster.port(cluster.ids()[0]);
    compare_with_redis(port, port).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_tracked_on_a_follower_is_invalidated_by_a_write_through_another_node() {
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    compare_with_redis(cluster.port(followers[0]), cluster.port(followers[1])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_py_client_side_caching_works_against_every_node() {
    let cluster = Cluster::start(3).await;
    let ids = cluster.ids();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/acceptance/client_cache.py");
    for (i, &id) in ids.iter().enumerate() {
        let port = cluster.port(id).to_string();
        let other = cluster.port(ids[(i + 1) % ids.len()]).to_string();
        let run = tokio::task::spawn_blocking(move || {
            Command::new("python3")
                .args([script, &port, &other])
                .output()
                .expect("python3 runs")
        });
        let output = tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .expect("the script ends within a minute")
            .unwrap();
        assert!(
            output.status.success(),
            "node {id}:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
