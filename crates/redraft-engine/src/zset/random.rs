//! ZRANDMEMBER: random picks drawn from the context's seed, so that every replica (and every
//! read with the same seed) picks the same members.

use std::collections::BTreeSet;

use super::commands::entries_reply;
use super::ZSetValue;
use crate::reply::{CmdResult, Reply};
use crate::rng::Rng;
use crate::sample::count_and_option;
use crate::spec::ReadCtx;

/// The most replies a ZRANDMEMBER with a negative count may ask for. Redis has no such cap;
/// here a huge count must not exhaust the serving node's memory (docs/commands.md gives
/// this bound, which is not sample.rs's).
const RANDOM_REPLIES_MAX: u64 = 1 << 24;

/// ZRANDMEMBER key [count [WITHSCORES]]. Positive count: distinct members (all of them, in
/// order, when count >= size); negative: |count| independent picks.
pub fn zrandmember(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let mut rng = Rng::new(ctx.seed);
    let zset = || ctx.db().get_as::<ZSetValue>(&argv[1], ctx.now_ms);
    let Some(count) = argv.get(2) else {
        let Some(zset) = zset()? else {
            return Ok(Reply::Nil);
        };
        let (_, member) = zset.at(rng.below(zset.len()));
        return Ok(Reply::bulk(member));
    };
    let (count, withscores) = count_and_option(count, &argv[3..], "WITHSCORES")?;
    let Some(zset) = zset()? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let size = zset.len();
    let ranks: Vec<usize> = if count < 0 {
        if count.unsigned_abs() > RANDOM_REPLIES_MAX {
            return Err(Reply::error("ERR value is out of range"));
        }
        (0..count.unsigned_abs()).map(|_| rng.below(size)).collect()
    } else {
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if count >= size {
            (0..size).collect()
        } else if count.saturating_mul(3) > size {
            rng.distinct(size, count)
        } else {
            // A few picks from many: draw until enough are distinct.
            let mut seen = BTreeSet::new();
            let mut ranks = Vec::with_capacity(count);
            while ranks.len() < count {
                let rank = rng.below(size);
                if seen.insert(rank) {
                    ranks.push(rank);
                }
            }
            ranks
        }
    };
    Ok(entries_reply(zset.entries_at(ranks), withscores))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
    use crate::reply::Reply;
    use crate::testutil;
    use crate::zset::tests::{check, engine, resp2};

    /// The members of an array reply.
    fn members(reply: Reply) -> Vec<Vec<u8>> {
        let Reply::Array(items) = reply else {
            panic!("{reply:?}")
        };
        let member = |item| match item {
            Reply::Bulk(bytes) => bytes,
            other => panic!("{other:?}"),
        };
        items.into_iter().map(member).collect()
    }

    #[test]
    fn zrandmember_draws_from_the_seed() {
        let mut e = engine();
        let all = [b"a", b"b", b"c", b"d"].map(|m| m.to_vec());
        for seed in 0..50 {
            let draw = |command| resp2(testutil::read_seeded(&e, 0, seed, command));
            let one = draw("ZRANDMEMBER z");
            assert!(matches!(&one, Reply::Bulk(m) if all.contains(m)), "{one:?}");
            assert_eq!(one, draw("ZRANDMEMBER z"), "same seed, same pick");
            let distinct = members(draw("ZRANDMEMBER z 3"));
            let unique: BTreeSet<&Vec<u8>> = distinct.iter().collect();
            assert_eq!((distinct.len(), unique.len()), (3, 3));
            let repeated = members(draw("ZRANDMEMBER z -10"));
            assert_eq!(repeated.len(), 10);
            assert!(repeated.iter().all(|m| all.contains(m)));
            assert_eq!(members(draw("ZRANDMEMBER z -2 WITHSCORES")).len(), 4);
        }
        let out_of_range = "ERR value is out of range";
        let not_long = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
        let cases = [
            ("ZRANDMEMBER z 10 WITHSCORES", "[a 1 b 2 c 3 d 4]"),
            ("ZRANDMEMBER z 0", "[]"),
            ("ZRANDMEMBER none", "(nil)"),
            ("ZRANDMEMBER none 5", "[]"),
            ("ZRANDMEMBER z x", NOT_INTEGER),
            ("ZRANDMEMBER z 1 FOO", SYNTAX_ERROR),
            ("ZRANDMEMBER z 1 WITHSCORES x", SYNTAX_ERROR),
            ("ZRANDMEMBER z -9223372036854775808", not_long),
            ("ZRANDMEMBER z 9223372036854775807 WITHSCORES", out_of_range),
            ("ZRANDMEMBER z -16777217", out_of_range),
        ];
        check(&mut e, &cases);
    }
}
