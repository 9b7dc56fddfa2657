//! COMMAND against redis-server 7.0: COMMAND INFO field by field for every command both
//! servers have (arity, flags, key positions, ACL categories, tips, key specifications,
//! subcommands), COMMAND GETKEYS and GETKEYSANDFLAGS byte for byte on representative command
//! lines, COMMAND DOCS' structure (field names and order; summaries, complexity, history and
//! replacements present where Redis has them, in redraft's own words), and COMMAND's own
//! errors.
//!
//! Tolerated, as docs/commands.md documents: [`ALLOWED`]'s fields; Redis's key-specification
//! notes (prose, not served); subcommands redraft does not serve; redraft's own commands
//! ([`REDRAFT_ONLY`]).

use std::collections::{BTreeMap, BTreeSet};

use redis_protocol::resp2::types::OwnedFrame;
use redraft_tests::cluster::Cluster;
use redraft_tests::raw::{show, RawClient};
use redraft_tests::reference::RedisServer;

/// Fields of COMMAND INFO that differ on purpose: (command, field, why).
const ALLOWED: &[(&str, &str, &str)] = &[
    ("zrank", "arity", "redraft serves 7.2's WITHSCORE"),
    ("zrevrank", "arity", "redraft serves 7.2's WITHSCORE"),
];

/// Commands redraft serves that redis-server 7.0 does not: Raft administration, the locks,
/// 7.2's CLIENT SETINFO and NO-TOUCH, and DEBUG's subcommands (DEBUG is a container here, one
/// command in Redis; DEBUG itself is compared).
const REDRAFT_ONLY: &[&str] = &[
    "debug|change-repl-id",
    "debug|digest",
    "debug|digest-value",
    "debug|help",
    "debug|listpack",
    "debug|object",
    "debug|protocol",
    "debug|quicklist-packed-threshold",
    "debug|reload",
    "debug|set-active-expire",
    "debug|sleep",
    "raft",
    "fenced",
    "lock.acquire",
    "lock.info",
    "lock.list",
    "lock.release",
    "lock.renew",
    "client|setinfo",
    "client|no-touch",
];

