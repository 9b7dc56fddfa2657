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
    cmd!(
        "zadd", -4, DENYOOM | FAST, 1, 1, 1, Write(zadd),
        keys: "RW update @1",
        docs: "sorted-set 1.2.0",
        summary: "Adds members with scores to a sorted set, or updates their scores",
        complexity: "O(log N) per member, N being the set's size",
        history: "2.4.0 Takes several members at once.; 3.0.2 XX, NX, CH and INCR were introduced.; 6.2.0 GT and LT were introduced.",
        args: "key:key#0 ?condition:oneof@3.0.2(nx:pure-token=NX xx:pure-token=XX) ?comparison:oneof@6.2.0(gt:pure-token=GT lt:pure-token=LT) ?change:pure-token=CH@3.0.2 ?increment:pure-token=INCR@3.0.2 *score_member:block(score:double member:string)",
    ),
    cmd!(
        "zcard", 2, FAST, 1, 1, 1, Read(zcard),
        keys: "RO @1",
        docs: "sorted-set 1.2.0",
        summary: "Counts a sorted set's members",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "zcount", 4, FAST, 1, 1, 1, Read(zcount),
        keys: "RO access @1",
        docs: "sorted-set 2.0.0",
        summary: "Counts the members whose score lies in a range",
        complexity: "O(log N), N being the set's size",
        args: "key:key#0 min:double max:double",
    ),
    cmd!(
        "zdiff", -3, 0, 0, 0, 0, Read(zdiff),
        keys: "RO access @1 #0/1/1",
        docs: "sorted-set 6.2.0",
        summary: "Gives the members of the first sorted set found in none of the others",
        complexity: "O(L + (N-K)log(N)), L the total of all sizes, N the first set's size, K the result's size",
        args: "numkeys:integer *key:key#0 ?withscores:pure-token=WITHSCORES",
    ),
    cmd!(
        "zdiffstore", -4, DENYOOM, 1, 1, 1, Write(zdiffstore),
        keys: "OW update @1; RO access @2 #0/1/1",
        docs: "sorted-set 6.2.0",
        summary: "Stores the members of the first sorted set found in none of the others",
        complexity: "O(L + (N-K)log(N)), L the total of all sizes, N the first set's size, K the result's size",
        args: "destination:key#0 numkeys:integer *key:key#1",
    ),
    cmd!(
        "zincrby", 4, DENYOOM | FAST, 1, 1, 1, Write(zincrby),
        keys: "RW access update @1",
        docs: "sorted-set 1.2.0",
        summary: "Adds an amount to a sorted set member's score",
        complexity: "O(log N), N being the set's size",
        args: "key:key#0 increment:integer member:string",
    ),
    cmd!(
        "zinter", -3, 0, 0, 0, 0, Read(zinter),
        keys: "RO access @1 #0/1/1",
        docs: "sorted-set 6.2.0",
        summary: "Gives the members common to all the sorted sets, with combined scores",
        complexity: "O(N*K) + O(M*log(M)): N the smallest set, K the number of sets, M the result's size",
        args: "numkeys:integer *key:key#0 ?*weight:integer=WEIGHTS ?aggregate:oneof=AGGREGATE(sum:pure-token=SUM min:pure-token=MIN max:pure-token=MAX) ?withscores:pure-token=WITHSCORES",
    ),
    cmd!(
        "zintercard", -3, 0, 0, 0, 0, Read(zintercard),
        keys: "RO access @1 #0/1/1",
        docs: "sorted-set 7.0.0",
        summary: "Counts the members common to all the sorted sets, up to an optional limit",
        complexity: "O(N*K): N the smallest set, K the number of sets",
        args: "numkeys:integer *key:key#0 ?limit:integer=LIMIT",
    ),
    cmd!(
        "zinterstore", -4, DENYOOM, 1, 1, 1, Write(zinterstore),
        keys: "OW update @1; RO access @2 #0/1/1",
        docs: "sorted-set 2.0.0",
        summary: "Stores the members common to all the sorted sets, with combined scores",
        complexity: "O(N*K) + O(M*log(M)): N the smallest set, K the number of sets, M the result's size",
        args: "destination:key#0 numkeys:integer *key:key#1 ?*weight:integer=WEIGHTS ?aggregate:oneof=AGGREGATE(sum:pure-token=SUM min:pure-token=MIN max:pure-token=MAX)",
    ),
    cmd!(
        "zlexcount", 4, FAST, 1, 1, 1, Read(zlexcount),
        keys: "RO access @1",
        docs: "sorted-set 2.8.9",
        summary: "Counts the members in a lexicographic range, for equal scores",
        complexity: "O(log N), N being the set's size",
        args: "key:key#0 min:string max:string",
    ),
    cmd!(
        "zmpop", -4, 0, 0, 0, 0, Write(zmpop),
        keys: "RW access delete @1 #0/1/1",
        docs: "sorted-set 7.0.0",
        summary: "Removes and gives members with the lowest or highest scores of the first non-empty sorted set",
        complexity: "O(K) + O(M*log(N)): K keys tried, M members popped, N the set's size",
        args: "numkeys:integer *key:key#0 where:oneof(min:pure-token=MIN max:pure-token=MAX) ?count:integer=COUNT",
    ),
    cmd!(
        "zmscore", -3, FAST, 1, 1, 1, Read(zmscore),
        keys: "RO access @1",
        docs: "sorted-set 6.2.0",
        summary: "Reads the scores of several members",
        complexity: "O(N), N being the members named",
        args: "key:key#0 *member:string",
    ),
    cmd!(
        "zpopmax", -2, FAST, 1, 1, 1, Write(zpopmax),
        keys: "RW access delete @1",
        docs: "sorted-set 5.0.0",
        summary: "Removes and gives the members with the highest scores",
        complexity: "O(M*log(N)): M members popped, N the set's size",
        args: "key:key#0 ?count:integer",
    ),
    cmd!(
        "zpopmin", -2, FAST, 1, 1, 1, Write(zpopmin),
        keys: "RW access delete @1",
        docs: "sorted-set 5.0.0",
        summary: "Removes and gives the members with the lowest scores",
        complexity: "O(M*log(N)): M members popped, N the set's size",
        args: "key:key#0 ?count:integer",
    ),
    cmd!(
        "zrandmember", -2, RANDOM, 1, 1, 1, Read(zrandmember),
        tips: "nondeterministic_output",
        keys: "RO access @1",
        docs: "sorted-set 6.2.0",
        summary: "Picks random members of a sorted set, optionally with scores",
        complexity: "O(N), N being the number of members picked",
        args: "key:key#0 ?options:block(count:integer ?withscores:pure-token=WITHSCORES)",
    ),
    cmd!(
        "zrange", -4, 0, 1, 1, 1, Read(zrange),
        keys: "RO access @1",
        docs: "sorted-set 1.2.0",
        summary: "Gives members by rank, score or lexicographic range, in either order",
        complexity: "O(log(N)+M): N the set's size, M members returned",
        history: "6.2.0 REV, BYSCORE, BYLEX and LIMIT were introduced.",
        args: "key:key#0 start:string stop:string ?sortby:oneof@6.2.0(byscore:pure-token=BYSCORE bylex:pure-token=BYLEX) ?rev:pure-token=REV@6.2.0 ?offset_count:block=LIMIT@6.2.0(offset:integer count:integer) ?withscores:pure-token=WITHSCORES",
    ),
    cmd!(
        "zrangebylex", -4, 0, 1, 1, 1, Read(zrangebylex),
        keys: "RO access @1",
        docs: "sorted-set 2.8.9 deprecated deprecated_since:6.2.0",
        summary: "Gives the members in a lexicographic range, for equal scores",
        complexity: "O(log(N)+M): N the set's size, M members returned",
        replaced_by: "ZRANGE ... BYLEX",
        args: "key:key#0 min:string max:string ?offset_count:block=LIMIT(offset:integer count:integer)",
    ),
    cmd!(
        "zrangebyscore", -4, 0, 1, 1, 1, Read(zrangebyscore),
        keys: "RO access @1",
        docs: "sorted-set 1.0.5 deprecated deprecated_since:6.2.0",
        summary: "Gives the members whose score lies in a range",
        complexity: "O(log(N)+M): N the set's size, M members returned",
        replaced_by: "ZRANGE ... BYSCORE",
        history: "2.0.0 WITHSCORES was introduced.",
        args: "key:key#0 min:double max:double ?withscores:pure-token=WITHSCORES@2.0.0 ?offset_count:block=LIMIT(offset:integer count:integer)",
    ),
    cmd!(
        "zrangestore", -5, DENYOOM, 1, 2, 1, Write(zrangestore),
        keys: "OW update @1; RO access @2",
        docs: "sorted-set 6.2.0",
        summary: "Stores a range of a sorted set (as ZRANGE selects it) in another key",
        complexity: "O(log(N)+M): N the set's size, M members stored",
        args: "dst:key#0 src:key#1 min:string max:string ?sortby:oneof(byscore:pure-token=BYSCORE bylex:pure-token=BYLEX) ?rev:pure-token=REV ?offset_count:block=LIMIT(offset:integer count:integer)",
    ),
    cmd!(
        "zrank", -3, FAST, 1, 1, 1, Read(zrank),
        keys: "RO access @1",
        docs: "sorted-set 2.0.0",
        summary: "Gives a member's rank, lowest score first",
        complexity: "O(log N), N being the set's size",
        args: "key:key#0 member:string",
    ),
    cmd!(
        "zrem", -3, FAST, 1, 1, 1, Write(zrem),
        keys: "RW delete @1",
        docs: "sorted-set 1.2.0",
        summary: "Deletes the named members of a sorted set",
        complexity: "O(M*log(N)): M members removed, N the set's size",
        history: "2.4.0 Takes several members at once.",
        args: "key:key#0 *member:string",
    ),
    cmd!(
        "zremrangebylex", 4, 0, 1, 1, 1, Write(zremrangebylex),
        keys: "RW delete @1",
        docs: "sorted-set 2.8.9",
        summary: "Removes the members in a lexicographic range, for equal scores",
        complexity: "O(log(N)+M): N the set's size, M members removed",
        args: "key:key#0 min:string max:string",
    ),
    cmd!(
        "zremrangebyrank", 4, 0, 1, 1, 1, Write(zremrangebyrank),
        keys: "RW delete @1",
        docs: "sorted-set 2.0.0",
        summary: "Removes the members between two ranks",
        complexity: "O(log(N)+M): N the set's size, M members removed",
        args: "key:key#0 start:integer stop:integer",
    ),
    cmd!(
        "zremrangebyscore", 4, 0, 1, 1, 1, Write(zremrangebyscore),
        keys: "RW delete @1",
        docs: "sorted-set 1.2.0",
        summary: "Removes the members whose score lies in a range",
        complexity: "O(log(N)+M): N the set's size, M members removed",
        args: "key:key#0 min:double max:double",
    ),
    cmd!(
        "zrevrange", -4, 0, 1, 1, 1, Read(zrevrange),
        keys: "RO access @1",
        docs: "sorted-set 1.2.0 deprecated deprecated_since:6.2.0",
        summary: "Gives members by rank, highest score first",
        complexity: "O(log(N)+M): N the set's size, M members returned",
        replaced_by: "ZRANGE ... REV",
        args: "key:key#0 start:integer stop:integer ?withscores:pure-token=WITHSCORES",
    ),
    cmd!(
        "zrevrangebylex", -4, 0, 1, 1, 1, Read(zrevrangebylex),
        keys: "RO access @1",
        docs: "sorted-set 2.8.9 deprecated deprecated_since:6.2.0",
        summary: "Gives the members in a lexicographic range, in reverse order",
        complexity: "O(log(N)+M): N the set's size, M members returned",
        replaced_by: "ZRANGE ... BYLEX REV",
        args: "key:key#0 max:string min:string ?offset_count:block=LIMIT(offset:integer count:integer)",
    ),
    cmd!(
        "zrevrangebyscore", -4, 0, 1, 1, 1, Read(zrevrangebyscore),
        keys: "RO access @1",
        docs: "sorted-set 2.2.0 deprecated deprecated_since:6.2.0",
        summary: "Gives the members whose score lies in a range, highest first",
        complexity: "O(log(N)+M): N the set's size, M members returned",
        replaced_by: "ZRANGE ... BYSCORE REV",
        history: "2.1.6 Either bound may be exclusive.",
        args: "key:key#0 max:double min:double ?withscores:pure-token=WITHSCORES ?offset_count:block=LIMIT(offset:integer count:integer)",
    ),
    cmd!(
        "zrevrank", -3, FAST, 1, 1, 1, Read(zrevrank),
        keys: "RO access @1",
        docs: "sorted-set 2.0.0",
        summary: "Gives a member's rank, highest score first",
        complexity: "O(log N), N being the set's size",
        args: "key:key#0 member:string",
    ),
    cmd!(
        "zscan", -3, 0, 1, 1, 1, Read(zscan),
        tips: "nondeterministic_output",
        keys: "RO access @1",
        docs: "sorted-set 2.8.0",
        summary: "Walks a sorted set's members and scores with a cursor",
        complexity: "O(1) per call; O(N) for a whole walk, N being the set's size",
        args: "key:key#0 cursor:integer ?pattern:pattern=MATCH ?count:integer=COUNT",
    ),
    cmd!(
        "zscore", 3, FAST, 1, 1, 1, Read(zscore),
        keys: "RO access @1",
        docs: "sorted-set 1.2.0",
        summary: "Reads a member's score",
        complexity: "O(1)",
        args: "key:key#0 member:string",
    ),
    cmd!(
        "zunion", -3, 0, 0, 0, 0, Read(zunion),
        keys: "RO access @1 #0/1/1",
        docs: "sorted-set 6.2.0",
        summary: "Gives the members of any of the sorted sets, with combined scores",
        complexity: "O(N) + O(M*log(M)): N the total of the sizes, M the result's size",
        args: "numkeys:integer *key:key#0 ?*weight:integer=WEIGHTS ?aggregate:oneof=AGGREGATE(sum:pure-token=SUM min:pure-token=MIN max:pure-token=MAX) ?withscores:pure-token=WITHSCORES",
    ),
    cmd!(
        "zunionstore", -4, DENYOOM, 1, 1, 1, Write(zunionstore),
        keys: "OW update @1; RO access @2 #0/1/1",
        docs: "sorted-set 2.0.0",
        summary: "Stores the members of any of the sorted sets, with combined scores",
        complexity: "O(N) + O(M*log(M)): N the total of the sizes, M the result's size",
        args: "destination:key#0 numkeys:integer *key:key#1 ?*weight:integer=WEIGHTS ?aggregate:oneof=AGGREGATE(sum:pure-token=SUM min:pure-token=MIN max:pure-token=MAX)",
    ),
];
