use super::*;
use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
use crate::stream::StreamId;
use crate::testutil::{apply, c, listen, notified, read, show};
use crate::Engine;

fn dump_bytes(engine: &Engine, now: u64, key: &str) -> Vec<u8> {
    match read(engine, now, format!("DUMP {key}").as_str()) {
        Reply::Bulk(bytes) => bytes,
        other => panic!("DUMP {key}: {other:?}"),
    }
}

/// A RESTORE command line whose word `P` stands for the binary `payload`.
fn restore_argv(line: &str, payload: &[u8]) -> Vec<Vec<u8>> {
    let words = c(line).into_iter();
    words
        .map(|w| if w == b"P" { payload.to_vec() } else { w })
        .collect()
}

/// Dumps `key`, restores it under `copy`, and checks the value and encoding are equal.
fn round_trip(engine: &mut Engine, key: &str) -> Vec<u8> {
    let payload = dump_bytes(engine, 1, key);
    let restored = apply(
        engine,
        1,
        restore_argv("RESTORE copy 0 P REPLACE", &payload),
    );
    assert_eq!(show(&restored), "+OK");
    let db = &engine.keyspace().dbs[0];
    let original = &db.get(key.as_bytes(), 1).unwrap().value;
    let copy = &db.get(b"copy", 1).unwrap().value;
    match (original, copy) {
        // Nodes are rebuilt from the live entries: tombstones are not carried over.
        (Value::Stream(a), Value::Stream(b)) => {
            assert!(a.entries == b.entries, "{key} entries");
            assert!(a.groups == b.groups, "{key} groups");
            assert_eq!(
                (a.last_id, a.first_id, a.max_deleted_id, a.entries_added),
                (b.last_id, b.first_id, b.max_deleted_id, b.entries_added)
            );
        }
        _ => assert!(original == copy, "{key} differs after a round trip"),
    }
    payload
}

