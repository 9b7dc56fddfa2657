//! The node's connections and server commands on a real cluster: CLIENT LIST and KILL over
//! every connection of a node, CLIENT PAUSE, CLIENT REPLY, RESET, ROLE on the leader and a
//! follower, MONITOR's lines.

use std::time::{Duration, Instant};

use redraft_tests::raw::show;
use redraft_tests::{Cluster, RawClient};

/// The fields of a CLIENT LIST line, in Redis 7.0's order (7.2's lib-name and lib-ver last).
const FIELDS: &str = "id addr laddr fd name age idle flags db sub psub ssub multi qbuf \
                      qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd \
                      user redir resp lib-name lib-ver";

fn text(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply).into_owned()
}

/// The lines of a CLIENT LIST reply (a bulk string).
fn lines(reply: &[u8]) -> Vec<String> {
    let body = text(reply);
    let body = body.split_once("\r\n").map_or("", |(_, rest)| rest);
    body.trim_end_matches("\r\n")
        .lines()
        .map(str::to_string)
        .collect()
}

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    line.split(' ')
        .find_map(|f| f.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

async fn client_id(client: &mut RawClient) -> String {
    let reply = text(&client.call(&["CLIENT", "ID"]).await.unwrap());
    reply.trim_start_matches(':').trim_end().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_list_shows_every_connection_of_the_node_with_redis_fields_in_order() {
    let cluster = Cluster::start(3).await;
    let node = cluster.leader().await;
    let port = cluster.port(node);
    let mut a = RawClient::connect(port).await.unwrap();
    let mut b = RawClient::connect(port).await.unwrap();
    assert_eq!(
        a.call(&["CLIENT", "SETNAME", "first"]).await.unwrap(),
        b"+OK\r\n"
    );
    assert_eq!(b.call(&["SELECT", "3"]).await.unwrap(), b"+OK\r\n");
    assert_eq!(b.call(&["SUBSCRIBE", "news"]).await.unwrap().len(), 33);
    let (a_id, listing) = (
        client_id(&mut a).await,
        a.call(&["CLIENT", "LIST"]).await.unwrap(),
    );
    let all = lines(&listing);
    assert!(all.len() >= 2, "{}", show(&listing));
    for line in &all {
        let names: Vec<&str> = line
            .split(' ')
            .map(|f| f.split('=').next().unwrap())
            .collect();
        assert_eq!(
            names.join(" "),
            FIELDS.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        assert_eq!(field(line, "laddr"), format!("127.0.0.1:{port}"));
    }
    let mine = all
        .iter()
        .find(|l| field(l, "id") == a_id)
        .expect("own line");
    assert_eq!(field(mine, "name"), "first");
    assert_eq!(field(mine, "cmd"), "client|list");
    assert_eq!(field(mine, "flags"), "N");
    let subscriber = all
        .iter()
        .find(|l| field(l, "name").is_empty() && field(l, "db") == "3");
    let subscriber = subscriber.expect("the subscriber's line");
    assert_eq!(field(subscriber, "flags"), "P");
    assert_eq!(field(subscriber, "sub"), "1");
    assert_eq!(field(subscriber, "cmd"), "subscribe");
    // TYPE and ID filters; CLIENT INFO is the caller's line.
    let pubsub = lines(&a.call(&["CLIENT", "LIST", "TYPE", "pubsub"]).await.unwrap());
    assert_eq!(pubsub.len(), 1);
    let by_id = lines(&a.call(&["CLIENT", "LIST", "ID", &a_id, "0"]).await.unwrap());
    assert_eq!(by_id.len(), 1);
    assert_eq!(field(&by_id[0], "id"), a_id);
    let info = lines(&a.call(&["CLIENT", "INFO"]).await.unwrap());
    assert_eq!(field(&info[0], "cmd"), "client|info");
    assert_eq!(
        a.call(&["CLIENT", "LIST", "TYPE", "nope"]).await.unwrap(),
        b"-ERR Unknown client type 'nope'\r\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_kill_closes_the_connections_each_filter_names() {
    let cluster = Cluster::start(3).await;
    let node = cluster.followers().await[0];
    let port = cluster.port(node);
    let mut admin = RawClient::connect(port).await.unwrap();
    assert_eq!(
        admin
            .call(&["ACL", "SETUSER", "worker", "on", "nopass", "+@all", "~*"])
            .await
            .unwrap(),
        b"+OK\r\n"
    );
    // Old form: by address, +OK, then an error for an address nobody has.
    let mut victim = RawClient::connect(port).await.unwrap();
    let info = lines(&victim.call(&["CLIENT", "INFO"]).await.unwrap());
    let addr = field(&info[0], "addr").to_string();
    assert_eq!(
        admin.call(&["CLIENT", "KILL", &addr]).await.unwrap(),
        b"+OK\r\n"
    );
    assert_eq!(victim.closed_within(Duration::from_secs(5)).await, Ok(true));
    assert_eq!(
        admin.call(&["CLIENT", "KILL", &addr]).await.unwrap(),
        b"-ERR No such client\r\n"
    );
    // New form: ID, ADDR, LADDR (with SKIPME no, the caller too), USER, TYPE, MAXAGE.
    let mut victim = RawClient::connect(port).await.unwrap();
    let id = client_id(&mut victim).await;
    assert_eq!(
        admin.call(&["CLIENT", "KILL", "ID", &id]).await.unwrap(),
        b":1\r\n"
    );
    assert_eq!(victim.closed_within(Duration::from_secs(5)).await, Ok(true));
    assert_eq!(
        admin.call(&["CLIENT", "KILL", "ID", &id]).await.unwrap(),
        b":0\r\n"
    );

    let mut victim = RawClient::connect(port).await.unwrap();
    let info = lines(&victim.call(&["CLIENT", "INFO"]).await.unwrap());
    let addr = field(&info[0], "addr").to_string();
    assert_eq!(
        admin
            .call(&["CLIENT", "KILL", "ADDR", &addr])
            .await
            .unwrap(),
        b":1\r\n"
    );
    assert_eq!(victim.closed_within(Duration::from_secs(5)).await, Ok(true));

    let mut victim = RawClient::connect(port).await.unwrap();
    assert_eq!(
        victim.call(&["AUTH", "worker", "x"]).await.unwrap(),
        b"+OK\r\n"
    );
    assert_eq!(
        admin
            .call(&["CLIENT", "KILL", "USER", "worker"])
            .await
            .unwrap(),
        b":1\r\n"
    );
    assert_eq!(victim.closed_within(Duration::from_secs(5)).await, Ok(true));
    assert_eq!(
        admin
            .call(&["CLIENT", "KILL", "USER", "nobody"])
            .await
            .unwrap(),
        b"-ERR No such user 'nobody'\r\n"
    );

    let mut victim = RawClient::connect(port).await.unwrap();
    assert_eq!(victim.call(&["SUBSCRIBE", "c"]).await.unwrap().len(), 30);
    assert_eq!(
        admin
            .call(&["CLIENT", "KILL", "TYPE", "pubsub"])
            .await
            .unwrap(),
        b":1\r\n"
    );
    assert_eq!(victim.closed_within(Duration::from_secs(5)).await, Ok(true));

    let mut old = RawClient::connect(port).await.unwrap();
    assert_eq!(old.call(&["PING"]).await.unwrap(), b"+PONG\r\n");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let mut young = RawClient::connect(port).await.unwrap();
    assert_eq!(young.call(&["PING"]).await.unwrap(), b"+PONG\r\n");
    let killed = text(
        &admin
            .call(&["CLIENT", "KILL", "MAXAGE", "2"])
            .await
            .unwrap(),
    );
    assert_eq!(
        killed, ":1\r\n",
        "only the old connection (the caller is skipped)"
    );
    assert_eq!(old.closed_within(Duration::from_secs(5)).await, Ok(true));
    assert_eq!(young.call(&["PING"]).await.unwrap(), b"+PONG\r\n");

    // LADDR names every connection to this port; SKIPME no includes the caller, which gets
    // its answer before it is closed.
    let laddr = format!("127.0.0.1:{port}");
    let reply = admin
        .call(&["CLIENT", "KILL", "LADDR", &laddr, "SKIPME", "no"])
        .await
        .unwrap();
    assert_eq!(reply, b":2\r\n");
    assert_eq!(young.closed_within(Duration::from_secs(5)).await, Ok(true));
    assert_eq!(admin.closed_within(Duration::from_secs(5)).await, Ok(true));
    // A connection killed while it waits in BLPOP closes too.
    let mut waiter = RawClient::connect(port).await.unwrap();
    let id = client_id(&mut waiter).await;
    waiter
        .send(&redraft_tests::command_bytes(&["BLPOP", "nothing", "0"]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut admin = RawClient::connect(port).await.unwrap();
    assert_eq!(
        admin.call(&["CLIENT", "KILL", "ID", &id]).await.unwrap(),
        b":1\r\n"
    );
    assert_eq!(waiter.closed_within(Duration::from_secs(5)).await, Ok(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_pause_write_holds_a_write_but_not_a_read() {
    let cluster = Cluster::start(3).await;
    let node = cluster.leader().await;
    let port = cluster.port(node);
    let mut admin = RawClient::connect(port).await.unwrap();
    let mut writer = RawClient::connect(port).await.unwrap();
    let mut reader = RawClient::connect(port).await.unwrap();
    assert_eq!(writer.call(&["SET", "k", "old"]).await.unwrap(), b"+OK\r\n");
    assert_eq!(
        admin
            .call(&["CLIENT", "PAUSE", "60000", "WRITE"])
            .await
            .unwrap(),
        b"+OK\r\n"
    );
    writer
        .send(&redraft_tests::command_bytes(&["SET", "k", "new"]))
        .await
        .unwrap();
    let started = Instant::now();
    assert_eq!(reader.call(&["GET", "k"]).await.unwrap(), b"$3\r\nold\r\n");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a read is not held"
    );
    assert_eq!(
        writer.closed_within(Duration::from_millis(500)).await,
        Ok(false)
    );
    assert_eq!(
        admin.call(&["CLIENT", "UNPAUSE"]).await.unwrap(),
        b"+OK\r\n"
    );
    assert_eq!(writer.read_reply().await.unwrap(), b"+OK\r\n");
    assert_eq!(reader.call(&["GET", "k"]).await.unwrap(), b"$3\r\nnew\r\n");
    // A pause ends by itself when its time is up.
    assert_eq!(
        admin.call(&["CLIENT", "PAUSE", "300"]).await.unwrap(),
        b"+OK\r\n"
    );
    let started = Instant::now();
    assert_eq!(reader.call(&["GET", "k"]).await.unwrap(), b"$3\r\nnew\r\n");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "ALL holds reads"
    );
    assert_eq!(
        admin.call(&["CLIENT", "PAUSE", "-1"]).await.unwrap(),
        b"-ERR timeout is negative\r\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_reply_off_and_skip_silence_replies_and_reset_restores_the_connection() {
    let cluster = Cluster::start(3).await;
    let port = cluster.port(cluster.followers().await[0]);
    let mut c = RawClient::connect(port).await.unwrap();
    let pipeline = [
        &["CLIENT", "REPLY", "OFF"][..],
        &["SET", "a", "1"],
        &["PING"],
        &["CLIENT", "REPLY", "ON"],
        &["CLIENT", "REPLY", "SKIP"],
        &["SET", "b", "2"],
        &["SET", "c", "3"],
        &["GET", "b"],
    ];
    let mut bytes = Vec::new();
    for command in pipeline {
        bytes.extend(redraft_tests::command_bytes(command));
    }
    c.send(&bytes).await.unwrap();
    assert_eq!(
        c.read_reply().await.unwrap(),
        b"+OK\r\n",
        "REPLY ON's answer"
    );
    assert_eq!(
        c.read_reply().await.unwrap(),
        b"+OK\r\n",
        "SET c, after the skipped SET b"
    );
    assert_eq!(c.read_reply().await.unwrap(), b"$1\r\n2\r\n");
    assert_eq!(
        c.call(&["CLIENT", "REPLY", "maybe"]).await.unwrap(),
        b"-ERR syntax error\r\n"
    );
    // RESET: out of MULTI, database 0, no name, RESP2, replies on.
    assert!(text(&c.call(&["HELLO", "3"]).await.unwrap()).starts_with("%7\r\n"));
    for command in [
        &["CLIENT", "SETNAME", "n"][..],
        &["SELECT", "2"],
        &["CLIENT", "NO-EVICT", "on"],
        &["MULTI"],
    ] {
        assert_eq!(c.call(command).await.unwrap(), b"+OK\r\n");
    }
    c.send(&redraft_tests::command_bytes(&["CLIENT", "REPLY", "OFF"]))
        .await
        .unwrap();
    assert_eq!(c.read_reply().await.unwrap(), b"+QUEUED\r\n");
    assert_eq!(c.call(&["RESET"]).await.unwrap(), b"+RESET\r\n");
    let info = lines(&c.call(&["CLIENT", "INFO"]).await.unwrap());
    assert_eq!(field(&info[0], "name"), "");
    assert_eq!(field(&info[0], "db"), "0");
    assert_eq!(field(&info[0], "multi"), "-1");
    assert_eq!(field(&info[0], "resp"), "2");
    // NO-EVICT stays, as in Redis 7.0.
    assert_eq!(field(&info[0], "flags"), "e");
    assert_eq!(
        c.call(&["EXEC"]).await.unwrap(),
        b"-ERR EXEC without MULTI\r\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_answers_master_on_the_leader_and_slave_on_a_follower() {
    let cluster = Cluster::start(3).await;
    let leader = cluster.leader().await;
    let mut l = RawClient::connect(cluster.port(leader)).await.unwrap();
    assert_eq!(l.call(&["SET", "k", "v"]).await.unwrap(), b"+OK\r\n");
    cluster.wait_applied_equal().await;
    let role = text(&l.call(&["ROLE"]).await.unwrap());
    assert!(role.starts_with("*3\r\n$6\r\nmaster\r\n:"), "{role}");
    for follower in cluster.followers().await {
        let raft = cluster.raft_addr(follower);
        let (host, port) = raft.rsplit_once(':').unwrap();
        let entry = format!(
            "*3\r\n${}\r\n{host}\r\n${}\r\n{port}\r\n",
            host.len(),
            port.len()
        );
        assert!(role.contains(&entry), "{role} lacks {entry}");
        let mut f = RawClient::connect(cluster.port(follower)).await.unwrap();
        let answer = text(&f.call(&["ROLE"]).await.unwrap());
        let (host, port) = cluster
            .raft_addr(leader)
            .rsplit_once(':')
            .map(|(h, p)| (h.to_string(), p.to_string()))
            .unwrap();
        let head = format!(
            "*5\r\n$5\r\nslave\r\n${}\r\n{host}\r\n:{port}\r\n$9\r\nconnected\r\n:",
            host.len()
        );
        assert!(answer.starts_with(&head), "{answer}");
        let lastsave = text(&f.call(&["LASTSAVE"]).await.unwrap());
        let secs: u64 = lastsave.trim_start_matches(':').trim_end().parse().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(secs <= now && secs + 600 > now, "LASTSAVE {secs} now {now}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_shows_the_nodes_commands_in_redis_format_with_passwords_redacted() {
    let cluster = Cluster::start(3).await;
    let port = cluster.port(cluster.leader().await);
    let mut monitor = RawClient::connect(port).await.unwrap();
    assert_eq!(monitor.call(&["MONITOR"]).await.unwrap(), b"+OK\r\n");
    let mut c = RawClient::connect(port).await.unwrap();
    let info = lines(&c.call(&["CLIENT", "INFO"]).await.unwrap());
    let addr = field(&info[0], "addr").to_string();
    assert_eq!(c.call(&["SELECT", "1"]).await.unwrap(), b"+OK\r\n");
    assert_eq!(c.call(&["SET", "a b", "x\"y\n"]).await.unwrap(), b"+OK\r\n");
    let _ = c.call(&["AUTH", "secret"]).await.unwrap();
    // CONFIG GET is administrative: not shown.
    let _ = c.call(&["CONFIG", "GET", "port"]).await.unwrap();
    assert_eq!(c.call(&["PING"]).await.unwrap(), b"+PONG\r\n");
    let expected = [
        format!("[0 {addr}] \"CLIENT\" \"INFO\""),
        format!("[1 {addr}] \"SELECT\" \"1\""),
        format!("[1 {addr}] \"SET\" \"a b\" \"x\\\"y\\n\""),
        format!("[1 {addr}] \"AUTH\" \"(redacted)\""),
        format!("[1 {addr}] \"PING\""),
    ];
    for want in expected {
        let line = text(&monitor.read_reply().await.unwrap());
        let (stamp, rest) = line.trim_start_matches('+').split_once(' ').unwrap();
        let (secs, micros) = stamp.split_once('.').unwrap();
        assert!(secs.parse::<u64>().is_ok() && micros.len() == 6, "{line}");
        assert_eq!(rest, format!("{want}\r\n"));
    }
}
