//! The redraft server: CLI, RESP framing and encoding, client sessions, routing of reads and
//! writes. The `redraft` binary (main.rs) wires these to a Raft node; the test crate uses the
//! encoder to turn engine replies into the bytes a client would see.

pub mod accept;
pub mod aclfile;
mod admin;
pub mod allocator;
mod auth;
mod block;
mod caching;
pub mod cli;
pub mod clients;
pub mod cluster;
mod commandstats;
mod config_command;
pub mod config_file;
mod connection;
pub mod debug;
mod delivery;
pub mod encode;
mod exec;
pub mod frame;
#[doc(hidden)]
pub mod fuzz_targets;
pub mod health;
mod histogram;
mod info;
mod latency;
pub mod logins;
mod memory;
pub mod metrics;
mod monitor;
mod node_params;
mod observe;
pub mod outbox;
mod param_table;
pub mod pause;
pub mod pubsub;
pub mod raft_cluster;
mod role;
pub mod scripts;
pub mod server;
pub mod session;
pub mod settings;
mod slowlog;
mod subscribe;
#[cfg(test)]
mod tests;
mod tracking;
mod transaction;
mod wait;
pub mod waiting;
