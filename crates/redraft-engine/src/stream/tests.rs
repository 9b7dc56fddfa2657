use super::*;

/// Every command of this module that has a unit test; the table's meta-test compares it
/// with the table.
pub(crate) const TESTED: &[&str] = &[];
