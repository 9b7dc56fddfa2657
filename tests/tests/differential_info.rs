//! INFO and CLIENT LIST/INFO against redis-server 7.0 (issue 14, operator tooling): the same
//! sections for each way of asking, each section's field names in Redis's order and of the same
//! kind (integer, float, text); CLIENT's field names in order; and rdb_changes_since_last_save
//! counted as Redis's dirty counter counts, command by command. Values differ (times, ids,
//! sizes); docs/operations.md says what each field means on a redraft node.

use std::time::Duration;

use redis_protocol::resp2::types::OwnedFrame;
use redraft_tests::raw::{show, RawClient};
use redraft_tests::{wait_for, Cluster, ClusterOptions, RedisServer};

/// Fields redraft adds to a Redis section, each documented in docs/operations.md.
const REDRAFT_EXTRAS: &[(&str, &str)] = &[
    // Which redraft answers (redis_version is the Redis version it answers as).
    ("Server", "redraft_version"),
];

/// Fields of CLIENT LIST redraft prints after Redis 7.0's: Redis 7.2's, set by CLIENT SETINFO.
const CLIENT_EXTRAS: &[&str] = &["lib-name", "lib-ver"];

/// Bound on a Redis replica connecting to its master.
const LINK_TIMEOUT: Duration = Duration::from_secs(30);

async fn text(client: &mut RawClient, line: &[&str]) -> String {
    match client.call_frame(line).await {
        Ok(OwnedFrame::BulkString(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        other => panic!("{line:?}: {other:?}"),
    }
}

/// An INFO reply as its sections, each with its `name:value` lines in order.
type Sections = Vec<(String, Vec<(String, String)>)>;

fn sections(reply: &str) -> Sections {
    let mut sections: Sections = Vec::new();
    for line in reply.split("\r\n").filter(|line| !line.is_empty()) {
        if let Some(name) = line.strip_prefix("# ") {
            sections.push((name.to_string(), Vec::new()));
        } else if let (Some((_, fields)), Some((name, value))) =
            (sections.last_mut(), line.split_once(':'))
        {
            fields.push((name.to_string(), value.to_string()));
        } else {
            panic!("a line outside a section or without ':': {line:?} in {reply:?}");
        }
    }
    sections
}

fn names(sections: &Sections) -> Vec<&str> {
    sections.iter().map(|(name, _)| name.as_str()).collect()
}

/// What a value is as a client parsing INFO reads it.
fn kind(value: &str) -> &'static str {
    if value.parse::<i64>().is_ok() {
        "integer"
    } else if value.parse::<f64>().is_ok() {
        "float"
    } else {
        "text"
    }
}

/// A section's fields but redraft's documented extras.
fn redis_fields<'a>(section: &str, fields: &'a [(String, String)]) -> Vec<&'a (String, String)> {
    let extra = |name: &String| REDRAFT_EXTRAS.contains(&(section, name.as_str()));
    fields.iter().filter(|(name, _)| !extra(name)).collect()
}

/// A section's fields as (name, kind), a run of numbered names (`slave0`, `slave1`, `db3`)
/// as one `slaveN` whose values are `a=1,b=x` fields (compared apart).
fn shape(fields: &[&(String, String)]) -> Vec<(String, &'static str)> {
    let mut shape: Vec<(String, &'static str)> = fields
        .iter()
        .map(|(name, value)| {
            let numbered = name.trim_end_matches(|c: char| c.is_ascii_digit());
            match numbered {
                "slave" | "db" => (format!("{numbered}N"), "fields"),
                _ => (name.clone(), kind(value)),
            }
        })
        .collect();
    shape.dedup();
    shape
}

/// The names of a `a=1,b=x` value.
fn field_names(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(|pair| pair.split('=').next().unwrap_or_default())
        .collect()
}

fn section<'a>(sections: &'a Sections, name: &str) -> &'a [(String, String)] {
    sections
        .iter()
        .find(|(found, _)| found == name)
        .map(|(_, fields)| fields.as_slice())
        .unwrap_or_else(|| panic!("no section {name} in {:?}", names(sections)))
}

