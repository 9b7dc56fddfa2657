//! XCLAIM and XAUTOCLAIM: moving pending entries to another consumer of their group. Idle
//! and delivery times come from the entry time, so every replica claims the same entries.

use std::collections::BTreeMap;

use super::commands::entry_reply;
use super::group_commands::{no_group, notify_consumer_created, now_of};
use super::ids::{parse_range_start, parse_strict_id};
use super::{ConsumerGroup, PendingEntry, StreamId, StreamValue};
use crate::args::{self, is, syntax_error, Args};
use crate::reply::{CmdResult, Reply};
use crate::spec::WriteCtx;

/// Redis's LONG_MAX / max(sizeof(streamID), attempts factor): the largest COUNT.
const AUTOCLAIM_COUNT_MAX: i64 = i64::MAX / 16;
const AUTOCLAIM_ATTEMPTS_FACTOR: i64 = 10;

/// A stream's entries: ID → field, value, field, value, ...
type Entries = BTreeMap<StreamId, Vec<Vec<u8>>>;

/// The entries and the group a claim works on: NOGROUP when the key or the group is missing.
fn claim_target<'a>(
    ctx: &'a mut WriteCtx,
    argv: &[Vec<u8>],
) -> Result<(&'a Entries, &'a mut ConsumerGroup), Reply> {
    let (key, group_name) = (&argv[1], &argv[2]);
    let now = ctx.now_ms;
    let missing = || no_group(key, group_name, "");
    let stream = ctx.db().get_as_mut::<StreamValue>(key, now)?;
    let StreamValue {
        entries, groups, ..
    } = stream.ok_or_else(missing)?;
    let group = groups.get_mut(group_name.as_slice()).ok_or_else(missing)?;
    Ok((entries, group))
}

/// The claiming consumer: refreshed (or created) on its first claim only, as in Redis.
struct Claimer<'a> {
    consumer: &'a [u8],
    now: i64,
    justid: bool,
    touched: bool,
    /// Whether the first claim created the consumer (a keyspace event).
    created: bool,
}

impl Claimer<'_> {
    /// Gives the pending entry `id` to the consumer; the entry (or its ID) as claimed.
    fn take(&mut self, group: &mut ConsumerGroup, id: StreamId, fields: &[Vec<u8>]) -> Reply {
        if !self.touched {
            self.created = group.touch_consumer(self.consumer, self.now);
            self.touched = true;
        }
        group.assign(id, self.consumer);
        if self.justid {
            id.reply()
        } else {
            entry_reply(id, fields)
        }
    }
}

/// The options of XCLAIM after the IDs.
struct ClaimOptions {
    force: bool,
    justid: bool,
    delivery_time: Option<i64>,
    retry_count: Option<i64>,
    last_id: StreamId,
}

fn claim_int(arg: &[u8], option: &str) -> Result<i64, Reply> {
    args::parse_i64(arg)
        .ok_or_else(|| Reply::error(format!("ERR Invalid {option} option argument for XCLAIM")))
}

fn min_idle(arg: &[u8], command: &str) -> Result<i64, Reply> {
    let min_idle = args::parse_i64(arg)
        .ok_or_else(|| Reply::error(format!("ERR Invalid min-idle-time argument for {command}")))?;
    Ok(min_idle.max(0))
}

