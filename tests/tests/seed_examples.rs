//! The acceptance script of the usage patterns our users come for (tests/acceptance/
//! seed_examples.py, redis-py), run against every node of a three-node cluster.

use std::process::Command;
use std::time::Duration;

use redraft_tests::Cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_examples_pass_against_every_node_of_a_cluster() {
    let cluster = Cluster::start(3).await;
    cluster.wait_leader(Duration::from_secs(10)).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/acceptance/seed_examples.py");
    for id in cluster.ids() {
        let port = cluster.port(id).to_string();
        let run = tokio::task::spawn_blocking(move || {
            Command::new("python3")
                .args([script, "127.0.0.1", &port])
                .output()
                .expect("python3 runs")
        });
        let output = tokio::time::timeout(Duration::from_secs(120), run)
            .await
            .expect("the script ends within two minutes")
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "node {id}:\n{text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(text.contains(" 0 failed"), "node {id}:\n{text}");
    }
}