/// The same sections, in the same order, for each way of asking; redraft adds `Raft`.
async fn same_sections_asked(redis: &mut RawClient, redraft: &mut RawClient) {
    let askings: &[&[&str]] = &[
        &["INFO"],
        &["INFO", "default"],
        &["INFO", "all"],
        &["INFO", "everything"],
        &["INFO", "ALL"],
        &["INFO", "keyspace", "cpu", "server"],
        &["INFO", "default", "commandstats"],
        &["INFO", "modules"],
        &["INFO", "cluster", "latencystats", "errorstats"],
        &["INFO", "nosuch"],
        &["INFO", "nosuch", "clients"],
    ];
    for line in askings {
        let expected = sections(&text(redis, line).await);
        let got = sections(&text(redraft, line).await);
        let got: Vec<&str> = names(&got).into_iter().filter(|n| *n != "Raft").collect();
        assert_eq!(got, names(&expected), "{line:?}");
    }
    assert_eq!(text(redraft, &["INFO", "nosuch"]).await, "");
}

/// Section by section, the same fields in the same order and of the same kinds. The sections
/// whose fields are named after commands and errors are compared in introspection.rs.
fn same_fields(redis: &Sections, redraft: &Sections) {
    for (name, fields) in redis {
        if matches!(
            name.as_str(),
            "Commandstats" | "Errorstats" | "Latencystats"
        ) {
            continue;
        }
        let theirs = redis_fields(name, fields);
        let mine = redis_fields(name, section(redraft, name));
        assert_eq!(shape(&mine), shape(&theirs), "section {name}");
        // The first of a run of numbered fields on each side: the same names in its value.
        let numbered = |fields: &[&(String, String)]| {
            fields
                .iter()
                .find(|(field, _)| field == "slave0" || field.starts_with("db"))
                .map(|(_, value)| field_names(value).join(","))
        };
        assert_eq!(numbered(&mine), numbered(&theirs), "section {name}");
    }
}