/// Whether a pending entry delivered at `delivered` has been idle long enough.
fn idle_enough(now: i64, delivered: i64, min_idle: i64) -> bool {
    min_idle == 0 || now.saturating_sub(delivered) >= min_idle
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n]
/// [FORCE] [JUSTID] [LASTID id]
pub fn xclaim(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let now = now_of(ctx.now_ms);
    let (entries, group) = claim_target(ctx, argv)?;
    let min_idle = min_idle(&argv[4], "XCLAIM")?;
    let mut args = Args::new(argv, 5);
    let mut ids = Vec::new();
    while let Some(id) = args.peek().and_then(|arg| parse_strict_id(arg).ok()) {
        ids.push(id);
        args.next_arg();
    }
    let mut options = ClaimOptions {
        force: false,
        justid: false,
        delivery_time: None,
        retry_count: None,
        last_id: StreamId::MIN,
    };
    while let Some(opt) = args.next_arg() {
        let more = !args.is_empty();
        if is(opt, "FORCE") {
            options.force = true;
        } else if is(opt, "JUSTID") {
            options.justid = true;
        } else if is(opt, "IDLE") && more {
            let idle = claim_int(args.bytes()?, "IDLE")?;
            options.delivery_time = Some(now.wrapping_sub(idle));
        } else if is(opt, "TIME") && more {
            options.delivery_time = Some(claim_int(args.bytes()?, "TIME")?);
        } else if is(opt, "RETRYCOUNT") && more {
            options.retry_count = Some(claim_int(args.bytes()?, "RETRYCOUNT")?);
        } else if is(opt, "LASTID") && more {
            options.last_id = parse_strict_id(args.bytes()?)?;
        } else {
            return Err(args::client_error(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                args::text(opt)
            )));
        }
    }
    let delivery_time = match options.delivery_time {
        Some(time) if (0..=now).contains(&time) => time,
        _ => now,
    };
    // Redis counts a change per entry claimed or dropped from the PEL, and one for LASTID.
    let mut changes = u64::from(options.last_id > group.last_id);
    group.last_id = group.last_id.max(options.last_id);
    let mut claimer = Claimer {
        consumer: &argv[3],
        now,
        justid: options.justid,
        touched: false,
        created: false,
    };
    let mut claimed = Vec::new();
    for id in ids {
        let Some(fields) = entries.get(&id) else {
            changes += u64::from(group.acknowledge(id));
            continue;
        };
        match group.pel.get(&id) {
            None if !options.force => continue,
            Some(pending) if !idle_enough(now, pending.delivery_time_ms, min_idle) => continue,
            _ => {}
        }
        let pending = group.pel.entry(id).or_insert_with(|| PendingEntry {
            consumer: Vec::new(),
            delivery_time_ms: now,
            delivery_count: 1,
        });
        pending.delivery_time_ms = delivery_time;
        match options.retry_count {
            Some(count) if count >= 0 => pending.delivery_count = count as u64,
            _ if !options.justid => pending.delivery_count = pending.delivery_count.wrapping_add(1),
            _ => {}
        }
        claimed.push(claimer.take(group, id, fields));
    }
    ctx.changed(changes + claimed.len() as u64);
    if claimer.created {
        notify_consumer_created(ctx, &argv[1]);
    }
    Ok(Reply::Array(claimed))
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]: claims idle
/// pending entries from `start`; replies with the next cursor, the claimed entries, and the
/// IDs of pending entries found deleted (and dropped from the PEL).
pub fn xautoclaim(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let min_idle = min_idle(&argv[4], "XAUTOCLAIM")?;
    let start = parse_range_start(&argv[5])?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut args = Args::new(argv, 6);
    while let Some(opt) = args.next_arg() {
        if is(opt, "COUNT") && !args.is_empty() {
            count = args::parse_i64(args.bytes()?)
                .filter(|c| (1..=AUTOCLAIM_COUNT_MAX).contains(c))
                .ok_or_else(|| Reply::error("ERR COUNT must be > 0"))?;
        } else if is(opt, "JUSTID") {
            justid = true;
        } else {
            return Err(syntax_error());
        }
    }
    let now = now_of(ctx.now_ms);
    let (entries, group) = claim_target(ctx, argv)?;
    let mut claimer = Claimer {
        consumer: &argv[3],
        now,
        justid,
        touched: false,
        created: false,
    };
    let mut attempts = count.saturating_mul(AUTOCLAIM_ATTEMPTS_FACTOR);
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    // None once the last possible ID was scanned.
    let mut cursor = Some(start);
    let next = loop {
        let found = cursor.and_then(|from| group.pel.range(from..).next());
        let Some((&id, pending)) = found else {
            break StreamId::MIN;
        };
        if attempts == 0 || count == 0 {
            break id;
        }
        attempts -= 1;
        cursor = id.next();
        let Some(fields) = entries.get(&id) else {
            group.acknowledge(id);
            deleted.push(id.reply());
            count -= 1;
            continue;
        };
        if !idle_enough(now, pending.delivery_time_ms, min_idle) {
            continue;
        }
        let pending = group.pel.get_mut(&id).expect("pending");
        pending.delivery_time_ms = now;
        if !justid {
            pending.delivery_count = pending.delivery_count.wrapping_add(1);
        }
        claimed.push(claimer.take(group, id, fields));
        count -= 1;
    };
    ctx.changed((claimed.len() + deleted.len()) as u64);
    if claimer.created {
        notify_consumer_created(ctx, &argv[1]);
    }
    Ok(Reply::Array(vec![
        next.reply(),
        Reply::Array(claimed),
        Reply::Array(deleted),
    ]))
}