fn with_footer(body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = codec::crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Loads a payload body (the footer is added) with the default configuration.
fn load(body: &[u8]) -> Result<Value, PayloadError> {
    deserialize(&with_footer(body), &EncodingConfig::default())
}

/// Every truncation (every `step`-th) of a payload's body is an error, and flipping any of
/// its bytes (every `step`-th, by each of `flips`) never panics.
fn mangle(payload: &[u8], step: usize, flips: &[u8]) {
    let body = &payload[..payload.len() - 10];
    for cut in (0..body.len()).step_by(step) {
        assert!(load(&body[..cut]).is_err(), "cut at {cut}");
    }
    for at in (0..body.len()).step_by(step) {
        for flip in flips {
            let mut changed = body.to_vec();
            changed[at] ^= flip;
            let _ = load(&changed);
        }
    }
}

#[test]
fn strings_round_trip_with_redis_bytes() {
    let mut engine = Engine::new();
    apply(&mut engine, 1, "SET s hello");
    let payload = round_trip(&mut engine, "s");
    // The payload Redis 7.0 gives for "hello".
    let mut expected = vec![0u8, 5];
    expected.extend_from_slice(b"hello");
    assert_eq!(payload, with_footer(&expected));
    let long = "x".repeat(300);
    // The last one is the empty string.
    for value in ["12", "-300", "70000", "12345678901", &long, ""] {
        apply(&mut engine, 1, format!("SET s {value}").as_str());
        round_trip(&mut engine, "s");
    }
    let long = "abcdefghij".repeat(20);
    apply(&mut engine, 1, format!("SET s {long}").as_str());
    let payload = round_trip(&mut engine, "s");
    assert!(
        payload.len() < long.len(),
        "long strings are LZF-compressed"
    );
    assert_eq!(payload[1], 0xc3);
}

#[test]
fn collections_round_trip_in_both_encodings() {
    let mut engine = Engine::new();
    let big: Vec<String> = (0..600).map(|i| format!("m{i}")).collect();
    let big = big.join(" ");
    let long = "v".repeat(100);
    let longs = vec![long.as_str(); 200].join(" ");
    let cases = [
        (format!("RPUSH l a 1 -5000 {long}"), TYPE_LIST_QUICKLIST_2),
        (
            format!("RPUSH biglist {big} {longs}"),
            TYPE_LIST_QUICKLIST_2,
        ),
        ("SADD ints 3 -1 100000".to_string(), TYPE_SET_INTSET),
        ("SADD strs a b 3".to_string(), TYPE_SET),
        (format!("SADD bigset {big}"), TYPE_SET),
        ("ZADD z 1.5 a -inf b 3 c".to_string(), TYPE_ZSET_LISTPACK),
        (format!("ZADD zbig 1 {long} 2 x"), TYPE_ZSET_2),
        ("HSET h f 1 g two".to_string(), TYPE_HASH_LISTPACK),
        (format!("HSET hbig f {long}"), TYPE_HASH),
    ];
    for (line, kind) in cases {
        apply(&mut engine, 1, line.as_str());
        let key = line.split(' ').nth(1).unwrap();
        let payload = round_trip(&mut engine, key);
        assert_eq!(payload[0], kind, "{key}");
        if key == "biglist" {
            assert!(payload[1] > 1, "a long list spans several quicklist nodes");
        }
    }
    assert_eq!(show(&read(&engine, 1, "DUMP nope")), "(nil)");
}

#[test]
fn streams_round_trip_with_groups() {
    let mut engine = Engine::new();
    for i in 1..300 {
        let id = format!("{i}-{}", i % 3);
        // Some values are empty: two spaces in a line make an empty argument.
        let value = "v".repeat(i % 70);
        let fields = if i % 5 == 0 {
            format!("other {value}")
        } else {
            format!("f {value} g 12")
        };
        apply(&mut engine, 1, format!("XADD st {id} {fields}").as_str());
    }
    for (now, line) in [
        (1, "XDEL st 7-1 8-2"),
        (1, "XGROUP CREATE st g1 0"),
        (1, "XGROUP CREATE st g2 $"),
        (5, "XREADGROUP GROUP g1 alice COUNT 3 STREAMS st >"),
        (6, "XREADGROUP GROUP g1 bob COUNT 2 STREAMS st >"),
        (7, "XACK st g1 2-2"),
        (7, "XGROUP CREATECONSUMER st g2 carol"),
        // An emptied stream with a group still dumps and loads.
        (1, "XADD e 1-1 f v"),
        (1, "XGROUP CREATE e g $"),
        (1, "XDEL e 1-1"),
    ] {
        assert!(!apply(&mut engine, now, line).is_error(), "{line}");
    }
    let payload = round_trip(&mut engine, "st");
    assert_eq!(payload[0], TYPE_STREAM_LISTPACKS_2);
    mangle(&payload, 7, &[0x21]);
    round_trip(&mut engine, "e");
}

#[test]
fn restore_checks_options_key_ttl_then_payload() {
    let mut engine = Engine::new();
    apply(&mut engine, 1, "SET s v");
    let payload = dump_bytes(&engine, 1, "s");
    let mut corrupt = payload.clone();
    corrupt[2] ^= 1;
    for bad in [&b"short"[..], &corrupt] {
        let reply = apply(&mut engine, 1, restore_argv("RESTORE n 0 P", bad));
        assert_eq!(show(&reply), CHECKSUM_ERROR);
    }
    for (line, expected) in [
        ("RESTORE s 0 P", BUSYKEY),
        ("RESTORE s x P BOGUS", SYNTAX_ERROR),
        ("RESTORE n 0 P IDLETIME", SYNTAX_ERROR),
        (
            "RESTORE n 0 P IDLETIME -1",
            "ERR Invalid IDLETIME value, must be >= 0",
        ),
        (
            "RESTORE n 0 P FREQ 256",
            "ERR Invalid FREQ value, must be >= 0 and <= 255",
        ),
        ("RESTORE n 0 P FREQ x", NOT_INTEGER),
        ("RESTORE n 0 P FREQ 1 IDLETIME 1", SYNTAX_ERROR),
        ("RESTORE n -1 P", "ERR Invalid TTL value, must be >= 0"),
        ("RESTORE n 1.5 P", NOT_INTEGER),
        ("RESTORE n 0 P IDLETIME 5 REPLACE", "+OK"),
        ("RESTORE s 0 P replace freq 3", "+OK"),
    ] {
        let reply = apply(&mut engine, 1, restore_argv(line, &payload));
        assert_eq!(show(&reply), expected, "{line}");
    }
    assert_eq!(show(&read(&engine, 1, "GET n")), "v");
}

#[test]
fn restore_ttls_relative_absolute_and_past() {
    let mut engine = Engine::new();
    apply(&mut engine, 1000, "SET s v");
    let payload = dump_bytes(&engine, 1000, "s");
    for line in [
        "RESTORE a 500 P",
        "RESTORE b 5000 P ABSTTL",
        // A deadline already past: OK, and the key is gone (deleted with REPLACE).
        "RESTORE s 999 P ABSTTL REPLACE",
        "RESTORE c 1000 P ABSTTL",
    ] {
        let restored = apply(&mut engine, 1000, restore_argv(line, &payload));
        assert_eq!(show(&restored), "+OK", "{line}");
    }
    for (line, expected) in [
        ("PTTL a", ":500"),
        ("PEXPIRETIME b", ":5000"),
        ("EXISTS s", ":0"),
        ("EXISTS c", ":0"),
    ] {
        assert_eq!(show(&read(&engine, 1000, line)), expected, "{line}");
    }
}

#[test]
fn restore_with_a_ttl_that_overflows_past_now_leaves_no_key_as_redis() {
    let mut engine = Engine::new();
    apply(&mut engine, 1000, "SET s v");
    let payload = dump_bytes(&engine, 1000, "s");
    for line in [
        // TTL + now overflows a signed 64-bit integer: Redis answers OK and the key is gone.
        "RESTORE k 9223372036854775806 P",
        "RESTORE k 9223372036854775807 P",
        "RESTORE s 9223372036854775000 P REPLACE",
        // As absolute times they are far ahead, and the keys live.
        "RESTORE a 9223372036854775806 P ABSTTL",
        "RESTORE b 9223372036854775807 P ABSTTL",
        // The largest relative TTL that does not overflow.
        "RESTORE c 9223372036854774807 P",
    ] {
        let restored = apply(&mut engine, 1000, restore_argv(line, &payload));
        assert_eq!(show(&restored), "+OK", "{line}");
    }
    for (line, expected) in [
        ("EXISTS k s", ":0"),
        ("PEXPIRETIME a", ":9223372036854775806"),
        ("PEXPIRETIME b", ":9223372036854775807"),
        ("PEXPIRETIME c", ":9223372036854775807"),
    ] {
        assert_eq!(show(&read(&engine, 1000, line)), expected, "{line}");
    }
}

#[test]
fn corrupt_payloads_are_errors_never_panics() {
    assert_eq!(
        deserialize(b"", &EncodingConfig::default()),
        Err(PayloadError::Checksum)
    );
    let mut newer = with_footer(&[0, 1, b'x']);
    newer[3] = 11;
    assert_eq!(
        deserialize(&newer, &EncodingConfig::default()),
        Err(PayloadError::Checksum)
    );
    let huge = [0xff; 8];
    for body in [
        &[99u8][..],
        &[TYPE_SET, 0],
        &[&[TYPE_LIST, 0x80][..], &huge[..4]].concat(),
        &[&[TYPE_ZSET_2, 0x81][..], &huge[..]].concat(),
        &[TYPE_STRING, 0xc3, 1, 0x3f, 0],
        &[TYPE_STRING, 0x05, b'a'],
        &[TYPE_STREAM_LISTPACKS_2, 0],
    ] {
        assert_eq!(load(body), Err(PayloadError::BadFormat), "{body:?}");
    }
    // Every truncation and every single-byte change of real payloads: no panic.
    let mut engine = Engine::new();
    let long = "q".repeat(80);
    apply(&mut engine, 1, "HSET h f 1 g two");
    apply(&mut engine, 1, format!("ZADD z 1.5 a 2 {long}").as_str());
    apply(&mut engine, 1, "SADD s 1 2");
    apply(&mut engine, 1, "RPUSH l a b");
    for key in ["h", "z", "s", "l"] {
        mangle(&dump_bytes(&engine, 1, key), 1, &[1, 0x80, 0xff]);
    }
}

#[test]
fn duplicates_nan_and_empty_values_are_bad_data() {
    let listpack = |elements: &[&[u8]]| {
        let mut body = vec![TYPE_HASH_LISTPACK];
        codec::put_string(&mut body, &codec::listpack(elements.iter().copied()));
        body
    };
    let mut nan_score = vec![TYPE_ZSET_2, 1];
    codec::put_string(&mut nan_score, b"m");
    nan_score.extend_from_slice(&f64::NAN.to_le_bytes());
    let mut repeated_member = vec![TYPE_SET, 2];
    codec::put_string(&mut repeated_member, b"a");
    codec::put_string(&mut repeated_member, b"a");
    for body in [
        listpack(&[b"f", b"1", b"f", b"2"]),
        nan_score,
        listpack(&[]),
        repeated_member,
    ] {
        assert_eq!(load(&body), Err(PayloadError::BadFormat), "{body:?}");
    }
}

#[test]
fn older_types_load() {
    // RDB_TYPE_LIST, text-score ZSET, HASH_ZIPLIST.
    let mut body = vec![TYPE_LIST, 2];
    codec::put_string(&mut body, b"a");
    codec::put_string(&mut body, b"7");
    let Ok(Value::List(list)) = load(&body) else {
        panic!("list");
    };
    assert_eq!(
        list.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(),
        [b"a".to_vec(), b"7".to_vec()]
    );
    let mut body = vec![TYPE_ZSET, 2];
    codec::put_string(&mut body, b"a");
    body.extend_from_slice(&[3, b'2', b'.', b'5']);
    codec::put_string(&mut body, b"b");
    body.push(255);
    let Ok(Value::ZSet(zset)) = load(&body) else {
        panic!("zset");
    };
    assert_eq!(
        zset.entries(),
        vec![(f64::NEG_INFINITY, b"b".to_vec()), (2.5, b"a".to_vec())]
    );
    let mut zl = vec![0u8; 10];
    zl.extend_from_slice(&[0, 0x01, b'f', 3, 0xf2]);
    zl.push(0xff);
    let total = zl.len() as u32;
    zl[..4].copy_from_slice(&total.to_le_bytes());
    zl[4..8].copy_from_slice(&13u32.to_le_bytes());
    zl[8..10].copy_from_slice(&2u16.to_le_bytes());
    let mut body = vec![TYPE_HASH_ZIPLIST];
    codec::put_string(&mut body, &zl);
    let Ok(Value::Hash(hash)) = load(&body) else {
        panic!("hash");
    };
    assert_eq!(hash.get(b"f"), Some(&b"1"[..]));
}

#[test]
fn restore_notifies_restore_or_the_deletion_of_the_key_it_replaced() {
    let mut engine = Engine::new();
    apply(&mut engine, 1000, "SET s v");
    let payload = dump_bytes(&engine, 1000, "s");
    listen(&mut engine, "Egn");
    for (line, expected) in [
        ("RESTORE a 0 P", &["new a", "restore a"][..]),
        ("RESTORE a 0 P", &[]),
        ("RESTORE a 500 P REPLACE", &["new a", "restore a"]),
        ("RESTORE a 999 P ABSTTL REPLACE", &["del a"]),
        ("RESTORE a 999 P ABSTTL REPLACE", &[]),
    ] {
        apply(&mut engine, 1000, restore_argv(line, &payload));
        assert_eq!(notified(&mut engine), expected, "{line}");
    }
}

/// Random values for the round-trip property: elements of every shape RDB distinguishes
/// (small and large integers, short, long and binary strings), in counts on both sides of the
/// compact encodings' thresholds.
struct ValueGen(crate::rng::Rng);

impl ValueGen {
    fn element(&mut self, n: usize) -> Vec<u8> {
        match self.0.below(6) {
            0 => format!("{}", n as i64 - 50).into_bytes(),
            1 => format!("{}", 9_000_000_000_000i64 + n as i64).into_bytes(),
            2 => format!("m{n}").into_bytes(),
            3 => {
                let len = self.0.below(300);
                format!("{n}{}", "x".repeat(len)).into_bytes()
            }
            4 => vec![0, 255, b'\r', b'\n', n as u8, (n >> 8) as u8],
            _ => format!("{n}.5").into_bytes(),
        }
    }

    fn count(&mut self) -> usize {
        match self.0.below(3) {
            0 => 1 + self.0.below(5),
            1 => 100 + self.0.below(60),
            _ => 500 + self.0.below(200),
        }
    }

    fn score(&mut self) -> &'static str {
        ["1", "-2.5", "inf", "-inf", "0.1", "1e300", "3"][self.0.below(7)]
    }

    /// The command that builds key `key` as the value of kind `kind`.
    fn build(&mut self, kind: usize, key: &str) -> Vec<Vec<u8>> {
        let count = self.count();
        let head = |name: &str| vec![name.as_bytes().to_vec(), key.as_bytes().to_vec()];
        let mut argv = match kind {
            0 => head("RPUSH"),
            1 => head("SADD"),
            2 => head("ZADD"),
            3 => head("HSET"),
            _ => return vec![b"SET".to_vec(), key.into(), self.element(count)],
        };
        for n in 0..count {
            match kind {
                2 => argv.push(self.score().into()),
                3 => argv.push(format!("f{n}").into_bytes()),
                _ => {}
            }
            argv.push(self.element(n));
        }
        argv
    }
}

