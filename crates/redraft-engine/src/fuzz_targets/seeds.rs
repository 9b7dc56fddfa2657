//! Seeds for the engine's fuzz targets: what the engine itself writes for values of every
//! type and encoding, and whole snapshots of a state that uses every section of the format.

use crate::dump::{self, codec};
use crate::entry::{LogCommand, WaiterId};
use crate::snapshot;
use crate::Engine;

/// Bytes of the footer (RDB version and CRC-64) that the RESTORE target adds itself.
const FOOTER_BYTES: usize = 10;

fn words(line: &str) -> Vec<Vec<u8>> {
    line.split(' ')
        .map(|word| word.as_bytes().to_vec())
        .collect()
}

/// Applies each command in database `db`, one entry each, at time 1000 + its position.
fn apply_all(engine: &mut Engine, db: u32, commands: Vec<Vec<Vec<u8>>>) {
    for command in commands {
        let index = engine.keyspace().applied_index + 1;
        let entry = LogCommand::run(1000 + index, db, vec![command.clone()]);
        let replies = engine.apply(index, &entry);
        // A seed that failed to build what it names would seed nothing.
        let failed = replies
            .iter()
            .find(|reply| matches!(reply, crate::Reply::Error(_)));
        assert!(failed.is_none(), "seed command {command:?}: {failed:?}");
    }
}

/// Commands that build one value of every type in each of its encodings, with elements of
/// every shape RDB tells apart (small and large integers, short, long and binary strings).
fn value_commands() -> Vec<Vec<Vec<u8>>> {
    let long = "x".repeat(120);
    let many: Vec<String> = (0..140).map(|n| format!("m{n}")).collect();
    let many = many.join(" ");
    let big_list: Vec<String> = (0..90).map(|n| format!("{n}{}", "y".repeat(100))).collect();
    let mut commands: Vec<Vec<Vec<u8>>> = [
        "SET int 12345".to_string(),
        "SET negative -300".to_string(),
        "SET wide 12345678901".to_string(),
        "SET short hello".to_string(),
        format!("SET compressible {}", "abcdefghij".repeat(20)),
        "RPUSH list a 1 -5000 9000000000000".to_string(),
        format!("RPUSH biglist {}", big_list.join(" ")),
        "SADD intset 3 -1 100000".to_string(),
        "SADD set a b 3".to_string(),
        format!("SADD bigset {many}"),
        "ZADD zset 1.5 a -inf b 3 c 1e300 d".to_string(),
        format!("ZADD bigzset 1 {long} 2 x"),
        "HSET hash f 1 g two".to_string(),
        format!("HSET bighash f {long}"),
        "XADD stream 1-1 f v g 12".to_string(),
        "XADD stream 1-2 f w".to_string(),
        "XADD stream 2-0 other 1".to_string(),
        "XDEL stream 1-2".to_string(),
        "XGROUP CREATE stream g 0".to_string(),
        "XREADGROUP GROUP g alice COUNT 1 STREAMS stream >".to_string(),
        "XGROUP CREATECONSUMER stream g bob".to_string(),
    ]
    .iter()
    .map(|line| words(line))
    .collect();
    commands.push(vec![
        b"SET".to_vec(),
        b"binary".to_vec(),
        vec![0, 255, b'\r', b'\n'],
    ]);
    commands.push(vec![b"SET".to_vec(), b"empty".to_vec(), Vec::new()]);
    commands
}

/// DUMP payload bodies (without the footer) of every value [`value_commands`] builds, and
/// of the older types RESTORE still loads.
pub fn restore_bodies() -> Vec<Vec<u8>> {
    let mut engine = Engine::new();
    apply_all(&mut engine, 0, value_commands());
    let mut bodies: Vec<Vec<u8>> = engine.keyspace().dbs[0]
        .iter_all()
        .map(|(_, entry)| {
            let mut payload = dump::serialize(&entry.value);
            payload.truncate(payload.len() - FOOTER_BYTES);
            payload
        })
        .collect();
    bodies.extend(older_type_bodies());
    bodies
}

