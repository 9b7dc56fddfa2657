//! RESTORE of payloads as Redis 6.2 and older wrote them (RDB version 9 and before): each
//! payload, built by this file's own small encoder of the old formats (ziplists, zipmaps,
//! intsets, quicklists of ziplists, streams without 7.0's counters), is restored on
//! redis-server 7.0 and on redraft, and everything a client can read of the result must be
//! equal: RESTORE's reply, TYPE, OBJECT ENCODING, the contents, the expiry, for streams
//! XINFO STREAM (FULL), XINFO GROUPS and XPENDING, and the value after a DUMP of it is
//! restored on the other side. Broken payloads must be refused with the same error; seeded
//! bit flips of list and hash payloads (ziplists and zipmaps, which Redis always validates
//! deeply) must fare alike on both. (Not intsets and sorted sets: Redis loads an intset out of
//! order and a score that is no number, which redraft refuses; docs/commands.md, restore.)
//!
//! The radix-tree counts of XINFO STREAM are not compared: redraft rebuilds a restored
//! stream's nodes from its live entries (docs/commands.md, restore).
//!
//! `REDRAFT_DIFF_SEED` replays a run's bit flips.

use rand::rngs::StdRng;
use rand::Rng;
use redis_protocol::resp2::types::OwnedFrame;
use redraft_tests::differential_tests;
use redraft_tests::driver::{bulk, c, parse, Against, Ops, Side, Sides};
use redraft_tests::raw::show;

/// The scripted cases run once; the bit flips of each flippable case are this many times the
/// engine's ops (see [`Ops`]).
const ROUNDS: Ops = Ops {
    engine: 12,
    follower: 2,
};

/// A far deadline, for RESTORE ... ABSTTL: the same on both sides whatever their clocks.
const DEADLINE_MS: &str = "4102444800000";

