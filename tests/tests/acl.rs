//! AUTH and ACL against redis-server byte for byte (the user created through one node and
//! logging in on another), and requirepass: a new connection must authenticate on every node.

use std::time::Duration;

use redraft_tests::transcript::{self, Conn, Step};
use redraft_tests::{Cluster, RawClient};

const ADMIN: usize = 0;
const USER: usize = 1;

const STEPS: &[Step] = &[
    Step(USER, "AUTH x", 1),
    Step(ADMIN, "ACL SETUSER u on >p +get +@hash ~k* &news", 1),
    Step(ADMIN, "ACL SETUSER u bogus", 1),
    Step(ADMIN, "ACL GETUSER u", 1),
    Step(ADMIN, "ACL GETUSER nobody", 1),
    Step(ADMIN, "ACL LIST", 1),
    Step(ADMIN, "ACL USERS", 1),
    Step(ADMIN, "ACL DRYRUN u GET x", 1),
    Step(ADMIN, "ACL DRYRUN u GET k1", 1),
    Step(USER, "AUTH u bad", 1),
    Step(USER, "AUTH a b c", 1),
    Step(USER, "AUTH u p", 1),
    Step(USER, "GET k1", 1),
    Step(USER, "GET x", 1),
    Step(USER, "HSET k1 f v", 1),
    Step(USER, "HSET x f v", 1),
    Step(USER, "SET k1 v", 1),
    Step(USER, "MGET k1 x", 1),
    Step(USER, "PING", 1),
    Step(USER, "ACL WHOAMI", 1),
    Step(USER, "MULTI", 1),
    Step(USER, "GET k1", 1),
    Step(USER, "AUTH default anything", 1),
    Step(USER, "GET x", 1),
    Step(ADMIN, "ACL DELUSER u nobody", 1),
    Step(ADMIN, "ACL DELUSER default", 1),
    Step(ADMIN, "ACL USERS", 1),
];

async fn compare_with_redis(admin: u16, user: u16) {
    transcript::compare_with_redis(&[Conn::resp2(admin), Conn::resp2(user)], STEPS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_on_one_node_is_redis_byte_for_byte() {
    let cluster = Cluster::start(1).await;
    let port = cluster.port(cluster.ids()[0]);
    compare_with_redis(port, port).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_created_through_one_node_logs_in_on_another() {
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    compare_with_redis(
        cluster.port(cluster.leader().await),
        cluster.port(followers[0]),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requirepass_makes_new_connections_authenticate_on_every_node() {
    let cluster = Cluster::start(3).await;
    let ids = cluster.ids();
    let mut admin = cluster.raw(ids[0]).await;
    let set = admin
        .call(&["CONFIG", "SET", "requirepass", "s3cret"])
        .await
        .unwrap();
    assert_eq!(set, b"+OK\r\n");
    // Already connected clients stay authenticated, as in Redis.
    assert_eq!(admin.call(&["PING"]).await.unwrap(), b"+PONG\r\n");
    for id in ids {
        // Each node learns the new password when it applies the entry.
        let port = cluster.port(id);
        let mut client = redraft_tests::wait_for("NOAUTH", Duration::from_secs(10), || async {
            let mut client = RawClient::connect(port).await.map_err(|e| e.to_string())?;
            client.set_reply_timeout(Duration::from_secs(10));
            let refused = client
                .call(&["GET", "k"])
                .await
                .map_err(|e| e.to_string())?;
            match refused.as_slice() {
                b"-NOAUTH Authentication required.\r\n" => Ok(client),
                other => Err(String::from_utf8_lossy(other).into_owned()),
            }
        })
        .await;
        let wrong = client.call(&["AUTH", "guess"]).await.unwrap();
        assert!(wrong.starts_with(b"-WRONGPASS"));
        let hello = client
            .call(&["HELLO", "3", "AUTH", "default", "s3cret"])
            .await
            .unwrap();
        assert!(
            hello.starts_with(b"%7\r\n"),
            "{}",
            String::from_utf8_lossy(&hello)
        );
        assert_eq!(client.call(&["PING"]).await.unwrap(), b"+PONG\r\n");
    }
    let log = admin.call(&["ACL", "LOG", "1"]).await.unwrap();
    assert!(
        String::from_utf8_lossy(&log).contains("auth"),
        "{}",
        String::from_utf8_lossy(&log)
    );
    // The container probe authenticates when given the password, and fails without it.
    let probe = |password: Option<&str>| {
        let mut command = std::process::Command::new(redraft_tests::binary::redraft_bin());
        command.args([
            "--health",
            "--port",
            &cluster.port(cluster.ids()[0]).to_string(),
        ]);
        command.env_remove("REDRAFT_HEALTH_PASSWORD");
        if let Some(password) = password {
            command.env("REDRAFT_HEALTH_PASSWORD", password);
        }
        command.output().expect("run the probe").status.success()
    };
    assert!(probe(Some("s3cret")));
    assert!(!probe(None));
    assert!(!probe(Some("wrong")));
    // Removing the password lets a connection that never authenticated run as the default
    // user, as Redis decides it at each command.
    let mut waiting = RawClient::connect(cluster.port(cluster.ids()[0]))
        .await
        .unwrap();
    assert!(waiting
        .call(&["PING"])
        .await
        .unwrap()
        .starts_with(b"-NOAUTH"));
    let cleared = admin
        .call(&["CONFIG", "SET", "requirepass", ""])
        .await
        .unwrap();
    assert_eq!(cleared, b"+OK\r\n");
    // The node learns it when it applies the entry (a follower just after the leader).
    for _ in 0..100 {
        if waiting.call(&["PING"]).await.unwrap() == b"+PONG\r\n" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the connection still needs to authenticate");
}
