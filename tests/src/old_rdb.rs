//! A small encoder of the RESTORE payload formats of Redis 6.2 and before (RDB version 9 and
//! older): ziplists, zipmaps, intsets, quicklists of ziplists, and streams as
//! RDB_TYPE_STREAM_LISTPACKS (without 7.0's counters), with the RDB version and CRC-64 footer.
//! Written from the formats' descriptions, independently of the engine's decoder, for the
//! old-payload differential (`tests/tests/differential_old_rdb.rs`).

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
