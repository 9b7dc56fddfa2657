//! Stream commands (XADD, XREADGROUP, ...) and the stream value type (t_stream.c).
//!
//! The value type is in [`value`] (IDs, entries, the listpack node model that decides
//! approximate trimming, the snapshot format) and [`groups`] (consumer groups). The
//! commands parse IDs with [`ids`] and are in [`commands`] (entries, and the command
//! table), [`group_commands`] (XGROUP, XREADGROUP, XACK, XPENDING), [`claim`] (XCLAIM,
//! XAUTOCLAIM) and [`info`] (XINFO).

mod claim;
mod commands;
mod group_commands;
mod groups;
mod ids;
mod info;
mod value;

pub(crate) use commands::COMMANDS;
pub use groups::{Consumer, ConsumerGroup, PendingEntry};
pub use ids::INVALID_ID;
pub use value::{StreamId, StreamValue, ENTRIES_READ_INVALID};

#[cfg(test)]
mod tests;
