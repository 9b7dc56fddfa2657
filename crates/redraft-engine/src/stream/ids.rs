//! Stream ID arguments as Redis parses them (streamGenericParseIDOrReply and its wrappers):
//! `-`, `+`, `<ms>`, `<ms>-<seq>`, `<ms>-*`, and `(` for an exclusive range end.

use super::StreamId;
use crate::args;
use crate::reply::Reply;

pub const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

/// Parses a number as Redis's string2ull: string2ll when that works (negative refused),
/// otherwise strtoull's base-10 rules (leading white space, a sign, leading zeros).
fn parse_ull(text: &[u8]) -> Option<u64> {
    if let Some(value) = args::parse_i64(text) {
        return u64::try_from(value).ok();
    }
    let start = text
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let rest = &text[start..];
    let (negative, digits) = match rest.split_first() {
        Some((b'-', tail)) => (true, tail),
        Some((b'+', tail)) => (false, tail),
        _ => (false, rest),
    };
    let value = args::parse_digits_u64(digits)?;
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// How an ID argument may be written.
#[derive(Clone, Copy)]
pub(super) struct IdRules {
    /// Sequence used when only the milliseconds are given.
    pub missing_seq: u64,
    /// Refuse the special IDs `-` and `+`.
    pub strict: bool,
    /// Accept `<ms>-*` (XADD).
    pub partial_seq: bool,
}

/// A parsed ID and whether its sequence was given (false for `<ms>-*`).
pub(super) struct ParsedId {
    pub id: StreamId,
    pub seq_given: bool,
}

/// Parses an ID as streamGenericParseIDOrReply: `-`, `+`, `<ms>`, `<ms>-<seq>`, `<ms>-*`.
pub(super) fn parse_id_with(arg: &[u8], rules: IdRules) -> Option<ParsedId> {
    if arg.len() > 127 {
        return None;
    }
    let text = args::c_str(arg);
    if text == b"-" || text == b"+" {
        if rules.strict {
            return None;
        }
        let id = if text == b"-" {
            StreamId::MIN
        } else {
            StreamId::MAX
        };
        return Some(ParsedId {
            id,
            seq_given: true,
        });
    }
    let (ms_text, seq_text) = match text.iter().position(|&b| b == b'-') {
        Some(dash) => (&text[..dash], Some(&text[dash + 1..])),
        None => (text, None),
    };
    let ms = parse_ull(ms_text)?;
    let (seq, seq_given) = match seq_text {
        None => (rules.missing_seq, true),
        Some(b"*") if rules.partial_seq => (0, false),
        Some(seq) => (parse_ull(seq)?, true),
    };
    Some(ParsedId {
        id: StreamId::new(ms, seq),
        seq_given,
    })
}

/// An ID without the `<ms>-*` form.
fn parse_full_id(arg: &[u8], missing_seq: u64, strict: bool) -> Result<StreamId, Reply> {
    let rules = IdRules {
        missing_seq,
        strict,
        partial_seq: false,
    };
    let parsed = parse_id_with(arg, rules).ok_or_else(|| Reply::error(INVALID_ID))?;
    Ok(parsed.id)
}

/// An ID where `-` and `+` are allowed.
pub(super) fn parse_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse_full_id(arg, missing_seq, false)
}

/// An ID where `-` and `+` are refused.
pub(super) fn parse_strict_id(arg: &[u8]) -> Result<StreamId, Reply> {
    parse_full_id(arg, 0, true)
}

/// Every argument as a strict ID (XDEL, XACK): all are checked before any is used.
pub(super) fn parse_strict_ids(args: &[Vec<u8>]) -> Result<Vec<StreamId>, Reply> {
    args.iter().map(|arg| parse_strict_id(arg)).collect()
}

/// XADD's ID: strict, `<ms>-*` allowed; with whether its sequence was given.
pub(super) fn parse_xadd_id(arg: &[u8]) -> Result<(StreamId, bool), Reply> {
    let rules = IdRules {
        missing_seq: 0,
        strict: true,
        partial_seq: true,
    };
    let parsed = parse_id_with(arg, rules).ok_or_else(|| Reply::error(INVALID_ID))?;
    Ok((parsed.id, parsed.seq_given))
}

/// One end of a range: `(` makes it exclusive (streamParseIntervalIDOrReply).
fn parse_interval_id(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    match arg {
        [b'(', rest @ ..] if !rest.is_empty() => {
            Ok((parse_full_id(rest, missing_seq, true)?, true))
        }
        _ => Ok((parse_id(arg, missing_seq)?, false)),
    }
}

/// A range start: an exclusive start moves to the next ID.
pub(super) fn parse_range_start(arg: &[u8]) -> Result<StreamId, Reply> {
    match parse_interval_id(arg, 0)? {
        (id, false) => Ok(id),
        (id, true) => id
            .next()
            .ok_or_else(|| Reply::error("ERR invalid start ID for the interval")),
    }
}

/// A range end: an exclusive end moves to the previous ID.
pub(super) fn parse_range_end(arg: &[u8]) -> Result<StreamId, Reply> {
    match parse_interval_id(arg, u64::MAX)? {
        (id, false) => Ok(id),
        (id, true) => id
            .prev()
            .ok_or_else(|| Reply::error("ERR invalid end ID for the interval")),
    }
}