/// The old formats, written as Redis 6.2 and older wrote them.
mod old {
    /// CRC-64 Jones, reflected (Redis's crc64), bit by bit: independent of the engine's table.
    fn crc64(bytes: &[u8]) -> u64 {
        let mut crc = 0u64;
        for byte in bytes {
            crc ^= u64::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0x95ac_9329_ac4b_c9b5
                } else {
                    crc >> 1
                };
            }
        }
        crc
    }

    /// A DUMP payload: the body, the RDB version and the CRC-64.
    pub fn payload(body: &[u8], version: u16) -> Vec<u8> {
        let mut out = body.to_vec();
        out.extend_from_slice(&version.to_le_bytes());
        let crc = crc64(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    pub fn len(out: &mut Vec<u8>, n: u64) {
        if n < 64 {
            out.push(n as u8);
        } else if n < 16384 {
            out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
        } else if n <= u64::from(u32::MAX) {
            out.push(0x80);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0x81);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }

    /// An RDB string as plain length and bytes.
    pub fn string(out: &mut Vec<u8>, bytes: &[u8]) {
        len(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }

    /// A body of one type byte and one string (the blob types).
    pub fn blob(kind: u8, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![kind];
        string(&mut out, bytes);
        out
    }

    /// An element of a ziplist or listpack.
    #[derive(Clone)]
    pub enum E {
        Int(i64),
        Str(Vec<u8>),
    }

    pub fn s(text: &str) -> E {
        E::Str(text.as_bytes().to_vec())
    }

    /// A ziplist entry's encoding and data: integers in the smallest of the 4-bit immediate,
    /// 8, 16, 24, 32 and 64 bits; strings with 6, 14 or 32-bit lengths.
    fn ziplist_data(element: &E) -> Vec<u8> {
        let mut out = Vec::new();
        match element {
            E::Int(n @ 0..=12) => out.push(0xf1 + *n as u8),
            E::Int(n) if i8::try_from(*n).is_ok() => out.extend_from_slice(&[0xfe, *n as u8]),
            E::Int(n) if i16::try_from(*n).is_ok() => {
                out.push(0xc0);
                out.extend_from_slice(&(*n as i16).to_le_bytes());
            }
            E::Int(n) if (-(1 << 23)..(1 << 23)).contains(n) => {
                out.push(0xf0);
                out.extend_from_slice(&(*n as i32).to_le_bytes()[..3]);
            }
            E::Int(n) if i32::try_from(*n).is_ok() => {
                out.push(0xd0);
                out.extend_from_slice(&(*n as i32).to_le_bytes());
            }
            E::Int(n) => {
                out.push(0xe0);
                out.extend_from_slice(&n.to_le_bytes());
            }
            E::Str(bytes) => {
                let n = bytes.len();
                if n < 64 {
                    out.push(n as u8);
                } else if n < 16384 {
                    out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
                } else {
                    out.push(0x80);
                    out.extend_from_slice(&(n as u32).to_be_bytes());
                }
                out.extend_from_slice(bytes);
            }
        }
        out
    }

    /// A ziplist; `wide_prevlen` writes every previous-entry length in its 5-byte form, as
    /// Redis leaves some after a cascading update.
    pub fn ziplist(elements: &[E], wide_prevlen: bool) -> Vec<u8> {
        let mut zl = vec![0u8; 10];
        let mut tail = 10usize;
        let mut prev = 0usize;
        for element in elements {
            tail = zl.len();
            if prev < 254 && !wide_prevlen {
                zl.push(prev as u8);
            } else {
                zl.push(0xfe);
                zl.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            zl.extend_from_slice(&ziplist_data(element));
            prev = zl.len() - tail;
        }
        zl.push(0xff);
        let total = zl.len() as u32;
        zl[..4].copy_from_slice(&total.to_le_bytes());
        zl[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
        let count = u16::try_from(elements.len()).unwrap_or(u16::MAX);
        zl[8..10].copy_from_slice(&count.to_le_bytes());
        zl
    }

    /// A zipmap of (field, value, free bytes after the value); `count` None writes 254
    /// ("count unknown").
    pub fn zipmap(pairs: &[(&[u8], &[u8], u8)], count: Option<u8>) -> Vec<u8> {
        fn zipmap_len(out: &mut Vec<u8>, n: usize) {
            if n < 254 {
                out.push(n as u8);
            } else {
                out.push(254);
                out.extend_from_slice(&(n as u32).to_le_bytes());
            }
        }
        let mut out = vec![count.unwrap_or(254)];
        for (field, value, free) in pairs {
            zipmap_len(&mut out, field.len());
            out.extend_from_slice(field);
            zipmap_len(&mut out, value.len());
            out.push(*free);
            out.extend_from_slice(value);
            out.extend(std::iter::repeat_n(0xaa, usize::from(*free)));
        }
        out.push(0xff);
        out
    }

    /// An intset of `width` bytes per member (ascending members).
    pub fn intset(width: u32, members: &[i64]) -> Vec<u8> {
        let mut out = width.to_le_bytes().to_vec();
        out.extend_from_slice(&(members.len() as u32).to_le_bytes());
        for m in members {
            out.extend_from_slice(&m.to_le_bytes()[..width as usize]);
        }
        out
    }

    /// A quicklist of ziplist nodes (RDB_TYPE_LIST_QUICKLIST).
    pub fn quicklist(nodes: &[Vec<u8>]) -> Vec<u8> {
        let mut out = vec![14];
        len(&mut out, nodes.len() as u64);
        for node in nodes {
            string(&mut out, node);
        }
        out
    }

    fn listpack_entry(out: &mut Vec<u8>, element: &E) {
        let start = out.len();
        match element {
            E::Int(n @ 0..=127) => out.push(*n as u8),
            E::Int(n) if (-4096..4096).contains(n) => {
                let v = (*n as u16) & 0x1fff;
                out.extend_from_slice(&[0xc0 | (v >> 8) as u8, v as u8]);
            }
            E::Int(n) if i16::try_from(*n).is_ok() => {
                out.push(0xf1);
                out.extend_from_slice(&(*n as i16).to_le_bytes());
            }
            E::Int(n) if (-(1 << 23)..(1 << 23)).contains(n) => {
                out.push(0xf2);
                out.extend_from_slice(&(*n as i32).to_le_bytes()[..3]);
            }
            E::Int(n) if i32::try_from(*n).is_ok() => {
                out.push(0xf3);
                out.extend_from_slice(&(*n as i32).to_le_bytes());
            }
            E::Int(n) => {
                out.push(0xf4);
                out.extend_from_slice(&n.to_le_bytes());
            }
            E::Str(bytes) => {
                let n = bytes.len();
                if n < 64 {
                    out.push(0x80 | n as u8);
                } else if n < 4096 {
                    out.extend_from_slice(&[0xe0 | (n >> 8) as u8, n as u8]);
                } else {
                    out.push(0xf0);
                    out.extend_from_slice(&(n as u32).to_le_bytes());
                }
                out.extend_from_slice(bytes);
            }
        }
        // The entry's length backwards: 7 bits a byte, the high bit on all but the first.
        let mut n = out.len() - start;
        let mut groups = vec![(n & 127) as u8];
        n >>= 7;
        while n > 0 {
            groups.push((n & 127) as u8);
            n >>= 7;
        }
        let last = groups.len() - 1;
        for (i, group) in groups.iter().enumerate().rev() {
            out.push(if i == last { *group } else { group | 128 });
        }
    }

    pub fn listpack(elements: &[E]) -> Vec<u8> {
        let mut out = vec![0u8; 6];
        for element in elements {
            listpack_entry(&mut out, element);
        }
        out.push(0xff);
        let total = out.len() as u32;
        out[..4].copy_from_slice(&total.to_le_bytes());
        out[4..6].copy_from_slice(&(elements.len().min(65535) as u16).to_le_bytes());
        out
    }

    pub type Id = (u64, u64);

    /// One stream entry: its ID, field-value pairs, and whether it is deleted (a tombstone).
    #[derive(Clone)]
    pub struct Entry {
        pub id: Id,
        pub fields: Vec<(String, String)>,
        pub deleted: bool,
    }

    pub fn entry(id: Id, fields: &[(&str, &str)], deleted: bool) -> Entry {
        Entry {
            id,
            fields: fields
                .iter()
                .map(|(f, v)| (f.to_string(), v.to_string()))
                .collect(),
            deleted,
        }
    }

    pub struct Group {
        pub name: &'static str,
        pub last: Id,
        /// (ID, delivery time, delivery count, owning consumer).
        pub pending: Vec<(Id, i64, u64, &'static str)>,
        /// (name, seen time).
        pub consumers: Vec<(&'static str, i64)>,
    }

    fn raw_id(out: &mut Vec<u8>, id: Id) {
        out.extend_from_slice(&id.0.to_be_bytes());
        out.extend_from_slice(&id.1.to_be_bytes());
    }

    /// A node's listpack: the master entry (live and deleted counts, the first entry's
    /// fields), then each entry relative to the master ID, flagged deleted and/or as having
    /// the master's fields.
    fn stream_node(master: Id, entries: &[Entry]) -> Vec<u8> {
        let master_fields: Vec<&String> = entries[0].fields.iter().map(|(f, _)| f).collect();
        let live = entries.iter().filter(|e| !e.deleted).count() as i64;
        let mut lp = vec![
            E::Int(live),
            E::Int(entries.len() as i64 - live),
            E::Int(master_fields.len() as i64),
        ];
        lp.extend(master_fields.iter().map(|f| s(f)));
        lp.push(E::Int(0));
        for e in entries {
            let names: Vec<&String> = e.fields.iter().map(|(f, _)| f).collect();
            let same = names == master_fields;
            let flags = i64::from(e.deleted) | if same { 2 } else { 0 };
            let n = e.fields.len() as i64;
            lp.extend([
                E::Int(flags),
                E::Int((e.id.0 - master.0) as i64),
                E::Int(e.id.1.wrapping_sub(master.1) as i64),
            ]);
            if same {
                lp.extend(e.fields.iter().map(|(_, v)| s(v)));
                lp.push(E::Int(n + 3));
            } else {
                lp.push(E::Int(n));
                for (f, v) in &e.fields {
                    lp.extend([s(f), s(v)]);
                }
                lp.push(E::Int(n * 2 + 4));
            }
        }
        listpack(&lp)
    }

    /// RDB_TYPE_STREAM_LISTPACKS: nodes (each keyed by its first entry's ID), the live length,
    /// the last ID, then the groups with their pending entries and consumers.
    pub fn stream(nodes: &[Vec<Entry>], last: Id, groups: &[Group]) -> Vec<u8> {
        let mut out = vec![15];
        len(&mut out, nodes.len() as u64);
        let mut live = 0;
        for node in nodes {
            let master = node[0].id;
            let mut key = Vec::new();
            raw_id(&mut key, master);
            string(&mut out, &key);
            string(&mut out, &stream_node(master, node));
            live += node.iter().filter(|e| !e.deleted).count() as u64;
        }
        len(&mut out, live);
        len(&mut out, last.0);
        len(&mut out, last.1);
        len(&mut out, groups.len() as u64);
        for group in groups {
            string(&mut out, group.name.as_bytes());
            len(&mut out, group.last.0);
            len(&mut out, group.last.1);
            len(&mut out, group.pending.len() as u64);
            for (id, time, count, _) in &group.pending {
                raw_id(&mut out, *id);
                out.extend_from_slice(&time.to_le_bytes());
                len(&mut out, *count);
            }
            len(&mut out, group.consumers.len() as u64);
            for (name, seen) in &group.consumers {
                string(&mut out, name.as_bytes());
                out.extend_from_slice(&seen.to_le_bytes());
                let owned: Vec<Id> = group
                    .pending
                    .iter()
                    .filter(|p| p.3 == *name)
                    .map(|p| p.0)
                    .collect();
                len(&mut out, owned.len() as u64);
                for id in owned {
                    raw_id(&mut out, id);
                }
            }
        }
        out
    }
}

use old::{entry, Group, E};

/// One scripted case: a name, the payload, and whether its bit flips are compared.
struct Case {
    name: String,
    payload: Vec<u8>,
    flip: bool,
}

fn case(name: &str, body: Vec<u8>, version: u16, flip: bool) -> Case {
    Case {
        name: name.to_string(),
        payload: old::payload(&body, version),
        flip,
    }
}

/// Ziplist elements of every integer encoding, strings of every length encoding (a 300-byte
/// one makes the next previous-entry length 5 bytes), an empty string, digits that are no
/// canonical integer.
fn every_ziplist_element() -> Vec<E> {
    let ints = [
        0,
        12,
        13,
        -1,
        -128,
        127,
        128,
        -32768,
        32767,
        40000,
        -8388608,
        8388607,
        8388608,
        i64::from(i32::MIN),
        i64::from(i32::MAX),
        i64::from(i32::MAX) + 1,
        i64::MIN,
        i64::MAX,
    ];
    let mut elements: Vec<E> = ints.iter().map(|n| E::Int(*n)).collect();
    for text in ["", "a", "007", "-0", "1.5"] {
        elements.push(old::s(text));
    }
    for n in [63, 64, 300, 16383, 16384, 70000] {
        elements.push(E::Str(vec![b'a' + (n % 26) as u8; n]));
        elements.push(E::Int(n as i64));
    }
    elements
}

fn list_cases() -> Vec<Case> {
    let every = every_ziplist_element();
    let small: Vec<E> = ["a", "b", "c"].iter().map(|t| old::s(t)).collect();
    let mut plain = vec![1u8];
    old::len(&mut plain, 3);
    for item in ["x", "12", ""] {
        old::string(&mut plain, item.as_bytes());
    }
    vec![
        case(
            "list ziplist",
            old::blob(10, &old::ziplist(&every, false)),
            9,
            false,
        ),
        case(
            "list ziplist small",
            old::blob(10, &old::ziplist(&small, false)),
            8,
            true,
        ),
        case(
            "list ziplist wide prevlens",
            old::blob(10, &old::ziplist(&small, true)),
            9,
            true,
        ),
        case(
            "quicklist of ziplists",
            old::quicklist(&[
                old::ziplist(&every[..10], false),
                old::ziplist(&[], false),
                old::ziplist(&every[10..], true),
                old::ziplist(&small, false),
            ]),
            9,
            false,
        ),
        case(
            "quicklist small",
            old::quicklist(&[
                old::ziplist(&small, false),
                old::ziplist(&small[1..], false),
            ]),
            7,
            true,
        ),
        case("plain list", plain, 6, false),
    ]
}

fn hash_cases() -> Vec<Case> {
    let long = vec![b'f'; 300];
    let many: Vec<E> = (0..140)
        .flat_map(|n| [old::s(&format!("f{n}")), E::Int(n * 1000)])
        .collect();
    let pairs = [
        old::s("a"),
        E::Int(1),
        E::Int(7),
        old::s(""),
        old::s("c"),
        E::Int(-70000),
    ];
    let mut wide = pairs.to_vec();
    wide.extend([old::s("big"), E::Str(vec![b'v'; 100])]);
    vec![
        case(
            "zipmap",
            old::blob(
                9,
                &old::zipmap(
                    &[
                        (b"a", b"1", 0),
                        (b"bb", b"xyz", 4),
                        (b"", b"", 0),
                        (b"n", b"-5", 255),
                    ],
                    Some(4),
                ),
            ),
            2,
            true,
        ),
        case(
            "zipmap count unknown, long field",
            old::blob(
                9,
                &old::zipmap(&[(b"k", b"v", 1), (&long, b"300", 0)], None),
            ),
            4,
            true,
        ),
        case(
            "hash ziplist",
            old::blob(13, &old::ziplist(&pairs, false)),
            9,
            true,
        ),
        case(
            "hash ziplist long value",
            old::blob(13, &old::ziplist(&wide, false)),
            9,
            false,
        ),
        case(
            "hash ziplist many",
            old::blob(13, &old::ziplist(&many, false)),
            9,
            false,
        ),
    ]
}

fn zset_and_set_cases() -> Vec<Case> {
    let zset: Vec<E> = vec![
        old::s("neg"),
        old::s("-inf"),
        old::s("int"),
        E::Int(-3),
        old::s("frac"),
        old::s("1.5"),
        E::Int(7),
        E::Int(2),
        old::s("exp"),
        old::s("1e10"),
        old::s("top"),
        old::s("inf"),
    ];
    let many: Vec<E> = (0..130)
        .flat_map(|n| [old::s(&format!("m{n}")), E::Int(n)])
        .collect();
    let long_member = vec![E::Str(vec![b'z'; 100]), old::s("2.5")];
    let mut text_zset = vec![3u8];
    old::len(&mut text_zset, 2);
    old::string(&mut text_zset, b"a");
    text_zset.extend_from_slice(&[3, b'2', b'.', b'5']);
    old::string(&mut text_zset, b"b");
    text_zset.push(254);
    let big_intset: Vec<i64> = (0..600).map(|n| n * 3 - 900).collect();
    vec![
        case(
            "zset ziplist",
            old::blob(12, &old::ziplist(&zset, false)),
            9,
            false,
        ),
        case(
            "zset ziplist many",
            old::blob(12, &old::ziplist(&many, false)),
            9,
            false,
        ),
        case(
            "zset ziplist long member",
            old::blob(12, &old::ziplist(&long_member, false)),
            9,
            false,
        ),
        case("zset text scores", text_zset, 5, false),
        case(
            "intset 16",
            old::blob(11, &old::intset(2, &[-32768, -1, 0, 5, 32767])),
            9,
            false,
        ),
        case(
            "intset 32",
            old::blob(11, &old::intset(4, &[-40000, 3, 2_000_000_000])),
            9,
            false,
        ),
        case(
            "intset 64",
            old::blob(11, &old::intset(8, &[i64::MIN, 0, i64::MAX])),
            9,
            false,
        ),
        case(
            "intset big",
            old::blob(11, &old::intset(2, &big_intset)),
            9,
            false,
        ),
    ]
}

fn stream_cases() -> Vec<Case> {
    let f = [("f", "v")];
    let node1 = vec![
        entry((100, 0), &f, true),
        entry((100, 1), &[("f", "w")], false),
        entry((101, 0), &[("a", "1"), ("b", "2")], false),
        entry((102, 5), &f, true),
        entry((103, 0), &[("f", "12345")], false),
    ];
    let node2 = vec![
        entry((200, 0), &[("g", "x")], false),
        entry((200, 1), &[("g", "")], true),
        entry((201, 0), &[("g", &"long".repeat(30))], false),
    ];
    let node3 = vec![entry((300, 7), &[("h", "-1"), ("i", "9")], false)];
    let group = |name, last| Group {
        name,
        last,
        pending: vec![
            ((100, 1), 5000, 3, "alice"),
            ((101, 0), 5001, 1, "bob"),
            ((200, 0), 6000, 2, "alice"),
        ],
        consumers: vec![("alice", 7000), ("bob", 7001), ("idle", 100)],
    };
    let bare = |name, last| Group {
        name,
        last,
        pending: Vec::new(),
        consumers: Vec::new(),
    };
    let nodes = || vec![node1.clone(), node2.clone(), node3.clone()];
    let mut cases = vec![
        case("stream empty", old::stream(&[], (0, 0), &[]), 9, false),
        case(
            "stream empty with groups",
            old::stream(&[], (5, 3), &[bare("g", (2, 0)), bare("h", (5, 3))]),
            9,
            false,
        ),
        case(
            "stream with groups",
            old::stream(
                &nodes(),
                (300, 9),
                &[
                    group("g1", (201, 0)),
                    bare("before", (0, 0)),
                    bare("first", (100, 1)),
                    bare("deleted", (102, 5)),
                    bare("last-entry", (300, 7)),
                    bare("last-id", (300, 9)),
                    bare("beyond", (400, 0)),
                ],
            ),
            9,
            false,
        ),
        case(
            "stream one node, version 10",
            old::stream(&[node3.clone()], (300, 7), &[group("g", (300, 7))]),
            10,
            false,
        ),
    ];
    // A stream of many entries in several nodes of 100, no deletions.
    let many: Vec<Vec<old::Entry>> = (0..3u64)
        .map(|node| {
            (0..100)
                .map(|i| entry((1000 + node * 100 + i, 0), &[("n", &i.to_string())], false))
                .collect()
        })
        .collect();
    cases.push(case(
        "stream of full nodes",
        old::stream(&many, (1299, 0), &[group("g", (1000, 0))]),
        9,
        false,
    ));
    cases
}

/// Payloads both sides must refuse, with the same error.
fn broken_cases() -> Vec<Case> {
    let small: Vec<E> = ["a", "b"].iter().map(|t| old::s(t)).collect();
    let zl = old::ziplist(&small, false);
    let mut wrong_tail = zl.clone();
    wrong_tail[4] = 10;
    let mut wrong_count = zl.clone();
    wrong_count[8] = 3;
    let mut wrong_crc = old::payload(&old::blob(10, &zl), 9);
    let at = wrong_crc.len() - 1;
    wrong_crc[at] ^= 1;
    let mut short_in_long_form = vec![1u8, 254];
    short_in_long_form.extend_from_slice(&1u32.to_le_bytes());
    short_in_long_form.extend_from_slice(&[b'k', 1, 0, b'v', 0xff]);
    let dup = [old::s("f"), E::Int(1), old::s("f"), E::Int(2)];
    let mut cases = vec![
        case("ziplist wrong tail", old::blob(10, &wrong_tail), 9, false),
        case("ziplist wrong count", old::blob(13, &wrong_count), 9, false),
        case(
            "list ziplist empty",
            old::blob(10, &old::ziplist(&[], false)),
            9,
            false,
        ),
        case(
            "quicklist all empty",
            old::quicklist(&[old::ziplist(&[], false)]),
            9,
            false,
        ),
        case(
            "hash ziplist repeated field",
            old::blob(13, &old::ziplist(&dup, false)),
            9,
            false,
        ),
        case(
            "zipmap wrong count",
            old::blob(9, &old::zipmap(&[(b"a", b"1", 0)], Some(2))),
            9,
            false,
        ),
        case(
            "zipmap empty",
            old::blob(9, &old::zipmap(&[], Some(0))),
            9,
            false,
        ),
        case(
            "zipmap long form of a short length",
            old::blob(9, &short_in_long_form),
            9,
            false,
        ),
        case(
            "intset bad width",
            old::blob(11, &old::intset(3, &[1])),
            9,
            false,
        ),
        case("version 11", old::blob(10, &zl), 11, false),
        case("module type", old::blob(6, b"x"), 9, false),
    ];
    cases.push(Case {
        name: "wrong checksum".into(),
        payload: wrong_crc,
        flip: false,
    });
    let mut cut = old::payload(&old::blob(10, &zl), 9);
    cut.drain(4..8);
    cases.push(Case {
        name: "cut short".into(),
        payload: cut,
        flip: false,
    });
    cases
}

/// RESTORE `key` with `ttl`, the payload, and then the words of `options`.
fn restore(key: &str, ttl: &str, payload: &[u8], options: &str) -> Vec<Vec<u8>> {
    let mut command = c(&format!("RESTORE {key} {ttl}"));
    command.push(payload.to_vec());
    if !options.is_empty() {
        command.extend(c(options));
    }
    command
}

/// The reply with the radix-tree counts of XINFO STREAM blanked.
fn without_radix_counts(reply: &[u8]) -> String {
    let mut text = show(reply);
    for label in ["radix-tree-keys", "radix-tree-nodes"] {
        let marker = format!("{label}\\r\\n:");
        let mut from = 0;
        while let Some(at) = text[from..].find(&marker) {
            let start = from + at + marker.len();
            let end = text[start..].find('\\').map_or(text.len(), |e| start + e);
            text.replace_range(start..end, "?");
            from = start;
        }
    }
    text
}

/// Everything a client reads of `key` on one side, in a canonical form (hash-table orders
/// sorted), with the key's name shown as KEY.
async fn readout(sides: &mut Sides, side: Side, key: &str) -> String {
    let on_key = |line: &str| c(&line.replace("KEY", key));
    let kind = String::from_utf8_lossy(&sides.on(side, &on_key("TYPE KEY")).await)
        .trim()
        .to_string();
    let encoding = sides.encoding(side, key.as_bytes()).await;
    let expiry = show(&sides.on(side, &on_key("PEXPIRETIME KEY")).await);
    let mut shown = format!("{kind} {encoding:?} expiry {expiry}\n");
    let mut lines: Vec<(String, bool)> = match kind.as_str() {
        "+string" => vec![("GET KEY".into(), false)],
        "+list" => vec![("LRANGE KEY 0 -1".into(), false)],
        "+set" => vec![("SMEMBERS KEY".into(), true)],
        "+zset" => vec![("ZRANGE KEY 0 -1 WITHSCORES".into(), false)],
        "+hash" => vec![("HGETALL KEY".into(), true)],
        "+stream" => vec![
            ("XINFO STREAM KEY".into(), false),
            ("XINFO STREAM KEY FULL".into(), false),
            ("XINFO GROUPS KEY".into(), false),
        ],
        _ => Vec::new(),
    };
    if kind == "+stream" {
        for group in ["g", "g1", "first", "beyond"] {
            lines.push((format!("XPENDING KEY {group}"), false));
            lines.push((format!("XPENDING KEY {group} - + 100"), false));
        }
    }
    for (line, sort) in lines {
        let mut reply = sides.on(side, &on_key(&line)).await;
        if reply.starts_with(b"-") {
            // Errors name the key.
            let error = String::from_utf8_lossy(&reply).replace(&format!("'{key}'"), "'KEY'");
            reply = error.into_bytes();
        }
        let text = if sort {
            sorted(&reply, kind == "+hash")
        } else if line.ends_with("100") {
            without_idle_times(&reply)
        } else {
            without_radix_counts(&reply)
        };
        shown.push_str(&format!("{line}: {text}\n"));
    }
    shown
}

/// XPENDING's extended form without the idle times (the time since delivery, by each side's
/// clock).
fn without_idle_times(reply: &[u8]) -> String {
    let OwnedFrame::Array(entries) = parse(reply) else {
        return show(reply);
    };
    let entries: Vec<String> = entries
        .into_iter()
        .map(|entry| match entry {
            OwnedFrame::Array(mut parts) if parts.len() == 4 => {
                parts[2] = OwnedFrame::Null;
                format!("{parts:?}")
            }
            other => format!("{other:?}"),
        })
        .collect();
    entries.join(",")
}

/// A flat array reply in a canonical order (pairs kept together for hashes).
fn sorted(reply: &[u8], pairs: bool) -> String {
    let OwnedFrame::Array(items) = parse(reply) else {
        return show(reply);
    };
    let items: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    let mut groups: Vec<Vec<String>> = if pairs {
        items.chunks(2).map(<[String]>::to_vec).collect()
    } else {
        items.into_iter().map(|i| vec![i]).collect()
    };
    groups.sort();
    groups.concat().join(",")
}

/// Restores the case's payload on both sides and compares all that can be read of it, and the
/// value after each side's DUMP is restored on the other: whether it loaded, or the difference.
async fn compare_case(sides: &mut Sides, case: &Case) -> Result<bool, String> {
    let command = restore("k", DEADLINE_MS, &case.payload, "ABSTTL REPLACE");
    let (redis, redraft) = sides.both(&command).await;
    if redis != redraft {
        return Err(format!(
            "RESTORE: redis {} redraft {}",
            show(&redis),
            show(&redraft)
        ));
    }
    if redis != b"+OK\r\n" {
        return Ok(false);
    }
    let shown = readout(sides, Side::Redis, "k").await;
    let theirs = readout(sides, Side::Redraft, "k").await;
    if shown != theirs {
        return Err(format!("restored value:\nredis\n{shown}redraft\n{theirs}"));
    }
    // Each side's DUMP restored on the other side reads as the original did.
    let from_redis = bulk(&sides.redis(&c("DUMP k")).await).ok_or("redis DUMP")?;
    let from_redraft = bulk(&sides.redraft(&c("DUMP k")).await).ok_or("redraft DUMP")?;
    let back = restore("back", DEADLINE_MS, &from_redraft, "ABSTTL REPLACE");
    let reply = sides.redis(&back).await;
    if reply != b"+OK\r\n" {
        return Err(format!("redis RESTORE of redraft's DUMP: {}", show(&reply)));
    }
    let back_shown = readout(sides, Side::Redis, "back").await;
    let back = restore("back", DEADLINE_MS, &from_redis, "ABSTTL REPLACE");
    let reply = sides.redraft(&back).await;
    if reply != b"+OK\r\n" {
        return Err(format!("redraft RESTORE of redis's DUMP: {}", show(&reply)));
    }
    let back_theirs = readout(sides, Side::Redraft, "back").await;
    for (what, got) in [("redraft's", &back_shown), ("redis's", &back_theirs)] {
        if *got != shown {
            return Err(format!(
                "{what} DUMP restored on the other side:\n{got}\nthe original:\n{shown}"
            ));
        }
    }
    Ok(true)
}

/// Flips a seeded bit of the payload's body (and fixes the checksum, so that the decoders
/// behind it are reached): both sides must answer alike and hold alike.
async fn compare_flip(sides: &mut Sides, rng: &mut StdRng, case: &Case) -> Result<bool, String> {
    let body_len = case.payload.len() - 10;
    let version = u16::from_le_bytes([case.payload[body_len], case.payload[body_len + 1]]);
    let mut body = case.payload[..body_len].to_vec();
    let at = rng.random_range(1..body.len());
    body[at] ^= 1 << rng.random_range(0..8);
    let flipped = Case {
        name: format!("{} with byte {at} flipped", case.name),
        payload: old::payload(&body, version),
        flip: false,
    };
    compare_case(sides, &flipped).await
}

differential_tests!(
    old_payloads_restore_as_on_redis_7_on_the_engine,
    old_payloads_restore_as_on_redis_7_on_a_follower,
    run
);

async fn run(against: Against) {
    let mut sides = Sides::start("old rdb", 0, ROUNDS, against).await;
    let mut rng = sides.rng();
    let cases: Vec<Case> = [
        list_cases(),
        hash_cases(),
        zset_and_set_cases(),
        stream_cases(),
        broken_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut loaded = 0;
    for case in &cases {
        match compare_case(&mut sides, case).await {
            Ok(ok) => loaded += usize::from(ok),
            Err(diff) => sides.fail(&case.name, &diff),
        }
    }
    // Every case but the broken ones loads.
    assert_eq!(loaded, cases.len() - broken_cases().len());
    let flips = sides.ops * 10;
    let mut flips_loaded = 0;
    for case in cases.iter().filter(|case| case.flip) {
        for _ in 0..flips {
            match compare_flip(&mut sides, &mut rng, case).await {
                Ok(ok) => flips_loaded += usize::from(ok),
                Err(diff) => sides.fail(&case.name, &diff),
            }
        }
    }
    eprintln!(
        "{} cases compared ({loaded} loaded); {flips} flips of each flippable one ({flips_loaded} loaded)",
        cases.len()
    );
}