async fn call(client: &mut RawClient, line: &[&str]) -> OwnedFrame {
    client
        .call_frame(line)
        .await
        .unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

fn items(frame: &OwnedFrame) -> &[OwnedFrame] {
    match frame {
        OwnedFrame::Array(items) => items,
        other => panic!("not an array: {other:?}"),
    }
}

fn text(frame: &OwnedFrame) -> String {
    match frame {
        OwnedFrame::BulkString(bytes) | OwnedFrame::SimpleString(bytes) => {
            String::from_utf8_lossy(bytes).into_owned()
        }
        other => panic!("not a string: {other:?}"),
    }
}

fn texts(frame: &OwnedFrame) -> BTreeSet<String> {
    items(frame).iter().map(text).collect()
}

/// Every command and subcommand of a COMMAND reply, by name.
fn by_name(reply: &OwnedFrame) -> BTreeMap<String, Vec<OwnedFrame>> {
    let mut out = BTreeMap::new();
    for entry in items(reply) {
        let fields = items(entry).to_vec();
        for sub in items(&fields[9]) {
            out.extend(by_name(&OwnedFrame::Array(vec![sub.clone()])));
        }
        out.insert(text(&fields[0]), fields);
    }
    out
}

/// A key specification (a flat array of names and values) as comparable text: without
/// Redis's notes, its flags as a set.
fn key_spec(spec: &OwnedFrame) -> String {
    let fields = items(spec);
    let mut out = Vec::new();
    for pair in fields.chunks(2) {
        let name = text(&pair[0]);
        match name.as_str() {
            "notes" => {}
            "flags" => out.push(format!("flags={:?}", texts(&pair[1]))),
            _ => out.push(format!("{name}={}", show_frame(&pair[1]))),
        }
    }
    out.join(" ")
}

fn show_frame(frame: &OwnedFrame) -> String {
    match frame {
        OwnedFrame::Array(items) => {
            let inner: Vec<String> = items.iter().map(show_frame).collect();
            format!("[{}]", inner.join(" "))
        }
        OwnedFrame::Integer(n) => n.to_string(),
        other => text(other),
    }
}

/// The subcommands of a COMMAND INFO entry, but for redraft's own.
fn subcommands(entry: &[OwnedFrame]) -> BTreeSet<String> {
    items(&entry[9])
        .iter()
        .map(|sub| text(&items(sub)[0]))
        .filter(|name| !REDRAFT_ONLY.contains(&name.as_str()))
        .collect()
}

/// The fields of one COMMAND INFO entry, each as comparable text (the subcommands apart).
fn fields(entry: &[OwnedFrame]) -> Vec<(&'static str, String)> {
    vec![
        ("arity", show_frame(&entry[1])),
        ("flags", format!("{:?}", texts(&entry[2]))),
        ("first key", show_frame(&entry[3])),
        ("last key", show_frame(&entry[4])),
        ("step", show_frame(&entry[5])),
        ("categories", format!("{:?}", texts(&entry[6]))),
        ("tips", format!("{:?}", texts(&entry[7]))),
        (
            "key specs",
            items(&entry[8])
                .iter()
                .map(key_spec)
                .collect::<Vec<_>>()
                .join(" | "),
        ),
    ]
}

struct Sides {
    _cluster: Cluster,
    _redis: RedisServer,
    redraft: RawClient,
    redis: RawClient,
}

async fn sides() -> Sides {
    let cluster = Cluster::start(1).await;
    let leader = cluster.leader().await;
    let redraft = cluster.raw(leader).await;
    let redis_server = RedisServer::start().await;
    let redis = redis_server.raw().await;
    Sides {
        _cluster: cluster,
        _redis: redis_server,
        redraft,
        redis,
    }
}

#[tokio::test]
async fn command_info_matches_redis_field_by_field_for_every_shared_command() {
    let mut sides = sides().await;
    let ours = by_name(&call(&mut sides.redraft, &["COMMAND"]).await);
    let theirs = by_name(&call(&mut sides.redis, &["COMMAND"]).await);
    let mut differences = Vec::new();
    for (name, entry) in &ours {
        let Some(reference) = theirs.get(name) else {
            let container = name.split('|').next().unwrap_or_default();
            let known = REDRAFT_ONLY.contains(&name.as_str()) || REDRAFT_ONLY.contains(&container);
            assert!(
                known,
                "{name} is neither Redis's nor listed as redraft's own"
            );
            continue;
        };
        for ((field, mine), (_, redis)) in fields(entry).into_iter().zip(fields(reference)) {
            let allowed = ALLOWED.iter().any(|(n, f, _)| n == name && *f == field);
            if mine != redis && !allowed {
                differences.push(format!("{name} {field}: redraft {mine}, redis {redis}"));
            }
        }
        // Redis's subcommands that redraft does not serve are listed as not served.
        let extra: Vec<_> = subcommands(entry)
            .difference(&subcommands(reference))
            .cloned()
            .collect();
        let allowed = ALLOWED
            .iter()
            .any(|(n, f, _)| n == name && *f == "subcommands");
        if !extra.is_empty() && !allowed {
            differences.push(format!(
                "{name} subcommands: redraft's {extra:?} not Redis's"
            ));
        }
    }
    assert!(ours.len() > 250, "only {} commands", ours.len());
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    // COMMAND INFO by name, a subcommand's too, and nil for an unknown one.
    for line in [
        &["COMMAND", "INFO", "get", "nosuch", "config|get", "SET"][..],
        &["COMMAND", "INFO", "Object|Encoding", "object|nosuch"],
    ] {
        let mine = call(&mut sides.redraft, line).await;
        let redis = call(&mut sides.redis, line).await;
        let (mine, redis) = (items(&mine), items(&redis));
        assert_eq!(mine.len(), redis.len(), "{line:?}");
        for (mine, redis) in mine.iter().zip(redis) {
            match (mine, redis) {
                (OwnedFrame::Array(mine), OwnedFrame::Array(redis)) => {
                    assert_eq!(fields(mine), fields(redis), "{line:?}")
                }
                _ => assert_eq!(mine, redis, "{line:?}"),
            }
        }
    }
}

/// Command lines whose keys GETKEYS and GETKEYSANDFLAGS find: fixed positions, counts,
/// keywords, the commands with their own rules, and lines that name no key or are malformed.
const GETKEYS_LINES: &[&str] = &[
    "get k",
    "set k v",
    "set k v get",
    "set k v px 100 GET",
    "mset a 1 b 2",
    "mget a b c",
    "del a b c",
    "rename a b",
    "lmove a b left right",
    "blmove a b left right 0",
    "blpop a b 0",
    "lmpop 2 a b left",
    "lmpop 5 a b left",
    "lmpop 0 a",
    "blmpop 0 2 a b left",
    "zunionstore d 2 a b",
    "zunionstore d 5 a",
    "zunionstore d 05 a",
    "zinterstore d 0 a",
    "zunion 2 a b withscores",
    "zdiff 1 a",
    "zintercard 2 a b limit 1",
    "sintercard 2 a b",
    "zmpop 1 a min",
    "bzmpop 0 1 a min",
    "eval s 2 a b c",
    "eval s 0",
    "eval s 5 a",
    "eval s -1 a",
    "eval s x a",
    "evalsha_ro s 1 a",
    "fcall f 1 a",
    "fcall_ro f 2 a b",
    "xread streams a b 1 2",
    "xread count 1 streams a b 1 2",
    "xread streams a b 1",
    "xreadgroup group g c streams a 1",
    "xreadgroup group g c count 1 streams a b 1 2",
    "georadius k 1 2 3 m store x storedist y",
    "georadius k 1 2 3 m store",
    "georadiusbymember k m 3 km store d",
    "geosearchstore d s frommember m byradius 1 m",
    "sort a",
    "sort a store b by c",
    "sort a limit 0 1 store b",
    "sort a get store store b",
    "sort a store b store c",
    "sort a store",
    "sort_ro a by x",
    "bitfield k get u8 0",
    "bitfield k overflow wrap",
    "bitfield k incrby u8 0 1",
    "bitfield k get u8",
    "bitfield k",
    "bitfield_ro k get u8 0",
    "lcs a b",
    "object encoding k",
    "xinfo stream k",
    "xgroup create k g 0",
    "pfcount a b",
    "pfmerge d a b",
    "copy a b",
    "smove a b m",
    "setrange k 0 v",
    "append k v",
    "getdel k",
    "restore k 0 x",
    "swapdb 0 1",
    "spublish ch m",
    "ssubscribe ch",
    "publish ch m",
    "keys *",
    "ping",
    "config get x",
    "client kill x",
    "object help",
    "config nosuch",
    "nosuch a",
    "get",
    "set k",
    "get a b",
    "xread streams a",
];

#[tokio::test]
async fn command_getkeys_and_getkeysandflags_match_redis() {
    let mut sides = sides().await;
    let mut differences = Vec::new();
    for line in GETKEYS_LINES {
        for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
            let mut argv = vec!["COMMAND", sub];
            argv.extend(line.split(' '));
            let mine = sides.redraft.call(&argv).await.expect("redraft");
            let redis = sides.redis.call(&argv).await.expect("redis");
            if mine != redis {
                differences.push(format!(
                    "{sub} {line}: redraft {}, redis {}",
                    show(&mine),
                    show(&redis)
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[tokio::test]
async fn command_subcommands_and_errors_match_redis() {
    let mut sides = sides().await;
    for line in [
        &["COMMAND", "COUNT", "x"][..],
        &["COMMAND", "LIST", "x"],
        &["COMMAND", "LIST", "FILTERBY", "NOPE", "x"],
        &["COMMAND", "LIST", "FILTERBY", "MODULE", "x"],
        &["COMMAND", "NOPE"],
        &["COMMAND", "GETKEYS"],
        &["COMMAND", "GETKEYS", "get"],
        &["COMMAND", "GETKEYSANDFLAGS", "ping"],
        &["COMMAND", "HELP", "x"],
        &["COMMAND", "INFO", "nosuch"],
        &["COMMAND", "DOCS", "nosuch"],
    ] {
        let mine = sides.redraft.call(line).await.expect("redraft");
        let redis = sides.redis.call(line).await.expect("redis");
        assert_eq!(show(&mine), show(&redis), "{line:?}");
    }
    // LIST names subcommands as container|sub; filtered, the same as Redis's but for the
    // commands one of them lacks.
    let ours = texts(&call(&mut sides.redraft, &["COMMAND", "LIST"]).await);
    let theirs = texts(&call(&mut sides.redis, &["COMMAND", "LIST"]).await);
    assert!(ours.contains("config|get") && ours.contains("get"));
    for filter in [
        ["ACLCAT", "hash"],
        ["ACLCAT", "dangerous"],
        ["PATTERN", "x*"],
    ] {
        let mut line = vec!["COMMAND", "LIST", "FILTERBY"];
        line.extend(filter);
        let mine = texts(&call(&mut sides.redraft, &line).await);
        let redis = texts(&call(&mut sides.redis, &line).await);
        let shared = |names: &BTreeSet<String>, other: &BTreeSet<String>| -> BTreeSet<String> {
            names.intersection(other).cloned().collect()
        };
        assert!(!mine.is_empty(), "{filter:?}");
        assert_eq!(shared(&mine, &theirs), shared(&redis, &ours), "{filter:?}");
    }
}

/// COMMAND DOCS' prose, which redraft words its own way: compared by presence only (and a
/// history by its versions), never by text.
const DOCS_PROSE: &[&str] = &["summary", "complexity", "history", "replaced_by"];

/// A COMMAND DOCS value (RESP2: maps as flat arrays) as comparable text: its field names in
/// order, prose present or not, flags as sets, and only the subcommands redraft serves
/// (`served`).
fn docs_text(doc: &OwnedFrame, served: &BTreeSet<String>) -> String {
    let mut out = BTreeMap::new();
    let mut order = Vec::new();
    for pair in items(doc).chunks(2) {
        let name = text(&pair[0]);
        let value = match name.as_str() {
            "history" => {
                let versions: Vec<String> = items(&pair[1])
                    .iter()
                    .map(|change| text(&items(change)[0]))
                    .collect();
                format!("versions {versions:?}")
            }
            _ if DOCS_PROSE.contains(&name.as_str()) => {
                assert!(!text(&pair[1]).is_empty(), "empty {name}");
                "(prose)".to_string()
            }
            "flags" | "doc_flags" => format!("{:?}", texts(&pair[1])),
            "arguments" => {
                let arguments: Vec<String> = items(&pair[1])
                    .iter()
                    .map(|a| docs_text(a, served))
                    .collect();
                format!("[{}]", arguments.join(", "))
            }
            "subcommands" => {
                // Both serve them, in name order (Redis: its hash order).
                let subs: BTreeMap<String, String> = items(&pair[1])
                    .chunks(2)
                    .map(|sub| (text(&sub[0]), docs_text(&sub[1], served)))
                    .filter(|(name, _)| served.contains(name))
                    .filter(|(name, _)| !REDRAFT_ONLY.contains(&name.as_str()))
                    .collect();
                if subs.is_empty() {
                    continue;
                }
                format!("{subs:?}")
            }
            _ => show_frame(&pair[1]),
        };
        order.push(name.clone());
        out.insert(name, value);
    }
    format!("{order:?} {out:?}")
}

/// A COMMAND DOCS value's summary.
fn summary(doc: &OwnedFrame) -> Option<String> {
    let mut pairs = items(doc).chunks(2);
    let summary = pairs.find(|pair| text(&pair[0]) == "summary");
    summary.map(|pair| text(&pair[1]))
}

#[tokio::test]
async fn command_docs_structure_matches_redis_for_every_shared_command() {
    let mut sides = sides().await;
    let docs = |reply: OwnedFrame| -> BTreeMap<String, OwnedFrame> {
        items(&reply)
            .chunks(2)
            .map(|pair| (text(&pair[0]), pair[1].clone()))
            .collect()
    };
    let ours = docs(call(&mut sides.redraft, &["COMMAND", "DOCS"]).await);
    let theirs = docs(call(&mut sides.redis, &["COMMAND", "DOCS"]).await);
    let served: BTreeSet<String> = texts(&call(&mut sides.redraft, &["COMMAND", "LIST"]).await);
    let mut differences = Vec::new();
    for (name, doc) in &ours {
        let Some(reference) = theirs.get(name) else {
            assert!(REDRAFT_ONLY.contains(&name.as_str()), "{name}");
            continue;
        };
        let words = summary(doc);
        assert!(
            words != summary(reference),
            "{name}: Redis's own summary, {words:?}"
        );
        let (mine, redis) = (docs_text(doc, &served), docs_text(reference, &served));
        if mine != redis {
            differences.push(format!("{name}:\n  redraft {mine}\n  redis   {redis}"));
        }
    }
    assert!(ours.len() > 200, "only {} commands", ours.len());
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    // By name, a subcommand's too; unknown names are left out.
    let line = ["COMMAND", "DOCS", "SET", "nosuch", "config|get"];
    let mine = docs(call(&mut sides.redraft, &line).await);
    let redis = docs(call(&mut sides.redis, &line).await);
    assert_eq!(
        mine.keys().collect::<Vec<_>>(),
        redis.keys().collect::<Vec<_>>()
    );
    for (name, doc) in &mine {
        assert_eq!(
            docs_text(doc, &served),
            docs_text(&redis[name], &served),
            "{name}"
        );
    }
}
