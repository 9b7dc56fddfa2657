//! Stream commands (XADD, XREADGROUP, ...) and the stream value type (t_stream.c).
//!
//! The value type is in [`value`] (IDs, entries, the listpack node model that decides
//! approximate trimming, the snapshot format) and [`groups`] (consumer groups). The
//! commands parse IDs with [`ids`] and are in [`commands`] (entries, and the command
//! table), [`group_commands`] (XGROUP, XREADGROUP, XACK, XPENDING), [`claim`] (XCLAIM,
//! XAUTOCLAIM) and [`info`] (XINFO).

pub(crate) mod blocking;
mod claim;
mod commands;
mod group_commands;
mod groups;
mod id;
mod ids;
mod info;
pub(crate) mod value;

pub use groups::{Consumer, ConsumerGroup, PendingEntry};
pub use id::StreamId;
pub use value::{StreamValue, ENTRIES_READ_INVALID};

#[cfg(test)]
mod tests;

use crate::spec::{
    cmd, CommandSpec,
    Kind::{Container, Read, Write},
    BLOCKING, DENYOOM, FAST,
};
use claim::{xautoclaim, xclaim};
use commands::{xadd, xdel, xlen, xrange, xread, xrevrange, xsetid, xtrim};
use group_commands::{xack, xpending, xreadgroup, XGROUP};
use info::XINFO;

