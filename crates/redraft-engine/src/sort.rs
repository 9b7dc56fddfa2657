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

use crate::args::{c_str, int_arg, is, syntax_error, Args};
use crate::keyspace::{Db, Entry, Value};
use crate::list::{End, ListValue};
use crate::notify::Class;
use crate::reply::{CmdResult, Reply};
use crate::score::parse_score;
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Read, Write},
    DENYOOM,
};
use crate::spec::{ReadCtx, WriteCtx};
use crate::zset::ZSetValue;

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

/// SORT's options, in Redis's order of checks; SORT_RO (`readonly`) has no STORE.
fn parse(argv: &[Vec<u8>], readonly: bool) -> Result<SortArgs<'_>, Reply> {
    let mut sort = SortArgs {
        limit_count: -1,
        ..SortArgs::default()
    };
    let mut args = Args::new(argv, 2);
    // An option short of its values is a syntax error before any value is read, as in Redis:
    // the cursor's `bytes` and `take` answer the same.
    while let Some(arg) = args.next_arg() {
        if is(arg, "asc") || is(arg, "desc") {
            sort.desc = is(arg, "desc");
        } else if is(arg, "alpha") {
            sort.alpha = true;
        } else if is(arg, "limit") {
            let limit = args.take(2)?;
            sort.limit_start = int_arg(&limit[0])?;
            sort.limit_count = int_arg(&limit[1])?;
        } else if !readonly && is(arg, "store") {
            sort.store = Some(args.bytes()?);
        } else if is(arg, "by") {
            let pattern = args.bytes()?;
            sort.by = Some(pattern);
            // A pattern without '*' names the same key for every element: no sorting at all.
            sort.dontsort |= !c_str(pattern).contains(&b'*');
        } else if is(arg, "get") {
            sort.gets.push(args.bytes()?);
        } else {
            return Err(syntax_error());
        }
    }
    Ok(sort)
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
fn sorted(db: &Db, now_ms: u64, key: &[u8], args: &mut SortArgs) -> Result<Vec<Vec<u8>>, Reply> {
    let value = db.get(key, now_ms).map(|entry| &entry.value);
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

/// SORT and SORT_RO (sortCommandGeneric): the output values, to reply or store.
fn sort_generic(
    ctx: &ReadCtx,
    key: &[u8],
    mut args: SortArgs,
) -> Result<Vec<Option<Vec<u8>>>, Reply> {
    let elements = sorted(ctx.db(), ctx.now_ms, key, &mut args)?;
    Ok(projected(ctx.db(), ctx.now_ms, &args, elements))
}

fn values_reply(values: Vec<Option<Vec<u8>>>) -> Reply {
    Reply::Array(
        values
            .into_iter()
            .map(|value| value.map_or(Reply::Nil, Reply::Bulk))
            .collect(),
    )
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination]
pub fn sort(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let args = parse(argv, false)?;
    let store = args.store;
    let now = ctx.now_ms;
    // Redis converts a sorted set it sorts to its skiplist encoding, for good.
    if let Ok(Some(zset)) = ctx.db().get_as_mut::<ZSetValue>(&argv[1], now) {
        zset.convert_to_large();
    }
    let values = sort_generic(&ctx.as_read(), &argv[1], args)?;
    let Some(store) = store else {
        return Ok(values_reply(values));
    };
    let len = values.len() as i64;
    if values.is_empty() {
        if ctx.db().remove(store, now).is_some() {
            ctx.notify(Class::GENERIC, "del", store);
        }
    } else {
        // Redis counts each element stored.
        ctx.changed(values.len() as u64);
        let mut list = ListValue::default();
        for value in values {
            list.push(End::Right, &value.unwrap_or_default());
        }
        ctx.db()
            .insert(store, Entry::new(Value::List(list), None), now);
        ctx.notify(Class::LIST, "sortstore", store);
    }
    Ok(Reply::Integer(len))
}

/// SORT_RO: SORT without STORE, a read.
pub fn sort_ro(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let args = parse(argv, true)?;
    Ok(values_reply(sort_generic(ctx, &argv[1], args)?))
}

pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "sort", -2, DENYOOM, 1, 1, 1, Write(sort),
        keys: "RO access @1; RO access @? ?; OW update @? ?",
        find_keys: sort_keys,
        docs: "generic 1.0.0",
        summary: "Orders the elements of a list, set or sorted set, optionally by external keys, and returns or stores them",
        complexity: "O(N+M*log(M)): N elements in the collection, M of them returned",
        args: "key:key#0 ?pattern:pattern=BY#1 ?offset_count:block=LIMIT(offset:integer count:integer) ?*+pattern:pattern=GET#1 ?order:oneof(asc:pure-token=ASC desc:pure-token=DESC) ?sorting:pure-token=ALPHA ?destination:key=STORE#2",
    ),
    cmd!(
        "sort_ro", -2, 0, 1, 1, 1, Read(sort_ro),
        keys: "RO access @1; RO access @? ?",
        find_keys: sort_ro_keys,
        docs: "generic 7.0.0",
        summary: "SORT without STORE, for read-only contexts",
        complexity: "O(N+M*log(M)): N elements in the collection, M of them returned",
        args: "key:key#0 ?pattern:pattern=BY#1 ?offset_count:block=LIMIT(offset:integer count:integer) ?*+pattern:pattern=GET#1 ?order:oneof(asc:pure-token=ASC desc:pure-token=DESC) ?sorting:pure-token=ALPHA",
    ),
];

