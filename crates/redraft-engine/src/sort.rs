//! SORT and SORT_RO (sort.c): the elements of a list, set or sorted set, ordered numerically
//! or bytewise, optionally by weights read from other keys (`BY pattern`), cut with LIMIT,
//! projected through `GET pattern`s, and returned or stored as a list.
//!
//! SORT converts a sorted set it sorts to the skiplist encoding, as Redis does; SORT_RO is a
//! read here and cannot, so it leaves a small sorted set listpack-encoded (Redis converts it).
//!
//! ALPHA compares bytes (Redis uses strcoll, which is byte order in the C locale the server
//! runs in here). Elements of a hash-table set or sorted set are collected in their
//! encoding's order, so ties under `BY` (equal or missing weights) may come out in another
//! order than Redis's, whose hash-table order is unspecified too.

use std::cmp::Ordering;

use crate::args::{c_str, is, reply, syntax_error, NOT_INTEGER};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::keyspace::{Db, Entry, Value};
use crate::list::{End, ListValue};
use crate::reply::Reply;
use crate::score::parse_score;
use crate::table::{
    cmd, legacy, CommandSpec,
    Kind::{Read, Write},
    DENYOOM,
};

/// SORT's parsed options.
#[derive(Default)]
struct SortArgs<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    dontsort: bool,
    gets: Vec<&'a [u8]>,
}

fn parse(argv: &[Vec<u8>], readonly: bool) -> Result<SortArgs<'_>, Reply> {
    let mut args = SortArgs {
        limit_count: -1,
        ..SortArgs::default()
    };
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let arg = &argv[j];
        if is(arg, "asc") {
            args.desc = false;
        } else if is(arg, "desc") {
            args.desc = true;
        } else if is(arg, "alpha") {
            args.alpha = true;
        } else if is(arg, "limit") && left >= 2 {
            let long =
                |a: &[u8]| crate::args::parse_i64(a).ok_or_else(|| Reply::error(NOT_INTEGER));
            args.limit_start = long(&argv[j + 1])?;
            args.limit_count = long(&argv[j + 2])?;
            j += 2;
        } else if !readonly && is(arg, "store") && left >= 1 {
            args.store = Some(&argv[j + 1]);
            j += 1;
        } else if is(arg, "by") && left >= 1 {
            let pattern = &argv[j + 1];
            args.by = Some(pattern);
            if !c_str(pattern).contains(&b'*') {
                args.dontsort = true;
            }
            j += 1;
        } else if is(arg, "get") && left >= 1 {
            args.gets.push(&argv[j + 1]);
            j += 1;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    Ok(args)
}

/// The value a pattern names for `element` (lookupKeyByPattern): `#` is the element itself;
/// otherwise the first `*` is replaced by the element and the key read as a string, or as a
/// hash field when `->field` follows the `*`. None when there is no such value.
fn lookup_by_pattern(db: &Db, now_ms: u64, pattern: &[u8], element: &[u8]) -> Option<Vec<u8>> {
    let text = c_str(pattern);
    if text == b"#" {
        return Some(element.to_vec());
    }
    let star = text.iter().position(|&b| b == b'*')?;
    let after = &text[star + 1..];
    let field = after
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&at| at + 2 < after.len())
        .map(|at| star + 1 + at);
    let (postfix_end, field) = match field {
        Some(arrow) => (arrow, Some(&pattern[arrow + 2..])),
        None => (pattern.len(), None),
    };
    let mut key = pattern[..star].to_vec();
    key.extend_from_slice(element);
    key.extend_from_slice(&pattern[star + 1..postfix_end]);
    let entry = db.get(&key, now_ms)?;
    match (field, &entry.value) {
        (Some(field), Value::Hash(hash)) => hash.get(field).map(<[u8]>::to_vec),
        (None, Value::String(bytes)) => Some(bytes.clone()),
        _ => None,
    }
}

/// A numeric weight as SORT reads it with strtod: leading spaces allowed, the whole C string
/// consumed, no NaN, no out-of-range value; the empty string is 0.
fn weight(bytes: &[u8]) -> Option<f64> {
    let text = c_str(bytes);
    if text.is_empty() {
        return Some(0.0);
    }
    let start = text
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))?;
    parse_score(&text[start..])
}

struct Item {
    element: Vec<u8>,
    score: f64,
    by: Option<Vec<u8>>,
}

