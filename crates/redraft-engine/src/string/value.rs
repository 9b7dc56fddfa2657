//! The rules on a string value's bytes (a string is its bytes, `Vec<u8>`, in the keyspace):
//! the length cap, GETRANGE's indexes and SETRANGE's patch.

use crate::reply::Reply;

/// Redis's default proto-max-bulk-len: the largest string SETRANGE and APPEND may build.
pub const STRING_LEN_MAX: u64 = 512 * 1024 * 1024;

/// Whether a string of `len` bytes may grow by `extra` (checkStringLength).
pub(super) fn check_string_length(len: u64, extra: u64) -> Result<(), Reply> {
    match len.checked_add(extra) {
        Some(total) if total <= STRING_LEN_MAX => Ok(()),
        _ => Err(Reply::error(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        )),
    }
}

/// Redis 7's GETRANGE index rules: negative indexes count from the end and are then clamped
/// into the string, so a range wholly before the start still yields the first byte (Redis 8
/// changed this; our differential reference is Redis 7).
pub(super) fn substring(bytes: &[u8], start: i64, end: i64) -> &[u8] {
    if start < 0 && end < 0 && start > end {
        return &[];
    }
    let len = bytes.len() as i64;
    let from_end = |index: i64| if index < 0 { index + len } else { index };
    let start = from_end(start).max(0);
    let end = from_end(end).max(0).min(len - 1);
    if len == 0 || start > end {
        return &[];
    }
    &bytes[start as usize..=end as usize]
}

/// Writes `patch` at `offset`, zero-filling any gap. The caller has bounded offset + len.
pub(super) fn overwrite(bytes: &mut Vec<u8>, offset: usize, patch: &[u8]) {
    let end = offset + patch.len();
    if bytes.len() < end {
        bytes.resize(end, 0);
    }
    bytes[offset..end].copy_from_slice(patch);
}