#[test]
fn every_value_the_engine_builds_round_trips_through_dump_and_restore() {
    let mut engine = Engine::new();
    let mut values = ValueGen(crate::rng::Rng::new(7));
    for round in 0..150 {
        let key = format!("k{round}");
        let kind = round % 6;
        if kind == 5 {
            build_stream(&mut engine, &key, &mut values);
        } else {
            let argv = values.build(kind, &key);
            let reply = apply(&mut engine, 1, argv);
            assert!(!reply.is_error(), "{key}: {reply:?}");
        }
        let payload = round_trip(&mut engine, &key);
        // A restored stream packs its live entries into fresh nodes: equal as a value, not
        // as bytes. Every other value dumps again to the same bytes.
        if kind != 5 {
            let again = dump_bytes(&engine, 1, "copy");
            assert!(again == payload, "{key}: the copy dumps to other bytes");
        }
    }
}

/// A stream with deleted entries and a consumer group with pending entries.
fn build_stream(engine: &mut Engine, key: &str, values: &mut ValueGen) {
    let count = values.count().min(300);
    for n in 0..count {
        let id = format!("{}-{}", 1 + n / 3, n % 3);
        let argv = vec![
            b"XADD".to_vec(),
            key.into(),
            id.into(),
            b"f".to_vec(),
            values.element(n),
        ];
        assert!(!apply(engine, 1, argv).is_error());
    }
    apply(engine, 1, format!("XDEL {key} 1-1 2-0").as_str());
    apply(engine, 1, format!("XGROUP CREATE {key} g 0").as_str());
    apply(
        engine,
        1,
        format!("XREADGROUP GROUP g c COUNT 2 STREAMS {key} >").as_str(),
    );
}

