//! ZADD and ZINCRBY over one generic add, the single-member reads (ZCARD, ZSCORE, ZMSCORE,
//! ZRANK, ZREVRANK), ZREM and ZSCAN; what the other command files share; and the module's
//! `COMMANDS` table fragment.

use super::ZSetValue;
use crate::args::{is, syntax_error, Args, NOT_FLOAT};
use crate::config::EncodingConfig;
use crate::keyspace::{Entry, Value};
use crate::notify::Class;
use crate::reply::{CmdResult, Reply};
use crate::scan::{self, scan_cursor, scan_page, scan_reply, ScanOptions};
use crate::score::{d2string, parse_score};
use crate::spec::wrong_arity;
use crate::spec::{ReadCtx, WriteCtx};

/// A score as Redis 7.0 replies it: a double, which RESP2 prints as a bulk string with
/// `%.17g` (RESP3 would want a double; the server's double encoding prints shortest form,
/// which 7.0 does not).
pub fn score_reply(score: f64) -> Reply {
    Reply::Double(score)
}

/// Members, or (member, score) pairs when `withscores`: flat in RESP2, one array per pair in
/// RESP3, as Redis 7 replies to WITHSCORES.
pub(super) fn entries_reply(
    entries: impl IntoIterator<Item = (f64, Vec<u8>)>,
    withscores: bool,
) -> Reply {
    let entries = entries.into_iter();
    if withscores {
        Reply::Pairs(
            entries
                .map(|(score, member)| (Reply::Bulk(member), score_reply(score)))
                .collect(),
        )
    } else {
        Reply::Array(entries.map(|(_, member)| Reply::Bulk(member)).collect())
    }
}

/// Runs `change`, which removes members, on the set at `key` (Ok(None) when there is none),
/// notifies `event` when it removed some, and deletes the key when `change` leaves the set
/// empty (notifying "del"): no empty set is ever kept.
pub(super) fn modify<R>(
    ctx: &mut WriteCtx,
    key: &[u8],
    event: &str,
    change: impl FnOnce(&mut ZSetValue) -> R,
) -> Result<Option<R>, Reply> {
    let now = ctx.now_ms;
    let Some(zset) = ctx.db().get_as_mut::<ZSetValue>(key, now)? else {
        return Ok(None);
    };
    let before = zset.len();
    let result = change(zset);
    let (removed, emptied) = (before - zset.len(), zset.is_empty());
    if removed > 0 {
        ctx.notify(Class::ZSET, event, key);
    }
    if emptied {
        ctx.db().remove(key, now);
        ctx.notify(Class::GENERIC, "del", key);
    }
    ctx.changed(removed as u64);
    Ok(Some(result))
}

// ---- ZADD, ZINCRBY ----

/// ZADD's options, in the order of [`AddFlags::NAMES`].
#[derive(Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