/// SORT's keys for COMMAND GETKEYS: the sorted key and the last STORE's destination (BY and
/// GET patterns name no key of their own). Options' arguments are stepped over as SORT's
/// parser does, so `GET store` is no STORE.
fn sort_keys(argv: &[Vec<u8>]) -> Option<Vec<(usize, &'static [&'static str])>> {
    let mut store = None;
    let mut at = 2;
    while at < argv.len() {
        let option = argv[at].to_ascii_lowercase();
        match option.as_slice() {
            b"limit" => at += 2,
            b"get" | b"by" => at += 1,
            b"store" if at + 1 < argv.len() => {
                store = Some(at + 1);
                at += 1;
            }
            _ => {}
        }
        at += 1;
    }
    let mut keys = vec![(1, SORTED_KEY)];
    keys.extend(store.map(|at| (at, &["OW", "update"][..])));
    Some(keys)
}

/// SORT_RO's key for COMMAND GETKEYS: the sorted key.
fn sort_ro_keys(_: &[Vec<u8>]) -> Option<Vec<(usize, &'static [&'static str])>> {
    Some(vec![(1, SORTED_KEY)])
}

const SORTED_KEY: &[&str] = &["RO", "access"];

#[cfg(test)]
mod tests {
    use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
    use crate::reply::{Reply, WRONGTYPE};
    use crate::testutil::{apply, check, int, read, show};
    use crate::Engine;

    const NOT_A_NUMBER: &str = "ERR One or more scores can't be converted into double";

    fn setup() -> Engine {
        let mut e = Engine::new();
        for line in [
            "RPUSH l 3 1 2 10",
            "MSET w_3 30 w_1 10 w_2 20 w_10 0",
            "MSET o_3 c o_1 a o_2 b",
            "HSET h_1 f x1",
            "HSET h_2 f x2",
            "ZADD z 1 c 2 b 3 a",
            "SADD st 5 3 9",
            "SET s str",
            "RPUSH bad 1 x",
        ] {
            assert!(!apply(&mut e, 1, line).is_error(), "{line}");
        }
        assert_eq!(apply(&mut e, 1, &["RPUSH", "f", " 1.5", "1e1", ""]), int(3));
        e
    }

    /// SORT `options` as a write, after SORT_RO with the same options as a read: both must
    /// answer alike.
    fn both(e: &mut Engine, options: &str) -> Reply {
        let read_reply = read(e, 1, format!("SORT_RO {options}").as_str());
        let write_reply = apply(e, 1, format!("SORT {options}").as_str());
        assert_eq!(read_reply, write_reply, "{options}");
        write_reply
    }

