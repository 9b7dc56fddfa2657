//! The range commands: the ZRANGE family over one generic range (zrangeGenericCommand), which
//! ZRANGESTORE shares, ZCOUNT and ZLEXCOUNT, and ZREMRANGEBYRANK/SCORE/LEX over one generic
//! removal. A range by rank, score or lex is parsed first, then maps to ranks [from, to).

use super::commands::{entries_reply, modify};
use super::{Entries, ZSetValue};
use crate::args::normalize_range;
use crate::args::{int_arg, is, syntax_error, Args};
use crate::keyspace::Db;
use crate::reply::{CmdResult, Reply};
use crate::score::parse_range_bound;
use crate::spec::{ReadCtx, WriteCtx};

const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// A range of a sorted set: parsed from its `min max` arguments, it names the ranks
/// [from, to) of the entries it holds.
trait Span {
    fn parse(min: &[u8], max: &[u8]) -> Result<Self, Reply>
    where
        Self: Sized;

    /// The ranks [from, to) of the entries in range (from <= to).
    fn ranks(&self, zset: &ZSetValue) -> (usize, usize);
}

/// A rank range: `start stop`, inclusive, negative counting from the end.
struct RankRange(i64, i64);

impl Span for RankRange {
    fn parse(start: &[u8], stop: &[u8]) -> Result<RankRange, Reply> {
        Ok(RankRange(int_arg(start)?, int_arg(stop)?))
    }

    fn ranks(&self, zset: &ZSetValue) -> (usize, usize) {
        normalize_range(self.0, self.1, zset.len()).map_or((0, 0), |(from, to)| (from, to + 1))
    }
}

/// A score range (zrangespec).
struct ScoreRange {
    min: f64,
    min_exclusive: bool,
    max: f64,
    max_exclusive: bool,
}

impl Span for ScoreRange {
    fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, Reply> {
        let bound = |arg| parse_range_bound(arg).ok_or_else(|| Reply::error(NOT_FLOAT_RANGE));
        let (min, min_exclusive) = bound(min)?;
        let (max, max_exclusive) = bound(max)?;
        Ok(ScoreRange {
            min,
            min_exclusive,
            max,
            max_exclusive,
        })
    }

    fn ranks(&self, zset: &ZSetValue) -> (usize, usize) {
        let from = zset.partition_point(|s, _| {
            if self.min_exclusive {
                s <= self.min
            } else {
                s < self.min
            }
        });
        let to = zset.partition_point(|s, _| {
            if self.max_exclusive {
                s < self.max
            } else {
                s <= self.max
            }
        });
        (from, to.max(from))
    }
}

/// One end of a lex range (zslParseLexItem).
enum LexBound {
    NegInf,
    PosInf,
    Inclusive(Vec<u8>),
    Exclusive(Vec<u8>),
}

impl LexBound {
    fn parse(arg: &[u8]) -> Result<LexBound, Reply> {
        let alone = arg.get(1).is_none_or(|&b| b == 0);
        match arg.first() {
            Some(b'+') if alone => Ok(LexBound::PosInf),
            Some(b'-') if alone => Ok(LexBound::NegInf),
            Some(b'(') => Ok(LexBound::Exclusive(arg[1..].to_vec())),
            Some(b'[') => Ok(LexBound::Inclusive(arg[1..].to_vec())),
            _ => Err(Reply::error(NOT_LEX_RANGE)),
        }
    }

    /// Whether `member` lies below this bound taken as a minimum.
    fn below_min(&self, member: &[u8]) -> bool {
        match self {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Inclusive(min) => member < min.as_slice(),
            LexBound::Exclusive(min) => member <= min.as_slice(),
        }
    }

    /// Whether `member` lies within this bound taken as a maximum.
    fn within_max(&self, member: &[u8]) -> bool {
        match self {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Inclusive(max) => member <= max.as_slice(),
            LexBound::Exclusive(max) => member < max.as_slice(),
        }
    }
}

struct LexRange(LexBound, LexBound);

impl Span for LexRange {
    fn parse(min: &[u8], max: &[u8]) -> Result<LexRange, Reply> {
        Ok(LexRange(LexBound::parse(min)?, LexBound::parse(max)?))
    }

