//! The commands half: HLL values at keys, and Redis's errors.

use super::value::{
    add, count, decode_sparse, dense_registers, invalidate_cache, is_hll, is_sparse, new_hll,
    self_test, to_dense, Corrupt, Union,
};
use crate::notify::Class;
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Read, Write},
    ADMIN, DENYOOM, FAST,
};
use crate::spec::{ReadCtx, WriteCtx};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "pfadd", -2, DENYOOM | FAST, 1, 1, 1, Write(pfadd),
        keys: "RW insert @1",
        docs: "hyperloglog 2.8.9",
        summary: "Adds elements to a HyperLogLog cardinality estimator",
        complexity: "O(1) per element",
        args: "key:key#0 ?*element:string",
    ),
    cmd!(
        "pfcount", -2, 0, 1, -1, 1, Read(pfcount),
        keys: "RW access @1 -1/1/0",
        docs: "hyperloglog 2.8.9",
        summary: "Estimates how many distinct elements one or more HyperLogLogs have seen",
        complexity: "O(1) for one key; O(N) for N keys merged, with a large constant",
        args: "*key:key#0",
    ),
    cmd!(
        "pfmerge", -2, DENYOOM, 1, -1, 1, Write(pfmerge),
        keys: "RW access insert @1; RO access @2 -1/1/0",
        docs: "hyperloglog 2.8.9",
        summary: "Unites HyperLogLogs into a destination key",
        complexity: "O(N), N being the number of keys merged",
        args: "destkey:key#0 *sourcekey:key#1",
    ),
    // A write: GETREG and TODENSE convert a sparse value to dense (through the log).
    cmd!(
        "pfdebug", 3, DENYOOM | ADMIN, 2, 2, 1, Write(pfdebug),
        keys: "RW access @2",
        docs: "hyperloglog 2.8.9 syscmd",
        summary: "Inspects a HyperLogLog's internal registers and encoding",
        complexity: "O(N), N being the number of registers",
        args: "subcommand:string key:key#0",
    ),
    // Touches no key: a read, so that it costs the log nothing.
    cmd!(
        "pfselftest", 1, ADMIN, 0, 0, 0, Read(pfselftest),
        docs: "hyperloglog 2.8.9 syscmd",
        summary: "Runs the HyperLogLog implementation's self-test",
        complexity: "O(N) in the test's fixed work",
    ),
];

pub(super) const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
pub(super) const CORRUPTED: &str = "INVALIDOBJ Corrupted HLL object detected";

impl From<Corrupt> for Reply {
    fn from(_: Corrupt) -> Reply {
        Reply::error(CORRUPTED)
    }
}

/// isHLLObjectOrReply on a string value (None when the key is absent): a string that is not
/// an HLL has a WRONGTYPE line of its own.
fn as_hll(value: Option<&Vec<u8>>) -> Result<Option<&[u8]>, Reply> {
    match value {
        Some(bytes) if !is_hll(bytes) => Err(Reply::error(NOT_HLL)),
        value => Ok(value.map(Vec::as_slice)),
    }
}

/// The HLL at `key` for writing, created empty when absent; the caller checked that a value
/// there is an HLL, so an empty string is one just created (a deadline is kept).
fn hll_for_write<'a>(ctx: &'a mut WriteCtx, key: &[u8]) -> Result<(&'a mut Vec<u8>, bool), Reply> {
    let now = ctx.now_ms;
    ctx.db().get_or_create::<Vec<u8>>(key, now)?;
    // An HLL written by PFADD or PFMERGE is Redis's "raw" string, however short.
    ctx.db().mark_raw_string(key, now);
    let hll = ctx.db().get_or_create::<Vec<u8>>(key, now)?;
    let created = hll.is_empty();
    if created {
        *hll = new_hll();
    }
    Ok((hll, created))
}

