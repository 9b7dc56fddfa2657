//! Stream commands (XADD, XREADGROUP, ...) and the stream value type.

use crate::snapshot::{Reader, SnapshotError};
use crate::table::CommandSpec;

/// A stream value. Its representation is this module's own choice.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamValue {}

impl StreamValue {
    /// Appends this value in the snapshot format (deterministic: equal values, equal bytes).
    pub(crate) fn encode_snapshot(&self, _out: &mut Vec<u8>) {}

    pub(crate) fn decode_snapshot(_reader: &mut Reader) -> Result<StreamValue, SnapshotError> {
        Ok(StreamValue::default())
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
