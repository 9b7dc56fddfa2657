//! The state machine alone against redis-server: the same seeded random programs as
//! `differential.rs`, applied to an in-process `redraft_engine::Engine` (writes as log entries
//! stamped with the wall clock, reads through `Engine::read`). It needs no `redraft` binary, so
//! engine bugs show apart from server and Raft bugs.
//!
//! Commands the session layer answers (`Kind::Session`, e.g. PING, ECHO) are sent to
//! redis-server but not compared here; `differential.rs` covers them end to end.

use redraft_tests::differential::Strings;
use redraft_tests::driver::Against;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_string_commands_on_the_engine_reply_like_redis_byte_for_byte() {
    Strings::run(3, Against::Engine).await;
}