/// PFADD key [element ...]: 1 when the key was created or a register changed.
pub fn pfadd(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    as_hll(ctx.db().get_as(&argv[1], now)?)?;
    let sparse_max_bytes = ctx.keyspace.encoding.hll_sparse_bytes();
    let (hll, created) = hll_for_write(ctx, &argv[1])?;
    // Redis counts the creation and each element that changed a register.
    let mut changes = u64::from(created);
    for element in &argv[2..] {
        changes += u64::from(add(hll, element, sparse_max_bytes)?);
    }
    let updated = changes > 0;
    if updated {
        invalidate_cache(hll);
        ctx.notify(Class::STRING, "pfadd", &argv[1]);
    }
    ctx.changed(changes);
    Ok(Reply::Integer(i64::from(updated)))
}

/// PFCOUNT key [key ...]: one key's cardinality (its cache when valid), or the cardinality
/// of the union of several. Never writes the cache back (see the module comment).
pub fn pfcount(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let hll_at = |key: &[u8]| as_hll(ctx.db().get_as(key, ctx.now_ms)?);
    if let [_, key] = argv {
        let card = hll_at(key)?.map_or(Ok(0), count)?;
        return Ok(Reply::Integer(card as i64));
    }
    let mut union = Union::default();
    for key in &argv[1..] {
        if let Some(hll) = hll_at(key)? {
            union.add(hll)?;
        }
    }
    Ok(Reply::Integer(union.count() as i64))
}

/// PFMERGE destkey [sourcekey ...]: the destination (itself a source) gets the union; it
/// is dense if any source was. Redis notifies it as "pfadd".
pub fn pfmerge(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let mut union = Union::default();
    for key in &argv[1..] {
        if let Some(hll) = as_hll(ctx.db().get_as(key, now)?)? {
            union.add(hll)?;
        }
    }
    let sparse_max_bytes = ctx.keyspace.encoding.hll_sparse_bytes();
    let (hll, _) = hll_for_write(ctx, &argv[1])?;
    union.store(hll, sparse_max_bytes)?;
    ctx.notify(Class::STRING, "pfadd", &argv[1]);
    Ok(Reply::ok())
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key, in Redis's order: the key must exist and hold
/// an HLL before the subcommand is looked at. GETREG (every register) and TODENSE (1 when it
/// converted) leave the value dense; like Redis's, the value becomes a "raw" string.
pub fn pfdebug(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (key, now) = (&argv[2], ctx.now_ms);
    match as_hll(ctx.db().get_as(key, now)?)? {
        None => return Err(Reply::error("ERR The specified key does not exist")),
        Some(_) => ctx.db().mark_raw_string(key, now),
    }
    let hll = ctx
        .db()
        .get_as_mut::<Vec<u8>>(key, now)?
        .ok_or_else(|| Reply::error("ERR The specified key does not exist"))?;
    let sub = argv[1].to_ascii_lowercase();
    match sub.as_slice() {
        b"getreg" => {
            make_dense(hll)?;
            let registers = dense_registers(hll).into_iter();
            Ok(Reply::Array(
                registers.map(|r| Reply::Integer(r.into())).collect(),
            ))
        }
        b"decode" if is_sparse(hll) => Ok(Reply::bulk(decode_sparse(hll))),
        b"decode" => Err(Reply::error("ERR HLL encoding is not sparse")),
        b"encoding" => Ok(Reply::Simple(
            if is_sparse(hll) { "sparse" } else { "dense" }.into(),
        )),
        b"todense" => Ok(Reply::Integer(i64::from(make_dense(hll)?))),
        _ => Err(Reply::error(format!(
            "ERR Unknown PFDEBUG subcommand '{}'",
            String::from_utf8_lossy(&argv[1])
        ))),
    }
}

/// Converts a sparse HLL to dense in place; whether it converted.
fn make_dense(hll: &mut Vec<u8>) -> Result<bool, Reply> {
    if !is_sparse(hll) {
        return Ok(false);
    }
    *hll = to_dense(hll).ok_or_else(|| Reply::error(CORRUPTED))?;
    Ok(true)
}

/// PFSELFTEST: OK when the register encodings pass their checks (a bounded version of
/// Redis's, see [`self_test`]); `ERR TESTFAILED <what>` otherwise.
pub fn pfselftest(_ctx: &ReadCtx, _argv: &[Vec<u8>]) -> CmdResult {
    self_test().map_err(|failure| Reply::error(format!("ERR TESTFAILED {failure}")))?;
    Ok(Reply::ok())
}