/// A ziplist of raw entries (each with its previous-entry length already), with the header
/// Redis writes: size, the last entry's offset, the count.
fn ziplist(entries: &[&[u8]]) -> Vec<u8> {
    let mut zl = vec![0u8; 10];
    let mut tail = 10;
    for entry in entries {
        tail = zl.len();
        zl.extend_from_slice(entry);
    }
    zl.push(0xff);
    let total = zl.len() as u32;
    zl[..4].copy_from_slice(&total.to_le_bytes());
    zl[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
    zl[8..10].copy_from_slice(&(entries.len() as u16).to_le_bytes());
    zl
}

fn blob_body(kind: u8, blob: &[u8]) -> Vec<u8> {
    let mut body = vec![kind];
    codec::put_string(&mut body, blob);
    body
}

fn list_items(value: Result<Value, PayloadError>) -> Vec<Vec<u8>> {
    match value {
        Ok(Value::List(list)) => list.iter().map(<[u8]>::to_vec).collect(),
        other => panic!("not a list: {other:?}"),
    }
}

#[test]
fn ziplist_lists_load_and_a_wrong_tail_offset_is_bad_data() {
    let zl = ziplist(&[
        &[0, 0x01, b'a'],
        &[3, 0xfe, 0x80],
        &[3, 0x81, 0, 0, 0, 1, b'z'],
    ]);
    assert_eq!(
        list_items(load(&blob_body(TYPE_LIST_ZIPLIST, &zl))),
        [b"a".to_vec(), b"-128".to_vec(), b"z".to_vec()]
    );
    let mut wrong_tail = zl.clone();
    wrong_tail[4] = 10;
    assert_eq!(
        load(&blob_body(TYPE_LIST_ZIPLIST, &wrong_tail)),
        Err(PayloadError::BadFormat)
    );
    // An empty ziplist is an empty list; in a quicklist an empty node is skipped.
    let empty = ziplist(&[]);
    assert_eq!(
        load(&blob_body(TYPE_LIST_ZIPLIST, &empty)),
        Err(PayloadError::BadFormat)
    );
    let mut quicklist = vec![TYPE_LIST_QUICKLIST, 2];
    codec::put_string(&mut quicklist, &empty);
    codec::put_string(&mut quicklist, &zl);
    assert_eq!(list_items(load(&quicklist)).len(), 3);
}

fn zipmap_body(count: u8, entries: &[u8]) -> Vec<u8> {
    let mut zm = vec![count];
    zm.extend_from_slice(entries);
    zm.push(0xff);
    blob_body(TYPE_HASH_ZIPMAP, &zm)
}

#[test]
fn zipmap_hashes_load_as_redis_7_loads_them() {
    // "a" → "1", then "b" → "xy" followed by 3 free bytes.
    let two = [1, b'a', 1, 0, b'1', 1, b'b', 2, 3, b'x', b'y', 0, 0, 0];
    for count in [2, 254] {
        let Ok(Value::Hash(hash)) = load(&zipmap_body(count, &two)) else {
            panic!("zipmap with count {count}");
        };
        assert_eq!(hash.len(), 2);
        assert_eq!(hash.get(b"b"), Some(&b"xy"[..]));
        assert_eq!(hash.encoding_name(), "listpack");
    }
    // A 300-byte field: the 5-byte length form, and a hash table for its size.
    let mut long = vec![254];
    long.extend_from_slice(&300u32.to_le_bytes());
    long.extend_from_slice(&[b'k'; 300]);
    long.extend_from_slice(&[1, 0, b'v']);
    let Ok(Value::Hash(hash)) = load(&zipmap_body(1, &long)) else {
        panic!("long field");
    };
    assert_eq!(hash.encoding_name(), "hashtable");
    // Bytes after the first end byte are ignored, as Redis ignores them.
    let Ok(Value::Hash(hash)) = load(&zipmap_body(1, &[1, b'a', 1, 0, b'1', 0xff, 7])) else {
        panic!("trailing bytes");
    };
    assert_eq!(hash.len(), 1);
    let mut short_in_long_form = vec![254];
    short_in_long_form.extend_from_slice(&1u32.to_le_bytes());
    short_in_long_form.extend_from_slice(&[b'k', 1, 0, b'v']);
    for bad in [
        zipmap_body(3, &two),
        zipmap_body(255, &two),
        zipmap_body(0, &[]),
        zipmap_body(2, &[1, b'a', 1, 0, b'1', 1, b'a', 1, 0, b'2']),
        zipmap_body(1, &short_in_long_form),
        zipmap_body(1, &[1, b'a', 1, 9, b'1']),
        blob_body(TYPE_HASH_ZIPMAP, &[]),
    ] {
        assert_eq!(load(&bad), Err(PayloadError::BadFormat), "{bad:?}");
    }
}

/// A stream payload as Redis 6.2 wrote it: one node at 10-0 holding 10-0 (f=a), 10-1
/// (deleted), 11-0 (g=b), the length and last ID, then a group whose last delivered ID is
/// `group_last` with 10-0 pending for consumer "c".
fn old_stream_body(group_last: (u64, u64)) -> Vec<u8> {
    let i = |n: i64| n.to_string().into_bytes();
    let s = |t: &str| t.as_bytes().to_vec();
    let elements: Vec<Vec<u8>> = vec![
        // live, deleted, master fields, the master field "f", the master terminator.
        i(2),
        i(1),
        i(1),
        s("f"),
        i(0),
        // 10-0 with the master's fields; 10-1 the same, deleted.
        i(2),
        i(0),
        i(0),
        s("a"),
        i(4),
        i(3),
        i(0),
        i(1),
        s("a"),
        i(4),
        // 11-0 with its own field.
        i(0),
        i(1),
        i(0),
        i(1),
        s("g"),
        s("b"),
        i(6),
    ];
    let mut body = vec![TYPE_STREAM_LISTPACKS, 1];
    let mut master = 10u64.to_be_bytes().to_vec();
    master.extend_from_slice(&0u64.to_be_bytes());
    codec::put_string(&mut body, &master);
    codec::put_string(
        &mut body,
        &codec::listpack(elements.iter().map(Vec::as_slice)),
    );
    body.extend_from_slice(&[2, 12, 0, 1]);
    codec::put_string(&mut body, b"g");
    body.extend_from_slice(&[group_last.0 as u8, group_last.1 as u8, 1]);
    body.extend_from_slice(&master);
    body.extend_from_slice(&7000i64.to_le_bytes());
    body.extend_from_slice(&[2, 1]);
    codec::put_string(&mut body, b"c");
    body.extend_from_slice(&6000i64.to_le_bytes());
    body.push(1);
    body.extend_from_slice(&master);
    body
}

#[test]
fn streams_from_before_7_0_get_the_counters_7_0_derives() {
    // Group last IDs and the read counter 7.0 estimates for each (-1: unknown).
    for (last, read) in [
        ((0, 0), 0),
        ((10, 0), 1),
        ((10, 1), -1),
        ((12, 0), 2),
        ((13, 0), -1),
    ] {
        let Ok(Value::Stream(stream)) = load(&old_stream_body(last)) else {
            panic!("old stream, group at {last:?}");
        };
        assert_eq!(stream.len(), 2);
        assert_eq!(stream.entries_added, 2);
        assert_eq!(stream.first_id, StreamId::new(10, 0));
        assert_eq!(stream.max_deleted_id, StreamId::MIN);
        assert_eq!(stream.last_id, StreamId::new(12, 0));
        let group = &stream.groups[&b"g".to_vec()];
        assert_eq!(group.entries_read, read, "{last:?}");
        assert_eq!(group.pel[&StreamId::new(10, 0)].delivery_count, 2);
        assert_eq!(group.consumers[&b"c".to_vec()].seen_time_ms, 6000);
    }
    // An empty stream records the largest ID as its first.
    let Ok(Value::Stream(empty)) = load(&[TYPE_STREAM_LISTPACKS, 0, 0, 5, 3, 0]) else {
        panic!("empty old stream");
    };
    assert_eq!(
        (empty.first_id, empty.last_id, empty.entries_added),
        (StreamId::MAX, StreamId::new(5, 3), 0)
    );
    mangle(&with_footer(&old_stream_body((10, 0))), 1, &[0x01, 0x80]);
}
