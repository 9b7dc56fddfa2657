//! ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD over one parser and one set
//! operation (zunionInterDiffGenericCommand); ZRANGESTORE; and [`store`], which GEOSEARCHSTORE
//! and GEORADIUS ... STORE use too.

use std::collections::BTreeMap;

use super::commands::entries_reply;
use super::range::{zrange_generic, Direction, RangeBy};
use super::{Entries, ZSetValue};
use crate::args::keyword;
use crate::args::{self, is, syntax_error, Args};
use crate::keyspace::{Db, Entry, Value};
use crate::notify::Class;
use crate::ostree::cmp_entries;
use crate::reply::{CmdResult, Reply};
use crate::score::parse_score;
use crate::set::SetValue;
use crate::spec::{ReadCtx, WriteCtx};

/// Stores a result set at `key` as Redis's store commands do (the old value and its deadline
/// go), notifying the command's `event`; an empty result deletes the key ("del" if it
/// existed). Replies the result's size. `entries` are in the set's order (GEOSEARCHSTORE
/// stores through here too).
pub(crate) fn store(ctx: &mut WriteCtx, key: &[u8], entries: Entries, event: &str) -> Reply {
    let len = entries.len() as i64;
    if entries.is_empty() {
        store_nothing(ctx, key);
    } else {
        let zset = ZSetValue::from_sorted(entries, &ctx.keyspace.encoding);
        store_set(ctx, key, zset, event);
    }
    Reply::Integer(len)
}

/// An empty result: the destination goes.
fn store_nothing(ctx: &mut WriteCtx, key: &[u8]) {
    let now = ctx.now_ms;
    if ctx.db().remove(key, now).is_some() {
        ctx.notify(Class::GENERIC, "del", key);
    }
}

fn store_set(ctx: &mut WriteCtx, key: &[u8], zset: ZSetValue, event: &str) {
    let now = ctx.now_ms;
    ctx.db()
        .insert(key, Entry::new(Value::ZSet(zset), None), now);
    ctx.notify(Class::ZSET, event, key);
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]. The destination is
/// built as Redis builds it: large from the start when a rank range holds more than 128
/// entries, else compact, taking the entries in emission order and converting when one does
/// not fit (so a −0 emitted before the conversion is stored as 0, one after it as −0).
pub fn zrangestore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let range = zrange_generic(ctx.db(), now, argv, 2, true, RangeBy::Auto, Direction::Auto)?;
    let len = range.entries.len();
    if len == 0 {
        store_nothing(ctx, &argv[1]);
        return Ok(Reply::Integer(0));
    }
    let limits = ctx.keyspace.encoding;
    let mut zset = if range.by_rank && len as u64 > limits.zset_entries() {
        ZSetValue::new_large()
    } else {
        ZSetValue::default()
    };
    for (score, member) in &range.entries {
        zset.insert_new(*score, member, &limits);
    }
    store_set(ctx, &argv[1], zset, "zrangestore");
    Ok(Reply::Integer(len as i64))
}

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

/// What a command of the family does with the result.
#[derive(Clone, Copy, PartialEq)]
enum Output {
    /// ZUNION, ZINTER, ZDIFF: reply it (WITHSCORES allowed).
    Reply,
    /// The STORE forms: a destination key comes first, no WITHSCORES.
    Store,
    /// ZINTERCARD: count it (LIMIT instead of WEIGHTS, AGGREGATE and WITHSCORES).
    Cardinality,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    const NAMES: [(&'static str, Aggregate); 3] = [
        ("SUM", Aggregate::Sum),
        ("MIN", Aggregate::Min),
        ("MAX", Aggregate::Max),
    ];

    /// zunionInterAggregate: a NaN sum (inf + -inf) becomes 0; MIN/MAX keep the target when
    /// a comparison with NaN fails.
    fn fold(self, target: f64, value: f64) -> f64 {
        match self {
            Aggregate::Sum => nan_to_zero(target + value),
            Aggregate::Min if value < target => value,
            Aggregate::Max if value > target => value,
            Aggregate::Min | Aggregate::Max => target,
        }
    }
}

/// Redis turns a NaN sum or product (inf + -inf, inf * 0) into 0.
fn nan_to_zero(value: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value
    }
}