    fn ranks(&self, zset: &ZSetValue) -> (usize, usize) {
        let from = zset.partition_point(|_, m| self.0.below_min(m));
        let to = zset.partition_point(|_, m| self.1.within_max(m));
        (from, to.max(from))
    }
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum RangeBy {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// What a range produced, in emission order.
pub(super) struct RangeResult {
    pub entries: Entries,
    pub withscores: bool,
    /// By rank: the size is known before emission (ZRANGESTORE sizes its destination by it).
    pub by_rank: bool,
}

/// The one ZRANGE behind ZRANGE, ZRANGESTORE (`store`: no WITHSCORES), ZREVRANGE and the
/// BYSCORE/BYLEX forms (zrangeGenericCommand): options after `key min max`, then the range,
/// then the key at `key_at`.
pub(super) fn zrange_generic(
    db: &Db,
    now_ms: u64,
    argv: &[Vec<u8>],
    key_at: usize,
    store: bool,
    mut by: RangeBy,
    mut direction: Direction,
) -> Result<RangeResult, Reply> {
    let mut withscores = false;
    let (mut offset, mut limit, mut limited) = (0, -1, false);
    let mut args = Args::new(argv, key_at + 3);
    while let Some(opt) = args.next_arg() {
        if !store && is(opt, "WITHSCORES") {
            withscores = true;
        } else if is(opt, "LIMIT") && args.remaining() >= 2 {
            (offset, limit, limited) = (args.int()?, args.int()?, true);
        } else if direction == Direction::Auto && is(opt, "REV") {
            direction = Direction::Reverse;
        } else if by == RangeBy::Auto && is(opt, "BYLEX") {
            by = RangeBy::Lex;
        } else if by == RangeBy::Auto && is(opt, "BYSCORE") {
            by = RangeBy::Score;
        } else {
            return Err(syntax_error());
        }
    }
    let reverse = direction == Direction::Reverse;
    let by_rank = matches!(by, RangeBy::Auto | RangeBy::Rank);
    // Redis compares the parsed limit with -1: "LIMIT 0 -1" counts as no LIMIT.
    if limited && limit != -1 && by_rank {
        return Err(Reply::error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == RangeBy::Lex {
        return Err(Reply::error(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut min, mut max) = (&argv[key_at + 1], &argv[key_at + 2]);
    if reverse && !by_rank {
        std::mem::swap(&mut min, &mut max);
    }
    let span: Box<dyn Span> = match by {
        RangeBy::Score => Box::new(ScoreRange::parse(min, max)?),
        RangeBy::Lex => Box::new(LexRange::parse(min, max)?),
        _ => Box::new(RankRange::parse(min, max)?),
    };
    let zset = db.get_as::<ZSetValue>(&argv[key_at], now_ms)?;
    let entries = zset.map_or_else(Vec::new, |zset| {
        let (from, to) = span.ranks(zset);
        if !by_rank {
            return window(zset, (from, to), reverse, offset, limit);
        }
        // Reversed ranks count from the end: the same entries, taken backwards.
        let len = zset.len();
        let ranks = if reverse {
            (len - to, len - from)
        } else {
            (from, to)
        };
        window(zset, ranks, reverse, 0, -1)
    });
    Ok(RangeResult {
        entries,
        withscores,
        by_rank,
    })
}

/// The entries of ranks [from, to) in order (or reversed), after skipping `offset` and taking
/// at most `limit` (negative: all), as the LIMIT of BYSCORE/BYLEX does.
fn window(
    zset: &ZSetValue,
    (from, to): (usize, usize),
    reverse: bool,
    offset: i64,
    limit: i64,
) -> Entries {
    if offset < 0 {
        return Vec::new();
    }
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let ranks: Box<dyn Iterator<Item = usize>> = if reverse {
        Box::new((from..to).rev())
    } else {
        Box::new(from..to)
    };
    zset.entries_at(ranks.skip(offset).take(limit))
}

fn range_read(ctx: &ReadCtx, argv: &[Vec<u8>], by: RangeBy, direction: Direction) -> CmdResult {
    let range = zrange_generic(ctx.db(), ctx.now_ms, argv, 1, false, by, direction)?;
    Ok(entries_reply(range.entries, range.withscores))
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub fn zrange(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    range_read(ctx, argv, RangeBy::Auto, Direction::Auto)
}

pub fn zrevrange(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    range_read(ctx, argv, RangeBy::Rank, Direction::Reverse)
}

pub fn zrangebyscore(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    range_read(ctx, argv, RangeBy::Score, Direction::Forward)
}

pub fn zrevrangebyscore(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    range_read(ctx, argv, RangeBy::Score, Direction::Reverse)
}

pub fn zrangebylex(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    range_read(ctx, argv, RangeBy::Lex, Direction::Forward)
}

pub fn zrevrangebylex(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    range_read(ctx, argv, RangeBy::Lex, Direction::Reverse)
}

/// ZCOUNT / ZLEXCOUNT key min max: the range is parsed before the key is looked up.
fn count_generic<S: Span>(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let span = S::parse(&argv[2], &argv[3])?;
    let zset = ctx.db().get_as::<ZSetValue>(&argv[1], ctx.now_ms)?;
    let count = zset.map_or(0, |zset| {
        let (from, to) = span.ranks(zset);
        to - from
    });
    Ok(Reply::Integer(count as i64))
}

pub fn zcount(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    count_generic::<ScoreRange>(ctx, argv)
}

pub fn zlexcount(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    count_generic::<LexRange>(ctx, argv)
}

/// The one ZREMRANGEBY* (zremrangeGenericCommand): parse the range, then remove ranks
/// [from, to) of the set.
fn zremrange_generic<S: Span>(ctx: &mut WriteCtx, argv: &[Vec<u8>], event: &str) -> CmdResult {
    let span = S::parse(&argv[2], &argv[3])?;
    let removed = modify(ctx, &argv[1], event, |zset| {
        let (from, to) = span.ranks(zset);
        let doomed = zset.entries_at(from..to);
        for (_, member) in &doomed {
            zset.remove(member);
        }
        doomed.len()
    })?;
    Ok(Reply::Integer(removed.unwrap_or(0) as i64))
}

pub fn zremrangebyrank(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    zremrange_generic::<RankRange>(ctx, argv, "zremrangebyrank")
}

pub fn zremrangebyscore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    zremrange_generic::<ScoreRange>(ctx, argv, "zremrangebyscore")
}

pub fn zremrangebylex(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    zremrange_generic::<LexRange>(ctx, argv, "zremrangebylex")
}

#[cfg(test)]
mod tests {
    use super::{NOT_FLOAT_RANGE, NOT_LEX_RANGE};
    use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
    use crate::testutil::err;
    use crate::zset::tests::{ap, check, engine};
    use crate::Engine;

    #[test]
    fn zrange_by_rank() {
        let mut e = engine();
        let limit =
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
        let cases = [
            ("ZRANGE z 0 -1", "[a b c d]"),
            ("ZRANGE z 1 2 WITHSCORES", "[b 2 c 3]"),
            ("ZRANGE z 0 1 REV", "[d c]"),
            ("ZRANGE z 1 -1 REV", "[c b a]"),
            ("ZRANGE z 0 10 rev", "[d c b a]"),
            ("ZREVRANGE z 0 0 WITHSCORES", "[d 4]"),
            ("ZREVRANGE z -2 -1", "[b a]"),
            ("ZRANGE z 5 10", "[]"),
            ("ZREVRANGE z 5 10", "[]"),
            ("ZRANGE z -100 0", "[a]"),
            ("ZRANGE none 0 -1", "[]"),
            ("ZRANGE z 0 1 LIMIT 0 -1", "[a b]"),
            ("ZRANGE z 0 1 LIMIT 0 1", limit),
            ("ZRANGE z x 1", NOT_INTEGER),
            ("ZRANGE z 0 1 FOO", SYNTAX_ERROR),
            ("ZRANGE z 0 1 REV REV", SYNTAX_ERROR),
            ("ZREVRANGE z 0 1 REV", SYNTAX_ERROR),
        ];
        check(&mut e, &cases);
    }

    #[test]
    fn zrange_by_score_and_zcount() {
        let mut e = engine();
        let cases = [
            ("ZRANGEBYSCORE z 2 3", "[b c]"),
            ("ZRANGEBYSCORE z (2 +inf", "[c d]"),
            ("ZRANGEBYSCORE z -inf (2 WITHSCORES", "[a 1]"),
            ("ZRANGEBYSCORE z -inf inf LIMIT 1 2", "[b c]"),
            ("ZRANGEBYSCORE z -inf inf LIMIT -1 2", "[]"),
            ("ZRANGEBYSCORE z -inf inf LIMIT 3 -5", "[d]"),
            ("ZRANGEBYSCORE z 3 2", "[]"),
            ("ZRANGEBYSCORE z (2 (2", "[]"),
            ("ZREVRANGEBYSCORE z 3 -inf", "[c b a]"),
            ("ZREVRANGEBYSCORE z +inf -inf LIMIT 1 1", "[c]"),
            ("ZRANGE z (4 2 BYSCORE REV", "[c b]"),
            ("ZRANGE z 1 4 BYSCORE LIMIT 1 1 WITHSCORES", "[b 2]"),
            ("ZCOUNT z (1 3", ":2"),
            ("ZCOUNT z -inf +inf", ":4"),
            ("ZCOUNT none 0 1", ":0"),
            ("ZRANGEBYSCORE z x 1", NOT_FLOAT_RANGE),
            ("ZRANGEBYSCORE z 1 nan", NOT_FLOAT_RANGE),
            ("ZRANGEBYSCORE z [1 2", NOT_FLOAT_RANGE),
            ("ZCOUNT z a 1", NOT_FLOAT_RANGE),
            ("ZRANGEBYSCORE z 1 2 BYSCORE", SYNTAX_ERROR),
            ("ZRANGEBYSCORE z 1 2 LIMIT 1", SYNTAX_ERROR),
            ("ZRANGEBYSCORE z 1 2 LIMIT x 1", NOT_INTEGER),
        ];
        check(&mut e, &cases);
    }

    #[test]
    fn zrange_by_lex_and_zlexcount() {
        let mut e = Engine::new();
        let withscores = "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
        let cases = [
            ("ZADD l 0 a 0 b 0 c 0 d", ":4"),
            ("ZRANGEBYLEX l - +", "[a b c d]"),
            ("ZRANGEBYLEX l [b (d", "[b c]"),
            ("ZRANGEBYLEX l (a + LIMIT 1 1", "[c]"),
            ("ZREVRANGEBYLEX l + [b", "[d c b]"),
            ("ZRANGE l [c - BYLEX REV", "[c b a]"),
            ("ZRANGEBYLEX l + -", "[]"),
            ("ZLEXCOUNT l (a [c", ":2"),
            ("ZLEXCOUNT none - +", ":0"),
            ("ZRANGEBYLEX l a +", NOT_LEX_RANGE),
            ("ZRANGEBYLEX l - ++", NOT_LEX_RANGE),
            ("ZRANGE l - + BYLEX WITHSCORES", withscores),
            ("ZRANGEBYLEX l - + WITHSCORES", withscores),
        ];
        check(&mut e, &cases);
        assert_eq!(ap(&mut e, &["ZLEXCOUNT", "l", "", "+"]), err(NOT_LEX_RANGE));
    }

    #[test]
    fn zrem_and_zremrange_delete_emptied_sets() {
        let mut e = engine();
        let cases = [
            ("ZREM z a x a", ":1"),
            ("ZREM none a", ":0"),
            ("ZREMRANGEBYRANK z -1 -1", ":1"),
            ("ZRANGE z 0 -1", "[b c]"),
            ("ZREMRANGEBYSCORE z (2 +inf", ":1"),
            ("ZREMRANGEBYLEX z - +", ":1"),
            ("EXISTS z", ":0"),
            ("ZADD z 1 a 2 b 3 c 4 d", ":4"),
            ("ZREMRANGEBYRANK z 5 9", ":0"),
            ("ZREMRANGEBYRANK z x 9", NOT_INTEGER),
            ("ZREMRANGEBYSCORE z x 9", NOT_FLOAT_RANGE),
            ("ZREMRANGEBYLEX z x +", NOT_LEX_RANGE),
            ("ZREMRANGEBYRANK z 0 -1", ":4"),
            ("EXISTS z", ":0"),
            ("ZREM z a", ":0"),
        ];
        check(&mut e, &cases);
    }
}