impl AddFlags {
    const NAMES: [&'static str; 6] = ["NX", "XX", "GT", "LT", "CH", "INCR"];

    /// Takes the options before the first score (any order, repeats allowed), as Redis does.
    fn parse(args: &mut Args, incr: bool) -> AddFlags {
        let mut set = [false; 6];
        while let Some(at) = args
            .peek()
            .and_then(|opt| AddFlags::NAMES.iter().position(|name| is(opt, name)))
        {
            set[at] = true;
            args.next_arg();
        }
        let [nx, xx, gt, lt, ch, incr_option] = set;
        AddFlags {
            nx,
            xx,
            gt,
            lt,
            ch,
            incr: incr || incr_option,
        }
    }
}

enum Added {
    New(f64),
    Updated(f64),
    /// Processed, stored score unchanged (the computed score, which may be 0 for a stored -0).
    Same(f64),
    /// Not processed (NX, XX, GT, LT said no).
    Nothing,
}

/// ZADD's one step (zsetAdd): what happened, and the member's score afterwards.
fn add(
    zset: &mut ZSetValue,
    score: f64,
    member: &[u8],
    flags: &AddFlags,
    limits: &EncodingConfig,
) -> Result<Added, Reply> {
    let Some(current) = zset.score(member) else {
        if flags.xx {
            return Ok(Added::Nothing);
        }
        zset.insert_new(score, member, limits);
        return Ok(Added::New(score));
    };
    if flags.nx {
        return Ok(Added::Nothing);
    }
    let new = if flags.incr { current + score } else { score };
    if new.is_nan() {
        return Err(Reply::error("ERR resulting score is not a number (NaN)"));
    }
    if (flags.lt && new >= current) || (flags.gt && new <= current) {
        return Ok(Added::Nothing);
    }
    if new == current {
        // Unchanged (0 == -0 included), but the reply shows the score computed.
        return Ok(Added::Same(new));
    }
    zset.set_score(member, new);
    Ok(Added::Updated(new))
}

/// The one ADD behind ZADD and ZINCRBY (`incr`): options, then every score is parsed before
/// anything changes, so a command applies fully or not at all. It notifies "zadd" (or "zincr")
/// when a member was added or its score changed.
fn zadd_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], incr: bool) -> CmdResult {
    let mut args = Args::new(argv, 2);
    let flags = AddFlags::parse(&mut args, incr);
    let pairs = args.rest();
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(syntax_error());
    }
    if flags.nx && flags.xx {
        return Err(Reply::error(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Err(Reply::error(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if flags.incr && pairs.len() > 2 {
        return Err(Reply::error(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let scores = pairs
        .chunks(2)
        .map(|pair| parse_score(&pair[0]).ok_or_else(|| Reply::error(NOT_FLOAT)))
        .collect::<Result<Vec<f64>, Reply>>()?;
    let key = &argv[1];
    let (now, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let db = ctx.db();
    if db.get_as::<ZSetValue>(key, now)?.is_none() {
        if flags.xx {
            return Ok(if flags.incr {
                Reply::Nil
            } else {
                Reply::Integer(0)
            });
        }
        let created = ZSetValue::new_for(pairs[1].len(), &limits);
        db.insert(key, Entry::new(Value::ZSet(created), None), now);
    }
    let zset = db.get_as_mut::<ZSetValue>(key, now)?;
    let zset = zset.expect("present or just created");
    let (mut added, mut updated, mut last) = (0, 0, None);
    for (pair, score) in pairs.chunks(2).zip(scores) {
        match add(zset, score, &pair[1], &flags, &limits)? {
            Added::New(score) => {
                added += 1;
                last = Some(score);
            }
            Added::Updated(score) => {
                updated += 1;
                last = Some(score);
            }
            Added::Same(score) => last = Some(score),
            Added::Nothing => {}
        }
    }
    if added + updated > 0 {
        ctx.notify(Class::ZSET, if flags.incr { "zincr" } else { "zadd" }, key);
    }
    ctx.changed((added + updated) as u64);
    Ok(if flags.incr {
        last.map_or(Reply::Nil, score_reply)
    } else {
        Reply::Integer(if flags.ch { added + updated } else { added })
    })
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
pub fn zadd(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    zadd_generic(ctx, argv, false)
}

/// ZINCRBY key increment member (ZADD's path with INCR, options and all, as in Redis).
pub fn zincrby(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    zadd_generic(ctx, argv, true)
}

// ---- single-member reads, ZREM ----

pub fn zcard(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let zset = ctx.db().get_as::<ZSetValue>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Integer(zset.map_or(0, ZSetValue::len) as i64))
}

/// The scores of `members` in the set at `key`, Nil for each one absent.
fn scores(ctx: &ReadCtx, key: &[u8], members: &[Vec<u8>]) -> Result<Vec<Reply>, Reply> {
    let zset = ctx.db().get_as::<ZSetValue>(key, ctx.now_ms)?;
    let score = |member: &Vec<u8>| zset.and_then(|z| z.score(member));
    Ok(members
        .iter()
        .map(|member| score(member).map_or(Reply::Nil, score_reply))
        .collect())
}

pub fn zscore(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(scores(ctx, &argv[1], &argv[2..3])?.remove(0))
}

pub fn zmscore(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Array(scores(ctx, &argv[1], &argv[2..])?))
}

/// ZRANK / ZREVRANK key member [WITHSCORE] (WITHSCORE as Redis 7.2; 7.0 has no such option).
fn rank_generic(ctx: &ReadCtx, argv: &[Vec<u8>], reverse: bool) -> CmdResult {
    let withscore = match &argv[3..] {
        [] => false,
        [opt] if is(opt, "WITHSCORE") => true,
        [_] => return Err(syntax_error()),
        _ => return Err(wrong_arity(if reverse { "zrevrank" } else { "zrank" })),
    };
    let member = &argv[2];
    let zset = ctx.db().get_as::<ZSetValue>(&argv[1], ctx.now_ms)?;
    let Some((zset, rank)) = zset.and_then(|z| Some((z, z.rank(member)?))) else {
        return Ok(if withscore {
            Reply::NilArray
        } else {
            Reply::Nil
        });
    };
    let rank = if reverse { zset.len() - 1 - rank } else { rank };
    let rank = Reply::Integer(rank as i64);
    Ok(if withscore {
        let score = zset.score(member).expect("ranked member has a score");
        Reply::Array(vec![rank, score_reply(score)])
    } else {
        rank
    })
}

pub fn zrank(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    rank_generic(ctx, argv, false)
}

pub fn zrevrank(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    rank_generic(ctx, argv, true)
}

pub fn zrem(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let members = &argv[2..];
    let removed = modify(ctx, &argv[1], "zrem", |zset| {
        members
            .iter()
            .filter(|member| zset.remove(member).is_some())
            .count()
    })?;
    Ok(Reply::Integer(removed.unwrap_or(0) as i64))
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]. A compact set comes whole in one reply
/// (cursor 0), as Redis does for a listpack; a large one pages by member hash, so a member
/// present for the whole scan is returned exactly once. Scores print as d2string does.
pub fn zscan(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let cursor = scan_cursor(&argv[2])?;
    let Some(zset) = ctx.db().get_as::<ZSetValue>(&argv[1], ctx.now_ms)? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let options = ScanOptions::parse(&argv[3..], scan::Options::MatchCount)?;
    let (page, next) = match zset.scan_from(cursor) {
        None => (zset.entries(), 0),
        Some(entries) => {
            let (page, next) = scan_page(entries, options.count);
            let page = page.into_iter().map(|(s, m)| (s, m.to_vec())).collect();
            (page, next)
        }
    };
    let items = page
        .into_iter()
        .filter(|(_, member)| options.matches(member))
        .flat_map(|(score, member)| [Reply::Bulk(member), Reply::bulk(d2string(score))])
        .collect();
    Ok(scan_reply(next, items))
}