/// A source of a set operation: a sorted set, or a plain set whose members all score 1.
#[derive(Clone, Copy)]
enum Source<'a> {
    ZSet(&'a ZSetValue),
    Set(&'a SetValue),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::ZSet(zset) => zset.len(),
            Source::Set(set) => set.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::ZSet(zset) => zset.score(member),
            Source::Set(set) => set.contains(member).then_some(1.0),
        }
    }

    fn entries(&self) -> Entries {
        match self {
            Source::ZSet(zset) => zset.entries(),
            Source::Set(set) => set.iter().map(|m| (1.0, m.into_owned())).collect(),
        }
    }
}

/// The source at `key`: Ok(None) when absent, WRONGTYPE for a type other than a set.
fn source<'a>(db: &'a Db, key: &[u8], now_ms: u64) -> Result<Option<Source<'a>>, Reply> {
    let Some(entry) = db.get(key, now_ms) else {
        return Ok(None);
    };
    match &entry.value {
        Value::ZSet(zset) => Ok(Some(Source::ZSet(zset))),
        Value::Set(set) => Ok(Some(Source::Set(set))),
        _ => Err(Reply::wrong_type()),
    }
}

/// The parsed arguments of a set operation: each source with its weight, how scores combine,
/// and the options.
struct SetOpArgs<'a> {
    inputs: Vec<(Option<Source<'a>>, f64)>,
    aggregate: Aggregate,
    withscores: bool,
    /// ZINTERCARD's LIMIT (0: none).
    limit: usize,
}

/// Parses numkeys, the keys (type-checked before the options are read, as Redis does), then
/// WEIGHTS / AGGREGATE / WITHSCORES / LIMIT as the command allows. `name` is the command's,
/// for the error about numkeys.
fn parse<'a>(
    db: &'a Db,
    now_ms: u64,
    argv: &[Vec<u8>],
    op: SetOp,
    output: Output,
    name: &str,
) -> Result<SetOpArgs<'a>, Reply> {
    let mut args = Args::new(argv, if output == Output::Store { 2 } else { 1 });
    let numkeys = args.int()?;
    if numkeys < 1 {
        return Err(Reply::error(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    if numkeys as u64 > args.remaining() as u64 {
        return Err(syntax_error());
    }
    let keys = args.take(numkeys as usize)?;
    let mut inputs = Vec::with_capacity(keys.len());
    for key in keys {
        inputs.push((source(db, key, now_ms)?, 1.0));
    }
    let mut parsed = SetOpArgs {
        inputs,
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let weighted = op != SetOp::Diff && output != Output::Cardinality;
    while let Some(opt) = args.next_arg() {
        if weighted && args.remaining() >= keys.len() && is(opt, "WEIGHTS") {
            for ((_, weight), arg) in parsed.inputs.iter_mut().zip(args.take(keys.len())?) {
                *weight = parse_score(arg)
                    .ok_or_else(|| Reply::error("ERR weight value is not a float"))?;
            }
        } else if weighted && args.remaining() >= 1 && is(opt, "AGGREGATE") {
            parsed.aggregate = keyword(args.bytes()?, &Aggregate::NAMES)?;
        } else if output == Output::Reply && is(opt, "WITHSCORES") {
            parsed.withscores = true;
        } else if output == Output::Cardinality && args.remaining() >= 1 && is(opt, "LIMIT") {
            parsed.limit = match args::parse_i64(args.bytes()?) {
                Some(limit) if limit >= 0 => usize::try_from(limit).unwrap_or(usize::MAX),
                _ => return Err(Reply::error("ERR LIMIT can't be negative")),
            };
        } else {
            return Err(syntax_error());
        }
    }
    if op != SetOp::Diff {
        // Smallest first, as Redis sorts its sources (glibc's qsort here is a stable merge sort).
        parsed
            .inputs
            .sort_by_key(|(zset, _)| zset.map_or(0, |z| z.len()));
    }
    Ok(parsed)
}

/// The members of the first (smallest) source found in every other one, each with its
/// weighted and aggregated score, in the first source's order.
fn intersection<'a>(parsed: &'a SetOpArgs) -> impl Iterator<Item = (f64, Vec<u8>)> + 'a {
    let (entries, weight, rest) = match parsed.inputs.split_first() {
        Some(((Some(first), weight), rest)) => (first.entries(), *weight, rest),
        _ => (Vec::new(), 1.0, &[][..]),
    };
    entries.into_iter().filter_map(move |(score, member)| {
        let mut acc = nan_to_zero(score * weight);
        for (other, weight) in rest {
            let value = other.and_then(|source| source.score(&member))?;
            acc = parsed.aggregate.fold(acc, value * weight);
        }
        Some((acc, member))
    })
}

/// The result of a set operation, in the set's order.
fn combine(op: SetOp, parsed: &SetOpArgs) -> Entries {
    let mut result: Entries = match op {
        SetOp::Inter => intersection(parsed).collect(),
        SetOp::Union => {
            let mut acc: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
            for (source, weight) in &parsed.inputs {
                for (score, member) in source.map(|s| s.entries()).unwrap_or_default() {
                    let value = nan_to_zero(score * weight);
                    acc.entry(member)
                        .and_modify(|target| *target = parsed.aggregate.fold(*target, value))
                        .or_insert(value);
                }
            }
            acc.into_iter().map(|(m, s)| (s, m)).collect()
        }
        SetOp::Diff => match parsed.inputs.split_first() {
            Some(((Some(first), _), rest)) => first
                .entries()
                .into_iter()
                .filter(|(_, member)| {
                    rest.iter()
                        .all(|(other, _)| other.and_then(|s| s.score(member)).is_none())
                })
                .collect(),
            _ => Vec::new(),
        },
    };
    result.sort_by(|a, b| cmp_entries((a.0, &a.1), (b.0, &b.1)));
    result
}

fn setop_read(ctx: &ReadCtx, argv: &[Vec<u8>], op: SetOp, name: &str) -> CmdResult {
    let parsed = parse(ctx.db(), ctx.now_ms, argv, op, Output::Reply, name)?;
    Ok(entries_reply(combine(op, &parsed), parsed.withscores))
}

fn setop_store(ctx: &mut WriteCtx, argv: &[Vec<u8>], op: SetOp, name: &str) -> CmdResult {
    let now = ctx.now_ms;
    let parsed = parse(ctx.db(), now, argv, op, Output::Store, name)?;
    let entries = combine(op, &parsed);
    Ok(store(ctx, &argv[1], entries, name))
}

pub fn zunion(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    setop_read(ctx, argv, SetOp::Union, "zunion")
}

pub fn zinter(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    setop_read(ctx, argv, SetOp::Inter, "zinter")
}

pub fn zdiff(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    setop_read(ctx, argv, SetOp::Diff, "zdiff")
}

pub fn zunionstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    setop_store(ctx, argv, SetOp::Union, "zunionstore")
}

