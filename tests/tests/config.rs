//! CONFIG as operators use it: GET and SET against redis-server 7.0 over the parameters both
//! have (replies and errors byte for byte; CONFIG GET's pairs in name order, Redis answering in
//! its hash table's), the replicated ones alike on every node, maxclients and timeout live on
//! the node, and the config file with its environment variables and CONFIG REWRITE.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redraft_tests::binary::redraft_bin;
use redraft_tests::cluster::Cluster;
use redraft_tests::ports::free_port;
use redraft_tests::process::kill_and_reap;
use redraft_tests::raw::{show, RawClient};
use redraft_tests::reference::RedisServer;

/// CONFIG SET and GET lines sent to both servers, in order (each a line split at spaces; `''`
/// is an empty argument, `_` a space inside one).
const SCRIPT: &[&str] = &[
    "CONFIG SET maxclients abc",
    "CONFIG SET maxclients 0",
    "CONFIG SET maxclients 4294967296",
    "CONFIG SET maxclients 500",
    "CONFIG SET timeout -1",
    "CONFIG SET timeout 1.5",
    "CONFIG SET timeout 100",
    "CONFIG SET tcp-keepalive -1",
    "CONFIG SET tcp-keepalive 5gb",
    "CONFIG SET tcp-keepalive 60",
    "CONFIG SET proto-max-bulk-len 1kb",
    "CONFIG SET proto-max-bulk-len 2mb",
    "CONFIG SET client-query-buffer-limit 10",
    "CONFIG SET client-query-buffer-limit 1gb",
    "CONFIG GET maxclients timeout tcp-keepalive proto-max-bulk-len client-query-buffer-limit",
    "CONFIG SET daemonize yes",
    "CONFIG SET io-threads 4",
    "CONFIG SET databases 4",
    "CONFIG SET dir /x",
    "CONFIG SET dbfilename a",
    "CONFIG SET nope 1",
    "CONFIG SET maxclients 10 nope",
    "CONFIG SET maxclients x nope 1",
    "CONFIG SET maxclients x daemonize yes",
    "CONFIG SET timeout 1 maxclients 1 timeout 2",
    "CONFIG SET maxclients 10 timeout x",
    "CONFIG GET maxclients",
    "CONFIG SET activerehashing 1",
    "CONFIG SET activerehashing NO",
    "CONFIG SET loglevel foo",
    "CONFIG SET loglevel WARNING",
    "CONFIG SET appendonly maybe",
    "CONFIG SET appendonly no",
    "CONFIG SET save 100_x",
    "CONFIG SET save 0_1",
    "CONFIG SET save 01_1_300_0",
    "CONFIG GET save appendonly activerehashing loglevel",
    "CONFIG SET client-output-buffer-limit normal_1_2",
    "CONFIG SET client-output-buffer-limit foo_1_2_3",
    "CONFIG SET client-output-buffer-limit pubsub_1_1_-1",
    "CONFIG SET client-output-buffer-limit NORMAL_1kb_2k_3_replica_1_1_1",
    "CONFIG GET client-output-buffer-limit",
    "CONFIG SET hz -1",
    "CONFIG SET hz 1000",
    "CONFIG GET hz dynamic-hz",
    "CONFIG SET lua-time-limit 100",
    "CONFIG GET busy-reply-threshold lua-time-limit",
    "CONFIG SET replica-read-only no slave-priority 5",
    "CONFIG GET *read-only *priority",
    "CONFIG SET lazyfree-lazy-user-del yes",
    "CONFIG GET lazyfree-*",
    "CONFIG SET slowlog-max-len 1kb",
    "CONFIG SET slowlog-max-len 50 slowlog-log-slower-than 5",
    "CONFIG GET slowlog-*",
    "CONFIG SET list-max-listpack-size -5 list-compress-depth 2",
    "CONFIG SET list-compress-depth -1",
    "CONFIG SET stream-node-max-bytes abc",
    "CONFIG SET stream-node-max-bytes 1gb stream-node-max-entries 7",
    "CONFIG SET stream-node-max-entries -1",
    "CONFIG SET hll-sparse-max-bytes -1",
    "CONFIG SET hll-sparse-max-bytes 1KB",
    "CONFIG SET hash-max-listpack-value 1kb hash-max-ziplist-entries 64",
    "CONFIG SET set-max-intset-entries -5",
    "CONFIG SET zset-max-listpack-entries 1kb",
    "CONFIG GET list-* stream-* hll-* hash-* set-max-* zset-*",
    "CONFIG SET timeout 5 zset-max-listpack-entries 64 notify-keyspace-events KEA",
    "CONFIG GET timeout zset-max-listpack-entries notify-keyspace-events",
    "CONFIG GET nosuch",
    "CONFIG GET",
    "CONFIG SET timeout",
];

fn words(line: &str) -> Vec<String> {
    line.split(' ')
        .map(|word| match word {
            "''" => String::new(),
            word => word.replace('_', " "),
        })
        .collect()
}

fn text(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply).into_owned()
}

