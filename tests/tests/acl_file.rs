//! The rest of ACL across a cluster: ACL LOAD on one node makes the file's users log in on
//! every node and ACL SAVE writes a file that loads back the same users; a script's commands
//! are checked against its client's user (Redis 7.0's bytes, compared with redis-server); a
//! deleted user's connections close on every node (the client on a follower).

use std::path::PathBuf;
use std::time::Duration;

use redraft_tests::transcript::{self, Conn, Step};
use redraft_tests::{Cluster, ClusterOptions, RawClient};

const WAIT: Duration = Duration::from_secs(10);

/// A fresh directory for this test's ACL file.
fn acl_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("redraft-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// Logs in as `user` on `port` once that node has applied the user.
async fn logged_in(port: u16, user: &str, password: &str) -> RawClient {
    redraft_tests::wait_for("a login", WAIT, || async {
        let mut client = RawClient::connect(port).await.map_err(|e| e.to_string())?;
        client.set_reply_timeout(WAIT);
        let auth = client.call(&["AUTH", user, password]).await;
        match auth.map_err(|e| e.to_string())?.as_slice() {
            b"+OK\r\n" => Ok(client),
            other => Err(String::from_utf8_lossy(other).into_owned()),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_load_on_one_node_logs_users_in_everywhere_and_acl_save_loads_back() {
    let dir = acl_dir("aclfile");
    let file = dir.join("users.acl");
    std::fs::write(&file, "user default on nopass ~* &* +@all\n").unwrap();
    let options = ClusterOptions::default().args(&["--aclfile", file.to_str().unwrap()]);
    let cluster = Cluster::start_with(3, options).await;
    let follower = cluster.followers().await[0];
    let mut admin = cluster.raw(follower).await;
    let shown = admin.call(&["CONFIG", "GET", "aclfile"]).await.unwrap();
    let path = file.to_str().unwrap();
    let expected = format!("*2\r\n$7\r\naclfile\r\n${}\r\n{path}\r\n", path.len());
    assert_eq!(String::from_utf8_lossy(&shown), expected);

    std::fs::write(
        &file,
        "user alice on >pw ~a* +get\nuser default on nopass ~* &* +@all\n",
    )
    .unwrap();
    assert_eq!(admin.call(&["ACL", "LOAD"]).await.unwrap(), b"+OK\r\n");
    for id in cluster.ids() {
        let mut alice = logged_in(cluster.port(id), "alice", "pw").await;
        let refused = alice.call(&["GET", "b"]).await.unwrap();
        let noperm =
            "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n";
        assert_eq!(String::from_utf8_lossy(&refused), noperm);
    }

    let listed = admin.call(&["ACL", "LIST"]).await.unwrap();
    let mut leader = cluster.raw(cluster.leader().await).await;
    assert_eq!(leader.call(&["ACL", "SAVE"]).await.unwrap(), b"+OK\r\n");
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(
        saved.starts_with("user alice on #") && saved.ends_with("+@all\n"),
        "{saved}"
    );
    let set = admin.call(&["ACL", "SETUSER", "bob", "on"]).await.unwrap();
    assert_eq!(set, b"+OK\r\n");
    assert_ne!(admin.call(&["ACL", "LIST"]).await.unwrap(), listed);
    assert_eq!(admin.call(&["ACL", "LOAD"]).await.unwrap(), b"+OK\r\n");
    assert_eq!(admin.call(&["ACL", "LIST"]).await.unwrap(), listed);

    // A wrong file changes nothing, with Redis's account of it.
    std::fs::write(&file, "user carol on\nuser dave bogus\n").unwrap();
    let refused = admin.call(&["ACL", "LOAD"]).await.unwrap();
    let expected = format!(
        "-ERR {path}:2: Syntax error. WARNING: ACL errors detected, no change to the \
         previously active ACL rules was performed\r\n"
    );
    assert_eq!(String::from_utf8_lossy(&refused), expected);
    assert_eq!(admin.call(&["ACL", "LIST"]).await.unwrap(), listed);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_acl_file_load_and_save_answer_as_redis_does() {
    let cluster = Cluster::start(1).await;
    let port = cluster.port(cluster.ids()[0]);
    let steps = [Step(0, "ACL LOAD", 1), Step(0, "ACL SAVE", 1)];
    transcript::compare_with_redis(&[Conn::resp2(port)], &steps).await;
}

/// A script's commands as the calling user may run them (no spaces: the transcript splits
/// at spaces).
const SCRIPT_STEPS: &[Step] = &[
    Step(
        0,
        "ACL SETUSER u on >p +eval +evalsha +get +publish +multi +exec ~k* &ch*",
        1,
    ),
    Step(1, "AUTH u p", 1),
    Step(1, "EVAL redis.call('set','k1','v') 0", 1),
    Step(1, "EVAL return(redis.pcall('set','k1','v')) 0", 1),
    Step(1, "EVAL redis.call('get','x1') 0", 1),
    Step(1, "EVAL return(redis.pcall('get','x1')) 0", 1),
    Step(1, "EVAL return(redis.call('get','k1')) 0", 1),
    Step(1, "EVAL redis.call('publish','x','m') 0", 1),
    Step(1, "EVAL return(redis.acl_check_cmd('get','x1')) 0", 1),
    Step(1, "EVAL return(redis.acl_check_cmd('get','k1')) 0", 1),
    Step(1, "MULTI", 1),
    Step(1, "EVAL return(redis.pcall('get','x2')) 0", 1),
    Step(1, "EXEC", 1),
    Step(0, "ACL SETUSER u -eval", 1),
    Step(1, "EVAL return(1) 0", 1),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripts_commands_are_checked_against_its_user_as_redis_checks_them() {
    let cluster = Cluster::start(1).await;
    let port = cluster.port(cluster.ids()[0]);
    transcript::compare_with_redis(&[Conn::resp2(port), Conn::resp2(port)], SCRIPT_STEPS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_users_connections_close_on_a_follower() {
    let cluster = Cluster::start(3).await;
    let leader = cluster.leader().await;
    let follower = cluster.port(cluster.followers().await[0]);
    let mut admin = cluster.raw(leader).await;
    for user in ["carol", "dave"] {
        let rules = ["ACL", "SETUSER", user, "on", ">pw", "+@all", "~*", "&*"];
        assert_eq!(admin.call(&rules).await.unwrap(), b"+OK\r\n");
    }
    let minus_set = admin
        .call(&["ACL", "SETUSER", "carol", "-set"])
        .await
        .unwrap();
    assert_eq!(minus_set, b"+OK\r\n");
    let mut carol = logged_in(follower, "carol", "pw").await;
    // The follower forwards the script; the log carries it as carol's.
    let script = carol
        .call(&["EVAL", "return redis.pcall('set','k','v')", "0"])
        .await
        .unwrap();
    let refused = "-ERR The user executing the script can't run this command or subcommand\r\n";
    assert_eq!(String::from_utf8_lossy(&script), refused);
    let mut dave = logged_in(follower, "dave", "pw").await;
    let subscribed = dave.call(&["SUBSCRIBE", "news"]).await.unwrap();
    assert!(subscribed.starts_with(b"*3\r\n$9\r\nsubscribe"));
    let mut other = logged_in(follower, "default", "x").await;

    let deleted = admin
        .call(&["ACL", "DELUSER", "carol", "dave"])
        .await
        .unwrap();
    assert_eq!(deleted, b":2\r\n");
    // The subscriber, which sends nothing, is closed at once.
    assert_eq!(dave.closed_within(WAIT).await, Ok(true));
    // An idle connection is closed at once too, without waiting for its next command.
    assert_eq!(carol.closed_within(WAIT).await, Ok(true));
    assert_eq!(other.call(&["PING"]).await.unwrap(), b"+PONG\r\n");
}
