//! A node whose Raft stops on a fatal error must exit (so a supervisor restarts it), not
//! linger answering INFO while the cluster silently runs one node short.

use std::time::Duration;

use redraft_tests::cluster::Cluster;
use redraft_tests::nemesis::{tear_log_tail, Tear};

/// The fatal error is provoked by chopping acknowledged entries off a follower's log: when the
/// follower comes back, its log has gone backwards, which openraft treats as a broken invariant
/// (an assertion in debug builds, which is what the suite runs).
#[cfg(debug_assertions)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_whose_raft_fails_exits_instead_of_lingering() {
    let cluster = Cluster::start(3).await;
    let leader = cluster.leader().await;
    let follower = cluster.followers().await[0];
    let mut conn = cluster.conn(leader).await;
    for i in 0..20 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(i)
            .query_async(&mut conn)
            .await
            .expect("SET on a healthy cluster");
    }
    cluster.wait_applied_equal().await;
    cluster.kill(follower);
    let torn = tear_log_tail(cluster.data_dir(follower), &Tear::ChopWritten(200));
    torn.expect("the follower has a log to chop");
    cluster.restart(follower);
    let status = cluster.wait_exit(leader, Duration::from_secs(20)).await;
    let status = status.unwrap_or_else(|| {
        cluster.dump_logs();
        panic!("the leader kept running after its Raft failed")
    });
    assert!(
        !status.success(),
        "a fatal Raft error is a failed exit: {status}"
    );
    assert!(
        cluster.log_tail(leader, 20).contains("raft failed"),
        "the leader says why it exits:\n{}",
        cluster.log_tail(leader, 20)
    );
}