/// This module's entries in the command table (see [`crate::table`]). Key positions as
/// Redis 7.0's COMMAND reports them (XREAD and XREADGROUP report none; XGROUP's and XINFO's
/// subcommands take their key second).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "xack", -4, FAST, 1, 1, 1, Write(xack),
        keys: "RW update @1",
        docs: "stream 5.0.0",
        summary: "Marks pending entries of a consumer group as processed",
        complexity: "O(1) per id",
        args: "key:key#0 group:string *id:string",
    ),
    cmd!(
        "xadd", -5, DENYOOM | FAST, 1, 1, 1, Write(xadd),
        tips: "nondeterministic_output",
        keys: "RW update @1",
        docs: "stream 5.0.0",
        summary: "Appends an entry to a stream, optionally trimming it",
        complexity: "O(1) per entry; trimming adds O(N), N being the entries evicted",
        history: "6.2.0 NOMKSTREAM, the MINID strategy and LIMIT were introduced.; 7.0.0 Ids of the form <ms>-* are accepted.",
        args: "key:key#0 ?nomkstream:pure-token=NOMKSTREAM@6.2.0 ?trim:block(strategy:oneof(maxlen:pure-token=MAXLEN minid:pure-token=MINID@6.2.0) ?operator:oneof(equal:pure-token== approximately:pure-token=~) threshold:string ?count:integer=LIMIT@6.2.0) id_or_auto:oneof(auto_id:pure-token=* id:string) *field_value:block(field:string value:string)",
    ),
    cmd!(
        "xautoclaim", -6, FAST, 1, 1, 1, Write(xautoclaim),
        tips: "nondeterministic_output",
        keys: "RW delete @1",
        docs: "stream 6.2.0",
        summary: "Transfers pending entries idle for long enough to another consumer, by cursor",
        complexity: "O(1) for a small COUNT; O(N) in the pending entries examined",
        history: "7.0.0 The reply has a third element: the ids of deleted entries taken off the pending list.",
        args: "key:key#0 group:string consumer:string min-idle-time:string start:string ?count:integer=COUNT ?justid:pure-token=JUSTID",
    ),
    cmd!(
        "xclaim", -6, FAST, 1, 1, 1, Write(xclaim),
        tips: "nondeterministic_output",
        keys: "RW update @1",
        docs: "stream 5.0.0",
        summary: "Transfers named pending entries to another consumer",
        complexity: "O(log N), N being the group's pending entries",
        args: "key:key#0 group:string consumer:string min-idle-time:string *id:string ?ms:integer=IDLE ?unix-time-milliseconds:unix-time=TIME ?count:integer=RETRYCOUNT ?force:pure-token=FORCE ?justid:pure-token=JUSTID ?id:string=LASTID",
    ),
    cmd!(
        "xdel", -3, FAST, 1, 1, 1, Write(xdel),
        keys: "RW delete @1",
        docs: "stream 5.0.0",
        summary: "Removes entries from a stream",
        complexity: "O(1) per entry",
        args: "key:key#0 *id:string",
    ),
    cmd!(
        "xgroup", -2, 0, 0, 0, 0, Container(XGROUP),
        docs: "stream 5.0.0",
        summary: "Container of the commands that manage a stream's consumer groups",
        complexity: "Given by each subcommand",
    ),
    cmd!(
        "xinfo", -2, 0, 0, 0, 0, Container(XINFO),
        docs: "stream 5.0.0",
        summary: "Container of the commands that describe streams",
        complexity: "Given by each subcommand",
    ),
    cmd!(
        "xlen", 2, FAST, 1, 1, 1, Read(xlen),
        keys: "RO @1",
        docs: "stream 5.0.0",
        summary: "Counts a stream's entries",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "xpending", -3, 0, 1, 1, 1, Read(xpending),
        tips: "nondeterministic_output",
        keys: "RO access @1",
        docs: "stream 5.0.0",
        summary: "Describes the entries delivered to a group but not acknowledged",
        complexity: "O(N), N being the entries listed",
        history: "6.2.0 IDLE and exclusive range bounds were introduced.",
        args: "key:key#0 group:string ?filters:block(?min-idle-time:integer=IDLE@6.2.0 start:string end:string count:integer ?consumer:string)",
    ),
    cmd!(
        "xrange", -4, 0, 1, 1, 1, Read(xrange),
        keys: "RO access @1",
        docs: "stream 5.0.0",
        summary: "Gives a stream's entries between two ids",
        complexity: "O(N), N being the entries returned",
        history: "6.2.0 Bounds may be exclusive.",
        args: "key:key#0 start:string end:string ?count:integer=COUNT",
    ),
    cmd!(
        "xread", -4, BLOCKING, 0, 0, 0, Read(xread),
        keys: "RO access STREAMS@1 -1/1/2",
        docs: "stream 5.0.0",
        summary: "Reads entries after given ids from one or more streams, optionally waiting",
        complexity: "O(N) per stream, N being the entries returned",
        args: "?count:integer=COUNT ?milliseconds:integer=BLOCK streams:block=STREAMS(*key:key#0 *id:string)",
    ),
    cmd!(
        "xreadgroup", -7, BLOCKING, 0, 0, 0, Write(xreadgroup),
        keys: "RO access STREAMS@4 -1/1/2",
        docs: "stream 5.0.0",
        summary: "Reads entries for a consumer of a group, optionally waiting",
        complexity: "O(M), M being the entries returned",
        args: "group_consumer:block=GROUP(group:string consumer:string) ?count:integer=COUNT ?milliseconds:integer=BLOCK ?noack:pure-token=NOACK streams:block=STREAMS(*key:key#0 *id:string)",
    ),
    cmd!(
        "xrevrange", -4, 0, 1, 1, 1, Read(xrevrange),
        keys: "RO access @1",
        docs: "stream 5.0.0",
        summary: "Gives a stream's entries between two ids, newest first",
        complexity: "O(N), N being the entries returned",
        history: "6.2.0 Bounds may be exclusive.",
        args: "key:key#0 end:string start:string ?count:integer=COUNT",
    ),
    cmd!(
        "xsetid", -3, DENYOOM | FAST, 1, 1, 1, Write(xsetid),
        keys: "RW update @1",
        docs: "stream 5.0.0",
        summary: "Sets a stream's last id and its counters",
        complexity: "O(1)",
        history: "7.0.0 ENTRIESADDED and MAXDELETEDID were introduced.",
        args: "key:key#0 last-id:string ?entries_added:integer=ENTRIESADDED@7.0.0 ?max_deleted_entry_id:string=MAXDELETEDID@7.0.0",
    ),
    cmd!(
        "xtrim", -4, 0, 1, 1, 1, Write(xtrim),
        tips: "nondeterministic_output",
        keys: "RW delete @1",
        docs: "stream 5.0.0",
        summary: "Removes a stream's oldest entries by length or id",
        complexity: "O(N), N being the entries evicted",
        history: "6.2.0 The MINID strategy and LIMIT were introduced.",
        args: "key:key#0 trim:block(strategy:oneof(maxlen:pure-token=MAXLEN minid:pure-token=MINID@6.2.0) ?operator:oneof(equal:pure-token== approximately:pure-token=~) threshold:string ?count:integer=LIMIT@6.2.0)",
    ),
];
