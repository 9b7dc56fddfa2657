//! Sorted-set commands (t_zset.c) and the sorted-set value type.
//!
//! The value half, [`value`]: [`ZSetValue`], a compact sorted sequence packed in one
//! allocation (Redis's listpack encoding) for small sets that converts past
//! zset-max-listpack-entries 128 / -value 64 to an order-statistic tree plus a member→score
//! map (Redis's skiplist encoding), and its snapshot format. The commands half: ZADD/ZINCRBY
//! over one generic add and the single-member reads in [`commands`] (with the table
//! fragment), the ZRANGE family over one generic range in [`range`], ZUNION/ZINTER/ZDIFF (and
//! their STORE and CARD forms) over one generic set operation, and ZRANGESTORE, in [`store`],
//! pops over pop cores that a later blocking layer (BZPOPMIN, BZMPOP) can call in [`pop`],
//! ZRANDMEMBER in [`random`].
//!
//! Scores are replied as doubles, which RESP2 prints with `%.17g` as Redis 7.0 does (see
//! [`score_reply`]).

pub(crate) mod blocking;
mod commands;
mod pop;
mod random;
mod range;
mod store;
#[cfg(test)]
mod tests;
pub(crate) mod value;

pub(crate) use commands::zadd;
pub(crate) use store::store;
pub use value::{Entries, ZSetValue};

use crate::spec::{
    cmd, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST, RANDOM,
};
use commands::{zcard, zincrby, zmscore, zrank, zrem, zrevrank, zscan, zscore};
use pop::{zmpop, zpopmax, zpopmin};
use random::zrandmember;
use range::{
    zcount, zlexcount, zrange, zrangebylex, zrangebyscore, zremrangebylex, zremrangebyrank,
    zremrangebyscore, zrevrange, zrevrangebylex, zrevrangebyscore,
};
use store::{zdiff, zdiffstore, zinter, zintercard, zinterstore, zrangestore, zunion, zunionstore};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("zadd", -4, DENYOOM | FAST, 1, 1, 1, Write(zadd)),
    cmd!("zcard", 2, FAST, 1, 1, 1, Read(zcard)),
    cmd!("zcount", 4, FAST, 1, 1, 1, Read(zcount)),
    cmd!("zdiff", -3, 0, 0, 0, 0, Read(zdiff)),
    cmd!("zdiffstore", -4, DENYOOM, 1, 1, 1, Write(zdiffstore)),
    cmd!("zincrby", 4, DENYOOM | FAST, 1, 1, 1, Write(zincrby)),
    cmd!("zinter", -3, 0, 0, 0, 0, Read(zinter)),
    cmd!("zintercard", -3, 0, 0, 0, 0, Read(zintercard)),
    cmd!("zinterstore", -4, DENYOOM, 1, 1, 1, Write(zinterstore)),
    cmd!("zlexcount", 4, FAST, 1, 1, 1, Read(zlexcount)),
    cmd!("zmpop", -4, 0, 0, 0, 0, Write(zmpop)),
    cmd!("zmscore", -3, FAST, 1, 1, 1, Read(zmscore)),
    cmd!("zpopmax", -2, FAST, 1, 1, 1, Write(zpopmax)),
    cmd!("zpopmin", -2, FAST, 1, 1, 1, Write(zpopmin)),
    cmd!("zrandmember", -2, RANDOM, 1, 1, 1, Read(zrandmember)),
    cmd!("zrange", -4, 0, 1, 1, 1, Read(zrange)),
    cmd!("zrangebylex", -4, 0, 1, 1, 1, Read(zrangebylex)),
    cmd!("zrangebyscore", -4, 0, 1, 1, 1, Read(zrangebyscore)),
    cmd!("zrangestore", -5, DENYOOM, 1, 2, 1, Write(zrangestore)),
    cmd!("zrank", -3, FAST, 1, 1, 1, Read(zrank)),
    cmd!("zrem", -3, FAST, 1, 1, 1, Write(zrem)),
    cmd!("zremrangebylex", 4, 0, 1, 1, 1, Write(zremrangebylex)),
    cmd!("zremrangebyrank", 4, 0, 1, 1, 1, Write(zremrangebyrank)),
    cmd!("zremrangebyscore", 4, 0, 1, 1, 1, Write(zremrangebyscore)),
    cmd!("zrevrange", -4, 0, 1, 1, 1, Read(zrevrange)),
    cmd!("zrevrangebylex", -4, 0, 1, 1, 1, Read(zrevrangebylex)),
    cmd!("zrevrangebyscore", -4, 0, 1, 1, 1, Read(zrevrangebyscore)),
    cmd!("zrevrank", -3, FAST, 1, 1, 1, Read(zrevrank)),
    cmd!("zscan", -3, 0, 1, 1, 1, Read(zscan)),
    cmd!("zscore", 3, FAST, 1, 1, 1, Read(zscore)),
    cmd!("zunion", -3, 0, 0, 0, 0, Read(zunion)),
    cmd!("zunionstore", -4, DENYOOM, 1, 1, 1, Write(zunionstore)),
];