/// The sorted elements between LIMIT's bounds, or the error of a weight that is not a number.
fn sorted(
    db: &Db,
    now_ms: u64,
    argv: &[Vec<u8>],
    args: &mut SortArgs,
) -> Result<Vec<Vec<u8>>, Reply> {
    let value = db.get(&argv[1], now_ms).map(|entry| &entry.value);
    let is_set = matches!(value, Some(Value::Set(_)));
    if args.dontsort && is_set && args.store.is_some() {
        args.dontsort = false;
        args.alpha = true;
        args.by = None;
    }
    let len = match value {
        None => 0,
        Some(Value::List(list)) => list.len(),
        Some(Value::Set(set)) => set.len(),
        Some(Value::ZSet(zset)) => zset.len(),
        Some(_) => return Err(Reply::wrong_type()),
    } as i64;
    let mut start = args.limit_start.clamp(0, len);
    let count = args.limit_count.clamp(-1, len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    // The range start..=end, empty when end < start (weights are still checked then).
    let range = if end < start {
        0..0
    } else {
        start as usize..end as usize + 1
    };
    let elements: Vec<Vec<u8>> = match value {
        None => Vec::new(),
        Some(Value::List(list)) => {
            if args.dontsort {
                let (skip, take) = (range.start, range.len());
                let picked: Vec<Vec<u8>> = if args.desc {
                    list.iter()
                        .rev()
                        .skip(skip)
                        .take(take)
                        .map(<[u8]>::to_vec)
                        .collect()
                } else {
                    list.iter_from(skip)
                        .take(take)
                        .map(<[u8]>::to_vec)
                        .collect()
                };
                return Ok(picked);
            }
            list.iter().map(<[u8]>::to_vec).collect()
        }
        Some(Value::Set(set)) => set.iter().map(|m| m.into_owned()).collect(),
        Some(Value::ZSet(zset)) => {
            let ranks = range
                .clone()
                .map(|i| if args.desc { zset.len() - 1 - i } else { i });
            if args.dontsort {
                let picked = zset.entries_at(ranks).into_iter();
                return Ok(picked.map(|(_, member)| member).collect());
            }
            zset.entries().into_iter().map(|(_, m)| m).collect()
        }
        Some(_) => unreachable!("type checked above"),
    };
    if args.dontsort {
        return Ok(elements[range].to_vec());
    }
    let mut items = Vec::with_capacity(elements.len());
    let mut not_a_number = false;
    for element in elements {
        let mut item = Item {
            element,
            score: 0.0,
            by: None,
        };
        let by_value = match args.by {
            Some(pattern) => lookup_by_pattern(db, now_ms, pattern, &item.element),
            None => Some(item.element.clone()),
        };
        if let Some(by_value) = by_value {
            if args.alpha {
                if args.by.is_some() {
                    item.by = Some(by_value);
                }
            } else {
                match weight(&by_value) {
                    Some(score) => item.score = score,
                    None => not_a_number = true,
                }
            }
        }
        items.push(item);
    }
    let alpha = args.alpha;
    let by_pattern = args.by.is_some();
    items.sort_by(|a, b| {
        let cmp = if !alpha {
            a.score
                .partial_cmp(&b.score)
                .unwrap_or(Ordering::Equal)
                .then_with(|| a.element.cmp(&b.element))
        } else if by_pattern {
            match (&a.by, &b.by) {
                (Some(x), Some(y)) => x.cmp(y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            }
        } else {
            a.element.cmp(&b.element)
        };
        if args.desc {
            cmp.reverse()
        } else {
            cmp
        }
    });
    if not_a_number {
        return Err(Reply::error(
            "ERR One or more scores can't be converted into double",
        ));
    }
    Ok(items.drain(range).map(|item| item.element).collect())
}

/// The output values: the elements themselves, or per element one value per GET pattern
/// (None where the pattern names nothing).
fn projected(
    db: &Db,
    now_ms: u64,
    args: &SortArgs,
    elements: Vec<Vec<u8>>,
) -> Vec<Option<Vec<u8>>> {
    if args.gets.is_empty() {
        return elements.into_iter().map(Some).collect();
    }
    elements
        .iter()
        .flat_map(|element| {
            args.gets
                .iter()
                .map(move |pattern| lookup_by_pattern(db, now_ms, pattern, element))
        })
        .collect()
}

fn sort_read(ctx: &ReadCtx, argv: &[Vec<u8>], readonly: bool) -> Result<Reply, Reply> {
    let mut args = parse(argv, readonly)?;
    let db = ctx.db();
    let elements = sorted(db, ctx.now_ms, argv, &mut args)?;
    let values = projected(db, ctx.now_ms, &args, elements);
    Ok(Reply::Array(
        values
            .into_iter()
            .map(|value| value.map_or(Reply::Nil, Reply::Bulk))
            .collect(),
    ))
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination]
pub fn sort(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(sort_result(ctx, argv))
}

fn sort_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let mut args = parse(argv, false)?;
    let now = ctx.now_ms;
    // Redis converts a sorted set it sorts to its skiplist encoding, for good.
    if let Some(Entry {
        value: Value::ZSet(zset),
        ..
    }) = ctx.db().get_mut(&argv[1], now)
    {
        zset.convert_to_large();
    }
    let Some(store) = args.store else {
        return sort_read(&ctx.as_read(), argv, false);
    };
    let values = {
        let db = ctx.db();
        let elements = sorted(db, now, argv, &mut args)?;
        projected(db, now, &args, elements)
    };
    let len = values.len() as i64;
    let db = ctx.db();
    if values.is_empty() {
        db.remove(store, now);
    } else {
        let mut list = ListValue::default();
        for value in values {
            list.push(End::Right, &value.unwrap_or_default());
        }
        db.insert(
            store,
            Entry {
                value: Value::List(list),
                expires_at_ms: None,
            },
        );
    }
    Ok(Reply::Integer(len))
}

/// SORT_RO: SORT without STORE, a read.
pub fn sort_ro(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(sort_read(ctx, argv, true))
}

pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("sort", -2, DENYOOM, 1, 1, 1, Write(legacy!(sort))),
    cmd!("sort_ro", -2, 0, 1, 1, 1, Read(legacy!(sort_ro))),
];