    #[test]
    fn sort_orders_numerically_alphabetically_and_by_patterns() {
        let mut e = setup();
        let cases = [
            ("l", "[1 2 3 10]"),
            ("l DESC", "[10 3 2 1]"),
            ("l ALPHA", "[1 10 2 3]"),
            ("l BY w_*", "[10 1 2 3]"),
            ("l LIMIT 1 2", "[2 3]"),
            ("l BY nosort", "[3 1 2 10]"),
            ("l BY nosort DESC LIMIT 1 2", "[2 1]"),
            ("l LIMIT -5 -1", "[1 2 3 10]"),
            ("l LIMIT 10 1", "[]"),
            ("bad LIMIT -1 0", NOT_A_NUMBER),
            ("l BY w_* LIMIT 0 2 DESC", "[3 2]"),
            ("l BY h_*->f ALPHA", "[3 10 1 2]"),
            ("l BY h_*->f ALPHA DESC", "[2 1 3 10]"),
            ("z BY nosort", "[c b a]"),
            ("z BY nosort DESC LIMIT 1 5", "[b c]"),
            ("z ALPHA", "[a b c]"),
            ("st", "[3 5 9]"),
            ("st BY nosort", "[3 5 9]"),
            ("f", "[\"\" \" 1.5\" 1e1]"),
            ("nokey", "[]"),
            ("bad", NOT_A_NUMBER),
            ("bad ALPHA", "[1 x]"),
            ("l LIMIT 1 x", NOT_INTEGER),
            // LIMIT short of its two values is a syntax error before either is read.
            ("l LIMIT x", SYNTAX_ERROR),
            ("l foo", SYNTAX_ERROR),
            ("l LIMIT 1", SYNTAX_ERROR),
            ("l GET", SYNTAX_ERROR),
            ("s", WRONGTYPE),
            ("l GET nostar LIMIT 0 1", "[(nil)]"),
        ];
        for (options, want) in cases {
            assert_eq!(show(&both(&mut e, options)), want, "{options}");
        }
        let got = both(&mut e, "l BY w_* GET o_* GET # GET h_*->f");
        assert_eq!(show(&got), "[(nil) 10 (nil) a 1 x1 b 2 x2 c 3 (nil)]");
    }

    #[test]
    fn sort_store_writes_a_list_and_sort_ro_refuses_store() {
        check(
            &mut setup(),
            1,
            &[
                ("SORT l STORE dst", ":4"),
                ("LRANGE dst 0 -1", "[1 2 3 10]"),
                ("SORT_RO l STORE dst", SYNTAX_ERROR),
                ("SORT l GET h_*->f STORE d4", ":4"),
                ("LRANGE d4 0 -1", "[x1 x2 \"\" \"\"]"),
                // A set under BY nosort with STORE is sorted alphabetically, as Redis forces.
                ("SADD sx b c a", ":3"),
                ("SORT sx BY nosort STORE d5", ":3"),
                ("LRANGE d5 0 -1", "[a b c]"),
                // An empty result deletes the destination, whatever it held; the TTL goes too.
                ("SET dst2 v EX 100", "+OK"),
                ("SORT nokey STORE dst2", ":0"),
                ("EXISTS dst2", ":0"),
                ("SET dst3 v EX 100", "+OK"),
                ("SORT l STORE dst3", ":4"),
                ("TTL dst3", ":-1"),
                ("SORT bad STORE dst3", NOT_A_NUMBER),
                ("LLEN dst3", ":4"),
                ("SORT s STORE d", WRONGTYPE),
            ],
        );
    }

    #[test]
    fn sort_converts_a_sorted_set_to_skiplist_and_sort_ro_cannot() {
        let listpack = ("OBJECT ENCODING z", "listpack");
        check(
            &mut setup(),
            1,
            &[
                ("SORT_RO z ALPHA", "[a b c]"),
                listpack,
                ("SORT z foo", SYNTAX_ERROR),
                listpack,
                ("SORT z BY nosort", "[c b a]"),
                ("OBJECT ENCODING z", "skiplist"),
                ("SORT z BY nosort", "[c b a]"),
            ],
        );
    }

    #[test]
    fn sort_store_notifies_sortstore_or_the_deletion() {
        use crate::testutil::{check_notified, listen};
        let mut e = Engine::new();
        listen(&mut e, "Elg");
        check_notified(
            &mut e,
            1000,
            &[
                ("RPUSH l 3 1 2", &["rpush l"]),
                ("SORT l STORE d", &["sortstore d"]),
                ("SORT l", &[]),
                ("SORT none STORE d", &["del d"]),
                ("SORT none STORE d", &[]),
            ],
        );
    }
}
