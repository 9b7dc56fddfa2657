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
    cmd!("zadd", -4, DENYOOM | FAST, 1, 1, 1, Write(zadd), keys: "RW update @1"),
    cmd!("zcard", 2, FAST, 1, 1, 1, Read(zcard), keys: "RO @1"),
    cmd!("zcount", 4, FAST, 1, 1, 1, Read(zcount), keys: "RO access @1"),
    cmd!("zdiff", -3, 0, 0, 0, 0, Read(zdiff), keys: "RO access @1 #0/1/1"),
    cmd!(
        "zdiffstore", -4, DENYOOM, 1, 1, 1, Write(zdiffstore),
        keys: "OW update @1; RO access @2 #0/1/1",
    ),
    cmd!("zincrby", 4, DENYOOM | FAST, 1, 1, 1, Write(zincrby), keys: "RW access update @1"),
    cmd!("zinter", -3, 0, 0, 0, 0, Read(zinter), keys: "RO access @1 #0/1/1"),
    cmd!("zintercard", -3, 0, 0, 0, 0, Read(zintercard), keys: "RO access @1 #0/1/1"),
    cmd!(
        "zinterstore", -4, DENYOOM, 1, 1, 1, Write(zinterstore),
        keys: "OW update @1; RO access @2 #0/1/1",
    ),
    cmd!("zlexcount", 4, FAST, 1, 1, 1, Read(zlexcount), keys: "RO access @1"),
    cmd!("zmpop", -4, 0, 0, 0, 0, Write(zmpop), keys: "RW access delete @1 #0/1/1"),
    cmd!("zmscore", -3, FAST, 1, 1, 1, Read(zmscore), keys: "RO access @1"),
    cmd!("zpopmax", -2, FAST, 1, 1, 1, Write(zpopmax), keys: "RW access delete @1"),
    cmd!("zpopmin", -2, FAST, 1, 1, 1, Write(zpopmin), keys: "RW access delete @1"),
    cmd!(
        "zrandmember", -2, RANDOM, 1, 1, 1, Read(zrandmember),
        tips: "nondeterministic_output",
        keys: "RO access @1",
    ),
    cmd!("zrange", -4, 0, 1, 1, 1, Read(zrange), keys: "RO access @1"),
    cmd!("zrangebylex", -4, 0, 1, 1, 1, Read(zrangebylex), keys: "RO access @1"),
    cmd!("zrangebyscore", -4, 0, 1, 1, 1, Read(zrangebyscore), keys: "RO access @1"),
    cmd!(
        "zrangestore", -5, DENYOOM, 1, 2, 1, Write(zrangestore),
        keys: "OW update @1; RO access @2",
    ),
    cmd!("zrank", -3, FAST, 1, 1, 1, Read(zrank), keys: "RO access @1"),
    cmd!("zrem", -3, FAST, 1, 1, 1, Write(zrem), keys: "RW delete @1"),
    cmd!("zremrangebylex", 4, 0, 1, 1, 1, Write(zremrangebylex), keys: "RW delete @1"),
    cmd!("zremrangebyrank", 4, 0, 1, 1, 1, Write(zremrangebyrank), keys: "RW delete @1"),
    cmd!("zremrangebyscore", 4, 0, 1, 1, 1, Write(zremrangebyscore), keys: "RW delete @1"),
    cmd!("zrevrange", -4, 0, 1, 1, 1, Read(zrevrange), keys: "RO access @1"),
    cmd!("zrevrangebylex", -4, 0, 1, 1, 1, Read(zrevrangebylex), keys: "RO access @1"),
    cmd!("zrevrangebyscore", -4, 0, 1, 1, 1, Read(zrevrangebyscore), keys: "RO access @1"),
    cmd!("zrevrank", -3, FAST, 1, 1, 1, Read(zrevrank), keys: "RO access @1"),
    cmd!(
        "zscan", -3, 0, 1, 1, 1, Read(zscan),
        tips: "nondeterministic_output",
        keys: "RO access @1",
    ),
    cmd!("zscore", 3, FAST, 1, 1, 1, Read(zscore), keys: "RO access @1"),
    cmd!("zunion", -3, 0, 0, 0, 0, Read(zunion), keys: "RO access @1 #0/1/1"),
    cmd!(
        "zunionstore", -4, DENYOOM, 1, 1, 1, Write(zunionstore),
        keys: "OW update @1; RO access @2 #0/1/1",
    ),
];