#[cfg(test)]
mod tests {
    use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
    use crate::reply::Reply;
    use crate::reply::WRONGTYPE;
    use crate::testutil::{apply, bulk, bulks, err, int, read};
    use crate::Engine;

    fn setup() -> Engine {
        let mut e = Engine::new();
        for cmd in [
            &["RPUSH", "l", "3", "1", "2", "10"][..],
            &["MSET", "w_3", "30", "w_1", "10", "w_2", "20", "w_10", "0"],
            &["MSET", "o_3", "c", "o_1", "a", "o_2", "b"],
            &["HSET", "h_1", "f", "x1"],
            &["HSET", "h_2", "f", "x2"],
            &["ZADD", "z", "1", "c", "2", "b", "3", "a"],
            &["SADD", "st", "5", "3", "9"],
            &["SET", "s", "str"],
            &["RPUSH", "bad", "1", "x"],
            &["RPUSH", "f", " 1.5", "1e1", ""],
        ] {
            assert!(!apply(&mut e, 1, cmd).is_error(), "{cmd:?}");
        }
        e
    }

    fn both(e: &mut Engine, args: &[&str]) -> Reply {
        let mut ro = vec!["SORT_RO"];
        ro.extend_from_slice(&args[1..]);
        let read_reply = read(e, 1, &ro);
        let write_reply = apply(e, 1, args);
        assert_eq!(read_reply, write_reply, "{args:?}");
        write_reply
    }