/// A second redis-server replicating the first, once its link is up.
async fn redis_replica(master: &RedisServer) -> (RedisServer, RawClient) {
    let replica = RedisServer::start().await;
    let mut client = replica.raw().await;
    let port = master.port().to_string();
    let reply = client.call(&["REPLICAOF", "127.0.0.1", &port]).await;
    assert_eq!(show(&reply.unwrap()), "+OK\\r\\n");
    wait_for(
        "the Redis replica's link to its master",
        LINK_TIMEOUT,
        || {
            let port = replica.port();
            async move {
                let mut client = RawClient::connect(port).await.map_err(|e| e.to_string())?;
                let info = text(&mut client, &["INFO", "replication"]).await;
                match info.contains("master_link_status:up") {
                    true => Ok(()),
                    false => Err(info),
                }
            }
        },
    )
    .await;
    (replica, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_has_redis_sections_and_fields_in_redis_order_on_a_leader_and_a_follower() {
    let master = RedisServer::start().await;
    let (_replica, mut redis_replica) = redis_replica(&master).await;
    let mut redis = master.raw().await;
    let cluster = Cluster::start(3).await;
    let leader = cluster.leader().await;
    let follower = cluster.followers().await[0];
    let mut on_leader = cluster.raw(leader).await;
    let mut on_follower = cluster.raw(follower).await;
    for client in [&mut redis, &mut on_leader] {
        client.call(&["SET", "k", "v"]).await.unwrap();
        client.call(&["SET", "e", "v", "EX", "100"]).await.unwrap();
    }
    // The follower has applied the writes once a read through it sees them.
    on_follower.call(&["GET", "e"]).await.unwrap();

    same_sections_asked(&mut redis, &mut on_leader).await;
    let redis_master = sections(&text(&mut redis, &["INFO", "everything"]).await);
    let leader_info = sections(&text(&mut on_leader, &["INFO", "everything"]).await);
    same_fields(&redis_master, &leader_info);
    let replication = section(&leader_info, "Replication");
    assert!(replication.contains(&("connected_slaves".into(), "2".into())));

    let redis_slave = sections(&text(&mut redis_replica, &["INFO", "everything"]).await);
    let follower_info = sections(&text(&mut on_follower, &["INFO", "everything"]).await);
    same_fields(&redis_slave, &follower_info);
    let replication = section(&follower_info, "Replication");
    assert!(replication.contains(&("role".into(), "slave".into())));
    let raft_port = cluster.raft_addr(leader);
    let raft_port = raft_port.rsplit(':').next().unwrap();
    assert!(replication.contains(&("master_port".into(), raft_port.into())));
}

/// The `name` of each `name=value` of a CLIENT line, in order.
fn client_fields(line: &str) -> Vec<&str> {
    line.trim_end()
        .split(' ')
        .map(|pair| pair.split('=').next().unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_list_and_client_info_name_redis_fields_in_redis_order() {
    let reference = RedisServer::start().await;
    let cluster = Cluster::start(1).await;
    let mut redis = reference.raw().await;
    let mut redraft = cluster.raw(1).await;
    for line in [&["CLIENT", "INFO"][..], &["CLIENT", "LIST"]] {
        let expected = text(&mut redis, line).await;
        let got = text(&mut redraft, line).await;
        let expected = client_fields(expected.lines().next().unwrap()).to_vec();
        let got = client_fields(got.lines().next().unwrap());
        let (ours, extras) = got.split_at(expected.len().min(got.len()));
        assert_eq!(ours, expected, "{line:?}");
        assert_eq!(extras, CLIENT_EXTRAS, "{line:?}");
    }
}

async fn changes(client: &mut RawClient) -> i64 {
    let info = text(client, &["INFO", "persistence"]).await;
    let fields = sections(&info);
    let value = section(&fields, "Persistence")
        .iter()
        .find(|(name, _)| name == "rdb_changes_since_last_save")
        .map(|(_, value)| value.parse().unwrap());
    value.unwrap_or_else(|| panic!("no rdb_changes_since_last_save in {info:?}"))
}

/// Commands whose changes Redis counts in its own ways: variadic ones count elements, moves
/// count one, refused and no-op writes none, transactions and scripts their commands'.
const SCRIPT: &str = "redis.call('set', 'sx', 1) redis.call('sadd', 'ss', 1, 2, 3) return 1";
const LIBRARY: &str = "#!lua name=lib\nredis.register_function('f', function() return 1 end)";

fn dirty_script() -> Vec<Vec<&'static str>> {
    let lines = [
        "SET a 1",
        "SET a 2 NX",
        "SET e 1 EX 100",
        "MSET a 1 b 2 a 3",
        "MSETNX a 1 z 2",
        "APPEND a x",
        "INCR n",
        "INCRBY n 5",
        "INCRBYFLOAT f 1.5",
        "SETRANGE a 0 zz",
        "GETSET a v",
        "GETDEL b",
        "GETEX e PERSIST",
        "GETEX a",
        "DEL a nosuch e",
        "SETBIT bits 7 1",
        "SETBIT bits 7 1",
        "BITFIELD bf SET u8 0 0 SET u8 8 0",
        "BITFIELD bf SET u8 0 0 SET u8 8 1",
        "BITOP AND dst bits",
        "BITOP AND dst2 nosuch",
        "LPUSH l a b c a",
        "RPUSH l d",
        "LPUSHX nol a",
        "LINSERT l BEFORE a x",
        "LSET l 0 y",
        "LREM l 0 a",
        "RPUSH l p q r s",
        "LTRIM l 1 -2",
        "LMOVE l l2 LEFT RIGHT",
        "RPOPLPUSH l l2",
        "LPOP l 10",
        "LPOP nol",
        "INCR l2",
        "HSET h a 1 b 2",
        "HSET h a 1",
        "HSETNX h a 1",
        "HINCRBY h c 1",
        "HDEL h a b zz",
        "SADD s a b c d",
        "SADD s a",
        "SREM s a zz",
        "SMOVE s s2 b",
        "SPOP s",
        "SPOP s 5",
        "SADD s3 x y",
        "SINTERSTORE d s3 s3",
        "SUNIONSTORE d nos",
        "ZADD z 1 a 2 b",
        "ZADD z 3 a 2 b",
        "ZINCRBY z 1 a",
        "ZREM z a zz",
        "ZADD z 1 c 2 d 3 e",
        "ZREMRANGEBYRANK z 0 0",
        "ZPOPMIN z 2",
        "ZUNIONSTORE zd 1 z",
        "PFADD hll a b c",
        "PFADD hll a",
        "PFMERGE hll2 hll",
        "EXPIRE l2 100",
        "PERSIST l2",
        "RENAME l2 l3",
        "RENAMENX l3 s3",
        "COPY l3 l4",
        "MOVE l4 1",
        "SWAPDB 0 1",
        "SWAPDB 0 1",
        "SORT l3 ALPHA STORE sorted",
        "PEXPIRE l3 0",
        "GEOADD geo 13.361389 38.115556 p",
        "GEOSEARCHSTORE gd geo FROMLONLAT 15 37 BYRADIUS 200 km",
        "XADD st 1-1 a 1",
        "XADD st 2-1 a 1",
        "XADD st MAXLEN 1 3-1 a 1",
        "XADD st 4-1 a 1",
        "XGROUP CREATE st g 0",
        "XREADGROUP GROUP g c COUNT 2 STREAMS st >",
        "XREADGROUP GROUP g c STREAMS st 0",
        "XCLAIM st g c2 0 3-1 4-1",
        "XACK st g 3-1 9-9",
        "XDEL st 3-1 8-8",
        "XTRIM st MAXLEN 0",
        "XGROUP CREATECONSUMER st g c9",
        "XGROUP DELCONSUMER st g c9",
        "MULTI",
        "SET m 1",
        "LPUSH ml 1 2",
        "EXEC",
        "SCRIPT FLUSH",
        "PUBLISH ch x",
        "GET n",
        "FLUSHDB",
        "SET k v",
        "FLUSHALL",
    ];
    let mut script: Vec<Vec<&str>> = lines.iter().map(|l| l.split(' ').collect()).collect();
    let at = script.iter().position(|line| line[0] == "SCRIPT").unwrap();
    script.splice(
        at..at,
        [
            vec!["EVAL", SCRIPT, "0"],
            vec!["FUNCTION", "LOAD", LIBRARY],
            vec!["FUNCTION", "DELETE", "lib"],
        ],
    );
    script
}

/// Each command's change in rdb_changes_since_last_save (read on a second connection: the
/// first may be in MULTI), and its reply (which SPOP draws at random).
async fn deltas(port: u16, script: &[Vec<&str>]) -> Vec<(String, i64, String)> {
    let mut client = RawClient::connect(port).await.unwrap();
    let mut observer = RawClient::connect(port).await.unwrap();
    let mut seen = Vec::new();
    for line in script {
        let before = changes(&mut observer).await;
        let reply = client.call(line).await.unwrap();
        let after = changes(&mut observer).await;
        seen.push((line.join(" "), after - before, show(&reply)));
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_since_last_save_count_each_command_as_redis_dirty_counter_does() {
    let reference = RedisServer::start().await;
    let cluster = Cluster::start(1).await;
    let script = dirty_script();
    let expected = deltas(reference.port(), &script).await;
    let got = deltas(cluster.port(1), &script).await;
    for ((line, mine, reply), (_, theirs, redis_reply)) in got.iter().zip(&expected) {
        assert_eq!(mine, theirs, "{line}: redraft {reply}, redis {redis_reply}");
    }
    assert_eq!(got.len(), expected.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_resets_the_changes_since_last_save() {
    let options = ClusterOptions::default().args(&["--snapshot-logs", "20"]);
    let cluster = Cluster::start_with(1, options).await;
    let mut client = cluster.raw(1).await;
    for i in 0..30 {
        client.call(&["SET", &format!("k{i}"), "v"]).await.unwrap();
    }
    let info = wait_for("a snapshot", Duration::from_secs(30), || {
        let port = cluster.port(1);
        async move {
            let mut client = RawClient::connect(port).await.map_err(|e| e.to_string())?;
            let info = sections(&text(&mut client, &["INFO", "persistence"]).await);
            let fields = section(&info, "Persistence").to_vec();
            let saves = fields.iter().find(|(name, _)| name == "rdb_saves");
            match saves.is_some_and(|(_, n)| n != "0") {
                true => Ok(fields),
                false => Err(format!("{fields:?}")),
            }
        }
    })
    .await;
    let value = |name: &str| {
        let found = info.iter().find(|(field, _)| field == name);
        found.map(|(_, value)| value.clone()).unwrap_or_default()
    };
    let since: u64 = value("rdb_changes_since_last_save").parse().unwrap();
    // The snapshot holds the 20-odd first entries' state: fewer than 30 changes remain.
    assert!(since < 30, "{info:?}");
    assert_eq!(value("rdb_last_bgsave_status"), "ok");
    assert_ne!(value("rdb_last_bgsave_time_sec"), "-1");
}