/// Bodies in the encodings Redis wrote before 7.0: the plain list, the text-score sorted
/// set, a hash and a list in a ziplist, a zipmap hash, and a stream without 7.0's counters.
fn older_type_bodies() -> Vec<Vec<u8>> {
    let mut list = vec![1u8, 2];
    codec::put_string(&mut list, b"a");
    codec::put_string(&mut list, b"7");
    let mut zset = vec![3u8, 2];
    codec::put_string(&mut zset, b"a");
    zset.extend_from_slice(&[3, b'2', b'.', b'5']);
    codec::put_string(&mut zset, b"b");
    zset.push(255);
    // zlbytes, zltail, zllen, then "f" (1-byte string) and 1 (a 4-bit integer), then the end.
    let mut ziplist = vec![0u8; 10];
    ziplist.extend_from_slice(&[0, 0x01, b'f', 3, 0xf2, 0xff]);
    let total = ziplist.len() as u32;
    ziplist[..4].copy_from_slice(&total.to_le_bytes());
    ziplist[4..8].copy_from_slice(&13u32.to_le_bytes());
    ziplist[8..10].copy_from_slice(&2u16.to_le_bytes());
    let mut hash = vec![13u8];
    codec::put_string(&mut hash, &ziplist);
    // The same ziplist as a list (RDB_TYPE_LIST_ZIPLIST).
    let mut ziplist_list = vec![10u8];
    codec::put_string(&mut ziplist_list, &ziplist);
    // A zipmap hash: count 1, "f" → "v" with one free byte, the end.
    let mut zipmap = vec![9u8];
    codec::put_string(&mut zipmap, &[1, 1, b'f', 1, 1, b'v', 0, 0xff]);
    vec![list, zset, hash, ziplist_list, zipmap, old_stream_body()]
}

/// A stream as RDB_TYPE_STREAM_LISTPACKS (before 7.0): one node at 1-0 holding 1-0 and a
/// deleted 1-1, then a group at 1-0 with 1-0 pending for its consumer.
fn old_stream_body() -> Vec<u8> {
    let node: Vec<Vec<u8>> = [
        "1", "1", "1", "f", "0", "2", "0", "0", "v", "4", "3", "0", "1", "w", "4",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let mut master = 1u64.to_be_bytes().to_vec();
    master.extend_from_slice(&0u64.to_be_bytes());
    let mut body = vec![15u8, 1];
    codec::put_string(&mut body, &master);
    codec::put_string(&mut body, &codec::listpack(node.iter().map(Vec::as_slice)));
    body.extend_from_slice(&[1, 1, 1, 1]);
    codec::put_string(&mut body, b"g");
    body.extend_from_slice(&[1, 0, 1]);
    body.extend_from_slice(&master);
    body.extend_from_slice(&5i64.to_le_bytes());
    body.extend_from_slice(&[1, 1]);
    codec::put_string(&mut body, b"c");
    body.extend_from_slice(&5i64.to_le_bytes());
    body.push(1);
    body.extend_from_slice(&master);
    body
}

/// A state that fills every section of the snapshot format: values of every type in two
/// databases (a string built in place too), deadlines, changes for WATCH, a cached script, a function library, a waiter, a
/// subscription, a lock and an ACL user.
pub(super) fn rich_engine() -> Engine {
    let mut engine = Engine::new();
    apply_all(&mut engine, 0, value_commands());
    let waiter = WaiterId {
        node: 1,
        incarnation: 2,
        client: 3,
        seq: 4,
    };
    let mut subscribe = vec![crate::SUBSCRIBE_COMMAND.as_bytes().to_vec()];
    subscribe.extend(waiter.to_args());
    subscribe.extend(words("channel news"));
    let library = "#!lua name=lib\nredis.register_function('f', function() return 1 end)";
    let others = vec![
        words("SET volatile v PX 50000"),
        // A string built in place, which has a type tag of its own (format 10 on).
        words("SETRANGE patched 0 12"),
        vec![b"SCRIPT".to_vec(), b"LOAD".to_vec(), b"return 1".to_vec()],
        vec![b"FUNCTION".to_vec(), b"LOAD".to_vec(), library.into()],
        waiter.block(&words("BLPOP queue 0")),
        subscribe,
        words("LOCK.ACQUIRE mutex owner 10000"),
        words("ACL SETUSER alice on >secret ~k* +get"),
        // A first argument that is not UTF-8, and a selector.
        [&b"ACL SETUSER bob on (+get ~x*)"[..], b"+select|\xff1"]
            .iter()
            .flat_map(|part| part.split(|&b| b == b' '))
            .map(<[u8]>::to_vec)
            .collect(),
        words("CONFIG SET hash-max-listpack-entries 64"),
    ];
    apply_all(&mut engine, 0, others);
    apply_all(&mut engine, 3, vec![words("SET other db")]);
    engine
}

/// Snapshots of [`rich_engine`] in every format version, and of an empty engine.
pub fn snapshots() -> Vec<Vec<u8>> {
    let engine = rich_engine();
    let mut out = vec![Engine::new().encode_snapshot(), engine.encode_snapshot()];
    for version in 1..snapshot::VERSION {
        out.push(snapshot::encode_as(
            engine.keyspace(),
            engine.now_ms(),
            version,
        ));
    }
    out
}