    #[test]
    fn sort_orders_numerically_alphabetically_and_by_patterns() {
        let mut e = setup();
        let cases: Vec<(Vec<&str>, Reply)> = vec![
            (vec!["SORT", "l"], bulks(&["1", "2", "3", "10"])),
            (vec!["SORT", "l", "DESC"], bulks(&["10", "3", "2", "1"])),
            (vec!["SORT", "l", "ALPHA"], bulks(&["1", "10", "2", "3"])),
            (
                vec!["SORT", "l", "BY", "w_*"],
                bulks(&["10", "1", "2", "3"]),
            ),
            (vec!["SORT", "l", "LIMIT", "1", "2"], bulks(&["2", "3"])),
            (
                vec!["SORT", "l", "BY", "nosort"],
                bulks(&["3", "1", "2", "10"]),
            ),
            (
                vec!["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
                bulks(&["2", "1"]),
            ),
            (
                vec!["SORT", "l", "LIMIT", "-5", "-1"],
                bulks(&["1", "2", "3", "10"]),
            ),
            (vec!["SORT", "l", "LIMIT", "10", "1"], bulks(&[])),
            (
                vec!["SORT", "bad", "LIMIT", "-1", "0"],
                err("ERR One or more scores can't be converted into double"),
            ),
            (
                vec!["SORT", "l", "BY", "w_*", "LIMIT", "0", "2", "DESC"],
                bulks(&["3", "2"]),
            ),
            (
                vec!["SORT", "l", "BY", "h_*->f", "ALPHA"],
                bulks(&["3", "10", "1", "2"]),
            ),
            (
                vec!["SORT", "l", "BY", "h_*->f", "ALPHA", "DESC"],
                bulks(&["2", "1", "3", "10"]),
            ),
            (vec!["SORT", "z", "BY", "nosort"], bulks(&["c", "b", "a"])),
            (
                vec!["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "5"],
                bulks(&["b", "c"]),
            ),
            (vec!["SORT", "z", "ALPHA"], bulks(&["a", "b", "c"])),
            (vec!["SORT", "st"], bulks(&["3", "5", "9"])),
            (vec!["SORT", "st", "BY", "nosort"], bulks(&["3", "5", "9"])),
            (vec!["SORT", "f"], bulks(&["", " 1.5", "1e1"])),
            (vec!["SORT", "nokey"], bulks(&[])),
            (
                vec!["SORT", "bad"],
                err("ERR One or more scores can't be converted into double"),
            ),
            (vec!["SORT", "bad", "ALPHA"], bulks(&["1", "x"])),
            (vec!["SORT", "l", "LIMIT", "1", "x"], err(NOT_INTEGER)),
            (vec!["SORT", "l", "foo"], err(SYNTAX_ERROR)),
            (vec!["SORT", "l", "LIMIT", "1"], err(SYNTAX_ERROR)),
            (vec!["SORT", "s"], err(WRONGTYPE)),
        ];
        for (cmd, want) in cases {
            assert_eq!(both(&mut e, &cmd), want, "{cmd:?}");
        }
        let got = both(
            &mut e,
            &[
                "SORT", "l", "BY", "w_*", "GET", "o_*", "GET", "#", "GET", "h_*->f",
            ],
        );
        let nil = Reply::Nil;
        assert_eq!(
            got,
            Reply::Array(vec![
                nil.clone(),
                bulk("10"),
                nil.clone(),
                bulk("a"),
                bulk("1"),
                bulk("x1"),
                bulk("b"),
                bulk("2"),
                bulk("x2"),
                bulk("c"),
                bulk("3"),
                nil.clone(),
            ])
        );
        assert_eq!(
            both(&mut e, &["SORT", "l", "GET", "nostar", "LIMIT", "0", "1"]),
            Reply::Array(vec![nil])
        );
    }

    #[test]
    fn sort_store_writes_a_list_and_sort_ro_refuses_store() {
        let mut e = setup();
        assert_eq!(apply(&mut e, 1, &["SORT", "l", "STORE", "dst"]), int(4));
        assert_eq!(
            read(&e, 1, &["LRANGE", "dst", "0", "-1"]),
            bulks(&["1", "2", "3", "10"])
        );
        assert_eq!(
            read(&e, 1, &["SORT_RO", "l", "STORE", "dst"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            apply(&mut e, 1, &["SORT", "l", "GET", "h_*->f", "STORE", "d4"]),
            int(4)
        );
        assert_eq!(
            read(&e, 1, &["LRANGE", "d4", "0", "-1"]),
            bulks(&["x1", "x2", "", ""])
        );
        // A set under BY nosort with STORE is sorted alphabetically, as Redis forces.
        assert_eq!(apply(&mut e, 1, &["SADD", "sx", "b", "c", "a"]), int(3));
        assert_eq!(
            apply(&mut e, 1, &["SORT", "sx", "BY", "nosort", "STORE", "d5"]),
            int(3)
        );
        assert_eq!(
            read(&e, 1, &["LRANGE", "d5", "0", "-1"]),
            bulks(&["a", "b", "c"])
        );
        // An empty result deletes the destination, whatever it held; the TTL goes too.
        apply(&mut e, 1, &["SET", "dst2", "v", "EX", "100"]);
        assert_eq!(
            apply(&mut e, 1, &["SORT", "nokey", "STORE", "dst2"]),
            int(0)
        );
        assert_eq!(read(&e, 1, &["EXISTS", "dst2"]), int(0));
        apply(&mut e, 1, &["SET", "dst3", "v", "EX", "100"]);
        assert_eq!(apply(&mut e, 1, &["SORT", "l", "STORE", "dst3"]), int(4));
        assert_eq!(read(&e, 1, &["TTL", "dst3"]), int(-1));
        assert_eq!(
            apply(&mut e, 1, &["SORT", "bad", "STORE", "dst3"]),
            err("ERR One or more scores can't be converted into double")
        );
        assert_eq!(read(&e, 1, &["LLEN", "dst3"]), int(4));
        assert_eq!(
            apply(&mut e, 1, &["SORT", "s", "STORE", "d"]),
            err(WRONGTYPE)
        );
    }

    #[test]
    fn sort_converts_a_sorted_set_to_skiplist_and_sort_ro_cannot() {
        let mut e = setup();
        assert_eq!(
            read(&e, 1, &["SORT_RO", "z", "ALPHA"]),
            bulks(&["a", "b", "c"])
        );
        assert_eq!(read(&e, 1, &["OBJECT", "ENCODING", "z"]), bulk("listpack"));
        assert_eq!(apply(&mut e, 1, &["SORT", "z", "foo"]), err(SYNTAX_ERROR));
        assert_eq!(read(&e, 1, &["OBJECT", "ENCODING", "z"]), bulk("listpack"));
        assert_eq!(
            apply(&mut e, 1, &["SORT", "z", "BY", "nosort"]),
            bulks(&["c", "b", "a"])
        );
        assert_eq!(read(&e, 1, &["OBJECT", "ENCODING", "z"]), bulk("skiplist"));
        assert_eq!(
            apply(&mut e, 1, &["SORT", "z", "BY", "nosort"]),
            bulks(&["c", "b", "a"])
        );
    }
}