pub fn zinterstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    setop_store(ctx, argv, SetOp::Inter, "zinterstore")
}

pub fn zdiffstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    setop_store(ctx, argv, SetOp::Diff, "zdiffstore")
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]: the intersection's size, counting stopping
/// at the limit.
pub fn zintercard(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let parsed = parse(
        ctx.db(),
        ctx.now_ms,
        argv,
        SetOp::Inter,
        Output::Cardinality,
        "zintercard",
    )?;
    let limit = if parsed.limit == 0 {
        usize::MAX
    } else {
        parsed.limit
    };
    Ok(Reply::Integer(
        intersection(&parsed).take(limit).count() as i64
    ))
}

#[cfg(test)]
mod tests {
    use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
    use crate::testutil::{encoding, err, int};
    use crate::zset::tests::{ap, check, engine, zadd_many};

    #[test]
    fn zrangestore_stores_or_deletes() {
        let mut e = engine();
        let cases = [
            ("ZRANGESTORE d z 1 2", ":2"),
            ("ZRANGE d 0 -1 WITHSCORES", "[b 2 c 3]"),
            ("ZRANGESTORE d z +inf (3 BYSCORE REV LIMIT 0 1", ":1"),
            ("ZRANGE d 0 -1", "[d]"),
            ("ZRANGESTORE d z 5 6", ":0"),
            ("EXISTS d", ":0"),
            // An empty result deletes the destination, whatever its type.
            ("ZRANGESTORE s none 0 -1", ":0"),
            ("EXISTS s", ":0"),
            ("SET s x", "+OK"),
            ("ZRANGESTORE s z 0 -1", ":4"),
            ("ZRANGESTORE d z 0 -1 WITHSCORES", SYNTAX_ERROR),
        ];
        check(&mut e, &cases);
    }

