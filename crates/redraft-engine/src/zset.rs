//! Sorted-set commands (ZADD, ZRANGE, ...) and the sorted-set value type.

use crate::snapshot::{Reader, SnapshotError};
use crate::table::CommandSpec;

/// A zset value. Its representation is this module's own choice.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZSetValue {}

impl ZSetValue {
    /// Appends this value in the snapshot format (deterministic: equal values, equal bytes).
    pub(crate) fn encode_snapshot(&self, _out: &mut Vec<u8>) {}

    pub(crate) fn decode_snapshot(_reader: &mut Reader) -> Result<ZSetValue, SnapshotError> {
        Ok(ZSetValue::default())
    }
}

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[];

#[cfg(test)]
pub(crate) mod tests {
    /// Every command of this module that has a unit test; the table's meta-test compares it
    /// with the table.
    pub(crate) const TESTED: &[&str] = &[];
}
