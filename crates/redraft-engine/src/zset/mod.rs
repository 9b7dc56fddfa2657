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

mod commands;
mod pop;
mod random;
mod range;
mod store;
#[cfg(test)]
mod tests;
mod value;

pub use commands::score_reply;
pub(crate) use commands::zadd;
pub(crate) use commands::COMMANDS;
pub use pop::{mpop_core, pop_core, Popped};
pub(crate) use store::store;
pub use value::{Entries, ZSetValue};
