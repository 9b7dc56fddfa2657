//! ZPOPMIN, ZPOPMAX and ZMPOP over pop cores that a later blocking layer (BZPOPMIN, BZMPOP)
//! can call.

use super::commands::{entries_reply, modify, score_reply};
use crate::args::keyword;
use crate::args::{self, syntax_error, MUST_BE_POSITIVE};
use crate::mpop;
use crate::reply::{CmdResult, Reply};
use crate::spec::WriteCtx;

/// (member, score) pairs in pop order.
pub type Popped = Vec<(Vec<u8>, f64)>;

/// Pops up to `count` lowest (or highest, `max`) entries of the set at `key`, deleting it
/// when emptied; Ok(None) when absent. Entries come as (member, score) in pop order. The
/// blocking pops are served here too, so a served client notifies what its pop did.
pub fn pop_core(
    ctx: &mut WriteCtx,
    key: &[u8],
    max: bool,
    count: usize,
) -> Result<Option<Popped>, Reply> {
    let event = if max { "zpopmax" } else { "zpopmin" };
    modify(ctx, key, event, |zset| {
        let mut popped = Vec::new();
        while popped.len() < count && !zset.is_empty() {
            let rank = if max { zset.len() - 1 } else { 0 };
            let (score, member) = zset.at(rank);
            let member = member.to_vec();
            zset.remove(&member);
            popped.push((member, score));
        }
        popped
    })
}

/// ZMPOP's core: pops from the first existing set among `keys`; Ok(None) when there is none.
pub fn mpop_core(
    ctx: &mut WriteCtx,
    keys: &[Vec<u8>],
    max: bool,
    count: usize,
) -> Result<Option<(Vec<u8>, Popped)>, Reply> {
    for key in keys {
        if let Some(popped) = pop_core(ctx, key, max, count)? {
            return Ok(Some((key.clone(), popped)));
        }
    }
    Ok(None)
}

/// ZPOPMIN / ZPOPMAX key [count]: flat pairs without a count; with one, pairs that RESP3
/// nests.
fn zpop_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], max: bool) -> CmdResult {
    let count = match &argv[2..] {
        [] => None,
        [count] => match args::parse_i64(count) {
            Some(count) if count >= 0 => Some(usize::try_from(count).unwrap_or(usize::MAX)),
            _ => return Err(Reply::error(MUST_BE_POSITIVE)),
        },
        _ => return Err(syntax_error()),
    };
    let popped = pop_core(ctx, &argv[1], max, count.unwrap_or(1))?.unwrap_or_default();
    let pairs = popped.into_iter().map(|(member, score)| (score, member));
    Ok(match count {
        Some(_) => entries_reply(pairs, true),
        None => Reply::Array(
            pairs
                .flat_map(|(score, member)| [Reply::Bulk(member), score_reply(score)])
                .collect(),
        ),
    })
}

pub fn zpopmin(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    zpop_generic(ctx, argv, false)
}

pub fn zpopmax(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    zpop_generic(ctx, argv, true)
}

/// MIN or MAX: whether ZMPOP pops the highest scores.
pub(super) fn min_or_max(arg: &[u8]) -> Result<bool, Reply> {
    keyword(arg, &[("MIN", false), ("MAX", true)])
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: [key, [[member, score], ...]].
pub fn zmpop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let parsed = mpop::parse(&argv[1..], min_or_max)?;
    let Some((key, popped)) = mpop_core(ctx, parsed.keys, parsed.from, parsed.count)? else {
        return Ok(Reply::NilArray);
    };
    let pairs = popped
        .into_iter()
        .map(|(member, score)| Reply::Array(vec![Reply::Bulk(member), score_reply(score)]))
        .collect();
    Ok(Reply::Array(vec![Reply::Bulk(key), Reply::Array(pairs)]))
}

#[cfg(test)]
mod tests {
    use crate::args::{MUST_BE_POSITIVE, SYNTAX_ERROR};
    use crate::zset::tests::{check, engine};

    #[test]
    fn zpopmin_zpopmax() {
        let mut e = engine();
        let cases = [
            ("ZPOPMIN z", "[a 1]"),
            ("ZPOPMAX z 2", "[d 4 c 3]"),
            ("ZPOPMAX z 0", "[]"),
            ("ZPOPMIN z 10", "[b 2]"),
            ("EXISTS z", ":0"),
            ("ZPOPMIN z", "[]"),
            ("ZPOPMIN z -1", MUST_BE_POSITIVE),
            ("ZPOPMIN z x", MUST_BE_POSITIVE),
            ("ZPOPMIN z 1 2", SYNTAX_ERROR),
        ];
        check(&mut e, &cases);
    }

    #[test]
    fn zmpop_pops_from_the_first_existing_set() {
        let mut e = engine();
        let cases = [
            ("ZMPOP 2 none z MIN", "[z [[a 1]]]"),
            ("ZMPOP 1 z max COUNT 10", "[z [[d 4] [c 3] [b 2]]]"),
            ("EXISTS z", ":0"),
            ("ZMPOP 1 z MIN", "(nil-array)"),
            ("ZMPOP 0 z MIN", "ERR numkeys should be greater than 0"),
            ("ZMPOP 3 z MIN", SYNTAX_ERROR),
            ("ZMPOP 1 z MID", SYNTAX_ERROR),
            (
                "ZMPOP 1 z MIN COUNT 0",
                "ERR count should be greater than 0",
            ),
            ("ZMPOP 1 z MIN FOO", SYNTAX_ERROR),
        ];
        check(&mut e, &cases);
    }
}