/// A CONFIG GET reply with its pairs in name order; any other reply as it is.
fn normalized(line: &str, reply: &[u8]) -> String {
    let text = show(reply);
    if !line.starts_with("CONFIG GET") || !reply.starts_with(b"*") {
        return text;
    }
    let mut lines: Vec<&[u8]> = reply.split(|&b| b == b'\n').skip(1).collect();
    lines.retain(|line| !line.is_empty());
    let items: Vec<&[u8]> = lines.chunks(2).map(|pair| pair[1]).collect();
    let mut pairs: Vec<(&[u8], &[u8])> = items.chunks(2).map(|pair| (pair[0], pair[1])).collect();
    pairs.sort();
    format!("{} pairs: {pairs:?}", pairs.len()).replace("\\r", "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_get_and_set_answer_as_redis_7_0_and_replicated_values_reach_every_node() {
    let redis = RedisServer::start().await;
    let cluster = Cluster::start(3).await;
    let leader = cluster.leader().await;
    let follower = cluster.followers().await[0];
    let mut theirs = redis.raw().await;
    let mut ours = cluster.raw(follower).await;
    let mut differences = Vec::new();
    for line in SCRIPT {
        let args = words(line);
        let expected = normalized(line, &theirs.call(&args).await.expect("redis-server"));
        let got = normalized(line, &ours.call(&args).await.expect("redraft"));
        if expected != got {
            differences.push(format!("{line}\n  redis:   {expected}\n  redraft: {got}"));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    // The replicated parameters set on the follower show on every node; its own do not.
    let get = [
        "CONFIG",
        "GET",
        "zset-max-listpack-entries",
        "hll-sparse-max-bytes",
        "timeout",
    ];
    let on_follower = text(&ours.call(&get).await.expect("follower"));
    cluster.wait_applied_equal().await;
    let on_leader = text(&cluster.raw(leader).await.call(&get).await.expect("leader"));
    assert!(on_follower.contains("timeout\r\n$1\r\n5"), "{on_follower}");
    assert!(
        on_leader.contains("zset-max-listpack-entries\r\n$2\r\n64"),
        "{on_leader}"
    );
    assert!(
        on_leader.contains("hll-sparse-max-bytes\r\n$4\r\n1024"),
        "{on_leader}"
    );
    assert!(on_leader.contains("timeout\r\n$1\r\n0"), "{on_leader}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maxclients_and_timeout_change_the_running_node() {
    let cluster = Cluster::start(1).await;
    let mut admin = cluster.raw(1).await;
    assert_eq!(
        admin
            .call(&["CONFIG", "SET", "maxclients", "2"])
            .await
            .unwrap(),
        b"+OK\r\n"
    );
    // The harness's own connections (finding the leader) may still be closing: wait until
    // the admin connection is the node's only one, so that exactly one more fits.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let info = text(&admin.call(&["INFO", "clients"]).await.unwrap());
        if info.contains("connected_clients:1\r\n") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{info}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut second = cluster.raw(1).await;
    assert_eq!(second.call(&["PING"]).await.unwrap(), b"+PONG\r\n");
    let mut third = cluster.raw(1).await;
    let refused = third.read_reply().await.unwrap_or_default();
    assert_eq!(text(&refused), "-ERR max number of clients reached\r\n");
    drop(third);
    assert_eq!(
        admin
            .call(&["CONFIG", "SET", "maxclients", "10"])
            .await
            .unwrap(),
        b"+OK\r\n"
    );
    let mut fourth = cluster.raw(1).await;
    assert_eq!(fourth.call(&["PING"]).await.unwrap(), b"+PONG\r\n");

    // An idle client is closed after `timeout` seconds; a subscriber is not.
    let mut subscriber = cluster.raw(1).await;
    let subscribed = subscriber.call(&["SUBSCRIBE", "news"]).await.unwrap();
    assert!(
        show(&subscribed).contains("subscribe"),
        "{}",
        show(&subscribed)
    );
    assert_eq!(
        admin
            .call(&["CONFIG", "SET", "timeout", "1"])
            .await
            .unwrap(),
        b"+OK\r\n"
    );
    let idle = cluster.raw(1).await;
    let started = Instant::now();
    let mut idle = idle;
    assert_eq!(idle.closed_within(Duration::from_secs(5)).await, Ok(true));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        subscriber.closed_within(Duration::from_millis(1500)).await,
        Ok(false)
    );
}

/// A node started from a config file, on its own ports and directory.
struct FileNode {
    child: Child,
    port: u16,
}

impl FileNode {
    async fn start(config: &Path, env: &[(&str, &str)], port: u16) -> FileNode {
        let log = std::fs::File::create(config.with_extension("log")).expect("log file");
        let child = Command::new(redraft_bin())
            .arg("--config")
            .arg(config)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn redraft");
        let node = FileNode { child, port };
        redraft_tests::wait_for("the node to serve", Duration::from_secs(20), || async {
            let mut client = RawClient::connect(port).await.map_err(|e| e.to_string())?;
            let reply = client
                .call(&["SET", "up", "1"])
                .await
                .map_err(|e| e.to_string())?;
            match reply.as_slice() {
                b"+OK\r\n" => Ok(()),
                other => Err(show(other)),
            }
        })
        .await;
        node
    }

    async fn get(&self, name: &str) -> String {
        let mut client = RawClient::connect(self.port).await.expect("connect");
        text(
            &client
                .call(&["CONFIG", "GET", name])
                .await
                .expect("CONFIG GET"),
        )
    }
}

impl Drop for FileNode {
    fn drop(&mut self) {
        kill_and_reap(&mut self.child);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_file_sets_flags_and_parameters_below_the_environment_and_rewrite_keeps_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (port, raft_port) = (free_port(), free_port());
    let config = tmp.path().join("redraft.conf");
    let text = format!(
        "# my node\nport {port}\nraft-addr 127.0.0.1:{raft_port}\ndir {}\n\
         maxclients 77\ntimeout 30\nslowlog-max-len 5\nhash-max-listpack-entries 9\n",
        tmp.path().join("data").display()
    );
    std::fs::write(&config, &text).expect("write the config file");
    let node = FileNode::start(&config, &[("REDRAFT_MAX_CLIENTS", "88")], port).await;
    let maxclients = node.get("maxclients").await;
    assert!(
        maxclients.ends_with("$2\r\n88\r\n"),
        "the environment wins: {maxclients:?}"
    );
    assert!(node.get("timeout").await.ends_with("$2\r\n30\r\n"));
    assert!(node.get("slowlog-max-len").await.ends_with("$1\r\n5\r\n"));
    redraft_tests::wait_for(
        "the file's replicated value",
        Duration::from_secs(10),
        || async {
            let shown = node.get("hash-max-listpack-entries").await;
            shown.ends_with("$1\r\n9\r\n").then_some(()).ok_or(shown)
        },
    )
    .await;
    let mut client = RawClient::connect(port).await.expect("connect");
    let server = client.call(&["INFO", "server"]).await.unwrap();
    let config_file = format!("config_file:{}\r\n", config.display());
    assert!(
        String::from_utf8_lossy(&server).contains(&config_file),
        "INFO names the file: {}",
        String::from_utf8_lossy(&server)
    );
    let set = ["CONFIG", "SET", "timeout", "45", "save", "100 1"];
    assert_eq!(client.call(&set).await.unwrap(), b"+OK\r\n");
    assert_eq!(
        client.call(&["CONFIG", "REWRITE"]).await.unwrap(),
        b"+OK\r\n"
    );
    let rewritten = std::fs::read_to_string(&config).expect("read the rewritten file");
    assert!(rewritten.starts_with("# my node\n"), "{rewritten}");
    assert!(
        rewritten.contains("\ntimeout 45\n") && !rewritten.contains("timeout 30"),
        "{rewritten}"
    );
    assert!(rewritten.contains("\nsave \"100 1\"\n"), "{rewritten}");
    assert!(
        rewritten.contains(&format!("\nraft-addr 127.0.0.1:{raft_port}\n")),
        "{rewritten}"
    );
    drop(client);
    drop(node);
    // Restarted without the variable: the rewritten file's values.
    let node = FileNode::start(&config, &[], port).await;
    assert!(node.get("timeout").await.ends_with("$2\r\n45\r\n"));
    assert!(node.get("save").await.ends_with("$5\r\n100 1\r\n"));
    assert!(
        node.get("maxclients").await.ends_with("$2\r\n88\r\n"),
        "REWRITE wrote the live value"
    );
}

#[test]
fn a_bad_config_file_stops_the_node_naming_the_file_and_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("bad.conf");
    std::fs::write(&config, "port 6399\ntimeout forever\n").expect("write");
    let out = Command::new(redraft_bin())
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run redraft");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("*** FATAL CONFIG FILE ERROR ***"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{}, at line 2", config.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("argument couldn't be parsed into an integer"),
        "{stderr}"
    );
}

/// proto-max-bulk-len acts from the next request of every connection, as Redis's does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proto_max_bulk_len_changes_what_the_running_node_accepts() {
    let cluster = Cluster::start(1).await;
    let mut admin = cluster.raw(1).await;
    let set = ["CONFIG", "SET", "proto-max-bulk-len", "1mb"];
    assert_eq!(admin.call(&set).await.unwrap(), b"+OK\r\n");
    let mut big = cluster.raw(1).await;
    big.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n")
        .await
        .unwrap();
    assert_eq!(
        text(&big.read_reply().await.unwrap_or_default()),
        "-ERR Protocol error: invalid bulk length\r\n"
    );
    let set = ["CONFIG", "SET", "proto-max-bulk-len", "4mb"];
    assert_eq!(admin.call(&set).await.unwrap(), b"+OK\r\n");
    let value = "v".repeat(2_000_000);
    let mut fits = cluster.raw(1).await;
    assert_eq!(fits.call(&["SET", "k", &value]).await.unwrap(), b"+OK\r\n");
}
