use crate::entry::LogCommand;
use crate::event::{ChannelKind, Event, Subscriber, SubscriptionChange};
use crate::testutil::{c, show};
use crate::{Engine, ReadContext};

fn client(node: u64, client: u64) -> String {
    format!("{node} 7 {client}")
}

/// Applies `lines` as one entry at `index`; their replies shown.
fn entry(e: &mut Engine, index: u64, lines: &[&str]) -> Vec<String> {
    let cmds = lines.iter().map(|line| c(line)).collect();
    let replies = e.apply(index, &LogCommand::run(index, 0, cmds));
    replies.iter().map(show).collect()
}

fn read(e: &Engine, line: &str) -> String {
    show(&e.read(0, &c(line), ReadContext::default()))
}

fn messages(e: &mut Engine) -> Vec<String> {
    e.take_events()
        .into_iter()
        .filter_map(|event| match event {
            Event::Message {
                shard,
                channel,
                payload,
            } => Some(format!(
                "{}{}={}",
                if shard { "s:" } else { "" },
                String::from_utf8_lossy(&channel),
                String::from_utf8_lossy(&payload)
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn publish_counts_channel_and_pattern_subscribers_cluster_wide() {
    let mut e = Engine::new();
    let (a, b) = (client(1, 10), client(2, 20));
    let lines = [
        format!("subscribe-client {a} 1 channel news sport"),
        format!("subscribe-client {b} 1 channel news"),
        format!("subscribe-client {b} 2 pattern n* s*"),
        format!("subscribe-client {b} 3 shard news"),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    assert_eq!(entry(&mut e, 1, &lines), [":2", ":1", ":3", ":1"]);
    e.take_events();
    let replies = entry(
        &mut e,
        2,
        &[
            "PUBLISH news hi",
            "PUBLISH sport go",
            "PUBLISH nothing x",
            "PUBLISH other x",
            "SPUBLISH news s",
            "SPUBLISH sport s",
        ],
    );
    // news: a, b and b's n* pattern; sport: a and s*; nothing: n*; other: nobody.
    assert_eq!(replies, [":3", ":2", ":1", ":0", ":1", ":0"]);
    assert_eq!(
        messages(&mut e),
        ["news=hi", "sport=go", "nothing=x", "s:news=s"],
        "a message nobody receives is not handed out"
    );
    assert_eq!(
        read(&e, "PUBSUB NUMSUB news sport none"),
        "[news :2 sport :1 none :0]"
    );
    assert_eq!(read(&e, "PUBSUB NUMPAT"), ":2");
    assert!(read(&e, "PUBSUB HELP").starts_with("[+PUBSUB <subcommand>"));
    assert_eq!(read(&e, "PUBSUB CHANNELS"), "[news sport]");
    assert_eq!(read(&e, "PUBSUB CHANNELS s*"), "[sport]");
    assert_eq!(read(&e, "PUBSUB SHARDCHANNELS"), "[news]");
    assert_eq!(read(&e, "PUBSUB SHARDNUMSUB news"), "[news :1]");
    assert_eq!(
        read(&e, "PUBSUB CHANNELS a b"),
        "ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP."
    );
}

/// A confirmation as the test compares it: its request number, whether it subscribed, and
/// each name with the count after it.
type ShownChange = (u64, bool, Vec<(Option<String>, usize)>);

#[test]
fn confirmations_carry_redis_counts_and_go_out_in_order() {
    let mut e = Engine::new();
    let a = client(1, 10);
    let who = Subscriber {
        node: 1,
        incarnation: 7,
        client: 10,
    };
    let lines = [
        format!("subscribe-client {a} 1 shard s1 s2"),
        format!("subscribe-client {a} 2 channel c1"),
        format!("subscribe-client {a} 3 pattern p*"),
        format!("unsubscribe-client {a} 4 channel"),
        format!("unsubscribe-client {a} 5 pattern nope p*"),
        format!("unsubscribe-client {a} 6 pattern"),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    entry(&mut e, 1, &lines);
    let changes: Vec<SubscriptionChange> = e
        .take_events()
        .into_iter()
        .filter_map(|event| match event {
            Event::Subscriptions(change) => Some(change),
            _ => None,
        })
        .collect();
    let shown: Vec<ShownChange> = changes
        .iter()
        .map(|change| {
            assert_eq!(change.subscriber, who);
            let names = change.names.iter().map(|(name, count)| {
                let name = name
                    .as_ref()
                    .map(|n| String::from_utf8_lossy(n).into_owned());
                (name, *count)
            });
            (change.seq, change.subscribe, names.collect())
        })
        .collect();
    let some = |name: &str| Some(name.to_string());
    // As redis-server counts: shard channels apart from channels and patterns.
    assert_eq!(
        shown,
        [
            (1, true, vec![(some("s1"), 1), (some("s2"), 2)]),
            (2, true, vec![(some("c1"), 1)]),
            (3, true, vec![(some("p*"), 2)]),
            (4, false, vec![(some("c1"), 1)]),
            (5, false, vec![(some("nope"), 1), (some("p*"), 0)]),
            (6, false, vec![(None, 0)]),
        ]
    );
    assert_eq!(changes[0].kind, ChannelKind::Shard);
}

#[test]
fn a_client_that_leaves_or_whose_process_ended_is_no_longer_counted() {
    let mut e = Engine::new();
    let lines = [
        format!("subscribe-client {} 1 channel ch", client(1, 10)),
        format!("subscribe-client {} 1 pattern c*", client(1, 11)),
        format!("subscribe-client {} 1 channel ch", client(2, 20)),
        "PUBLISH ch x".to_string(),
        format!("unsubscribe-client {} 2 all", client(2, 20)),
        "PUBLISH ch x".to_string(),
        // Node 1 restarted as incarnation 8: its clients of incarnation 7 are gone.
        "unblock-node 1 8".to_string(),
        "PUBLISH ch x".to_string(),
        "PUBSUB NUMPAT".to_string(),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let replies = entry(&mut e, 1, &lines);
    assert_eq!(replies[3..], [":3", "+OK", ":2", ":0", ":0", ":0"]);
    assert!(e.keyspace().subscriptions == Default::default());
}

#[test]
fn subscriptions_travel_in_snapshots() {
    let mut e = Engine::new();
    let lines = [
        format!("subscribe-client {} 1 channel a b", client(1, 10)),
        format!("subscribe-client {} 1 pattern p*", client(2, 20)),
        format!("subscribe-client {} 2 shard s", client(2, 20)),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    entry(&mut e, 1, &lines);
    let bytes = e.encode_snapshot();
    let mut restored = Engine::decode_snapshot(&bytes).unwrap();
    assert_eq!(restored.encode_snapshot(), bytes);
    assert_eq!(
        entry(&mut restored, 2, &["PUBLISH pa x", "SPUBLISH s x"]),
        [":1", ":1"]
    );
}

#[test]
fn malformed_internal_commands_and_clients_are_refused() {
    let mut e = Engine::new();
    let replies = entry(
        &mut e,
        1,
        &[
            "subscribe-client 1 7 x 1 channel a",
            "subscribe-client 1 7 3 1 nonsense a",
            "unsubscribe-client 1 7 3 1 nonsense",
            "PUBLISH a",
        ],
    );
    assert_eq!(replies[0], "ERR malformed subscription command");
    assert_eq!(replies[1], "ERR malformed subscription command");
    assert_eq!(replies[2], "ERR malformed subscription command");
    assert_eq!(
        replies[3],
        "ERR wrong number of arguments for 'publish' command"
    );
    assert!(e.take_events().is_empty());
}

fn invalidations(e: &mut Engine) -> Vec<Option<Vec<String>>> {
    e.take_events()
        .into_iter()
        .filter_map(|event| match event {
            Event::Invalidate { keys, .. } => Some(keys.map(|keys| {
                keys.iter()
                    .map(|key| String::from_utf8_lossy(key).into_owned())
                    .collect()
            })),
            _ => None,
        })
        .collect()
}

#[test]
fn the_keys_an_entry_changes_are_reported_only_while_a_node_tracks_them() {
    let mut e = Engine::new();
    entry(&mut e, 1, &["SET a 1"]);
    assert!(invalidations(&mut e).is_empty(), "nobody tracks");
    e.track_modified_keys(true);
    entry(&mut e, 2, &["MSET b 1 a 2", "GET a", "LPUSH l x"]);
    entry(&mut e, 3, &["GET a"]);
    let mut other_db = LogCommand::run(4, 3, vec![c("SET z 1")]);
    e.apply(4, &other_db);
    other_db = LogCommand::run(5, 3, vec![c("FLUSHDB")]);
    e.apply(5, &other_db);
    let some = |keys: &[&str]| Some(keys.iter().map(|k| k.to_string()).collect());
    assert_eq!(
        invalidations(&mut e),
        [some(&["a", "b", "l"]), some(&["z"]), None],
        "one report per entry that changed keys; a flush invalidates everything"
    );
    e.track_modified_keys(false);
    entry(&mut e, 6, &["SET a 3"]);
    assert!(invalidations(&mut e).is_empty());
}

#[test]
fn a_commands_keys_come_from_its_positions_or_its_count() {
    let keys = |line: &str| {
        let argv = c(line);
        let spec = crate::table::resolve(&argv).unwrap();
        let keys: Vec<String> = spec
            .keys(&argv)
            .iter()
            .map(|key| String::from_utf8_lossy(key).into_owned())
            .collect();
        keys.join(" ")
    };
    assert_eq!(keys("GET a"), "a");
    assert_eq!(keys("MGET a b c"), "a b c");
    assert_eq!(keys("MSET a 1 b 2"), "a b");
    assert_eq!(keys("HGET h f"), "h");
    assert_eq!(keys("ZUNION 2 x y WITHSCORES"), "x y");
    assert_eq!(keys("SINTERCARD 2 s t LIMIT 1"), "s t");
    assert_eq!(keys("EVAL_RO body 1 k arg"), "k");
    assert_eq!(keys("XREAD COUNT 2 STREAMS s1 s2 0 0"), "s1 s2");
    assert_eq!(keys("PING"), "");
}