    #[test]
    fn zunion_zinter_zdiff_with_weights_and_aggregates() {
        let mut e = engine();
        let cases = [
            ("ZADD y 10 b 20 c 30 x", ":3"),
            ("ZUNION 2 z y WITHSCORES", "[a 1 d 4 b 12 c 23 x 30]"),
            ("ZINTER 2 z y WEIGHTS 2 0.5 WITHSCORES", "[b 9 c 16]"),
            ("ZINTER 2 z y AGGREGATE MIN WITHSCORES", "[b 2 c 3]"),
            (
                "ZUNION 2 z y AGGREGATE max WITHSCORES",
                "[a 1 d 4 b 10 c 20 x 30]",
            ),
            ("ZDIFF 2 z y WITHSCORES", "[a 1 d 4]"),
            ("ZDIFF 2 none y", "[]"),
            ("ZINTER 2 z none", "[]"),
            ("ZUNION 2 none y", "[b c x]"),
            ("ZINTERCARD 2 z y", ":2"),
            ("ZINTERCARD 2 z y LIMIT 1", ":1"),
            ("ZINTERCARD 2 z y LIMIT 0", ":2"),
            ("ZINTERCARD 2 z none", ":0"),
            // inf * 0 and inf + -inf are NaN: Redis makes them 0.
            ("ZADD inf inf a", ":1"),
            ("ZUNION 1 inf WEIGHTS 0 WITHSCORES", "[a 0]"),
            ("ZUNION 2 inf inf WEIGHTS 1 -1 WITHSCORES", "[a 0]"),
        ];
        check(&mut e, &cases);
    }

    #[test]
    fn plain_sets_are_sources_with_score_one() {
        let mut e = engine();
        let cases = [
            ("SADD set a x 7", ":3"),
            ("ZUNION 2 z set WITHSCORES", "[7 1 x 1 a 2 b 2 c 3 d 4]"),
            ("ZINTER 2 set z WEIGHTS 3 1 WITHSCORES", "[a 4]"),
            ("ZDIFF 2 set z", "[7 x]"),
            ("ZINTERCARD 2 set z", ":1"),
            ("ZUNIONSTORE d 1 set", ":3"),
        ];
        check(&mut e, &cases);
    }

    #[test]
    fn set_operation_errors() {
        let mut e = engine();
        for command in [
            "ZUNION 0 z",
            "ZINTER 0 z",
            "ZDIFF 0 z",
            "ZINTERCARD 0 z",
            "ZUNIONSTORE d 0 z",
            "ZINTERSTORE d 0 z",
            "ZDIFFSTORE d 0 z",
        ] {
            let name = command.split(' ').next().unwrap().to_lowercase();
            let line = format!("ERR at least 1 input key is needed for '{name}' command");
            assert_eq!(ap(&mut e, command), err(&line));
        }
        let limit = "ERR LIMIT can't be negative";
        let cases = [
            ("ZUNION x z", NOT_INTEGER),
            ("ZUNION 3 z y", SYNTAX_ERROR),
            ("ZUNION 1 z WEIGHTS x", "ERR weight value is not a float"),
            ("ZUNION 2 z z WEIGHTS 1", SYNTAX_ERROR),
            ("ZUNION 1 z AGGREGATE AVG", SYNTAX_ERROR),
            ("ZDIFF 1 z WEIGHTS 1", SYNTAX_ERROR),
            ("ZINTERCARD 1 z WITHSCORES", SYNTAX_ERROR),
            ("ZINTERCARD 1 z LIMIT -1", limit),
            ("ZINTERCARD 1 z LIMIT x", limit),
            ("ZUNIONSTORE dst 1 z WITHSCORES", SYNTAX_ERROR),
        ];
        check(&mut e, &cases);
    }

    #[test]
    fn store_forms_replace_the_destination() {
        let mut e = engine();
        let cases = [
            ("ZADD y 10 b", ":1"),
            ("SET dst old EX 100", "+OK"),
            ("ZUNIONSTORE dst 2 z y WEIGHTS 1 2", ":4"),
            ("ZSCORE dst b", "22"),
            ("TTL dst", ":-1"),
            ("ZINTERSTORE dst 2 z y AGGREGATE MAX", ":1"),
            ("ZRANGE dst 0 -1 WITHSCORES", "[b 10]"),
            ("ZDIFFSTORE dst 2 z y", ":3"),
            ("ZDIFFSTORE dst 2 y z", ":0"),
            ("EXISTS dst", ":0"),
        ];
        check(&mut e, &cases);
        // A large result becomes the large encoding, a small one compact.
        ap(
            &mut e,
            zadd_many("big", 200, |i| format!("{i} m{i}")).as_str(),
        );
        assert_eq!(ap(&mut e, "ZUNIONSTORE dst 1 big"), int(200));
        assert_eq!(encoding(&e, "dst"), "skiplist");
        assert_eq!(ap(&mut e, "ZRANGESTORE dst big 0 9"), int(10));
        assert_eq!(encoding(&e, "dst"), "listpack");
    }
}
