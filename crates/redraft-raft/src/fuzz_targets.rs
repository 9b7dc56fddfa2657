//! The bodies of the Raft crate's fuzz targets: log records as they lie on disk, and the gRPC
//! requests a peer sends. Shared by the cargo-fuzz targets under `fuzz/` and the corpus
//! replay of every test run (`tests/tests/fuzz_corpus.rs`); always compiled, for the reason
//! the engine's `fuzz_targets` gives. Inside this crate, so that the formats and checks stay
//! private to it.

use std::collections::{BTreeMap, BTreeSet};

use openraft::raft::{AppendEntriesRequest, VoteRequest};
use openraft::vote::RaftLeaderId;
use openraft::{BasicNode, EntryPayload, Membership};
use prost::Message;
use redraft_engine::fuzz_targets::Target;
use redraft_engine::{LogCommand, Op, Run};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::admin::AdminOp;
use crate::config::DEFAULT_MAX_MESSAGE_BYTES;
use crate::log_store::meta::Meta;
use crate::log_store::segment::{self, Position};
use crate::network::SnapshotHeader;
use crate::pb::{self, admin_request, AdminRequest, ForwardRequest, RaftPayload, RemovedNotice};
use crate::record;
use crate::service;
use crate::types::{
    Entry, LeaderId, LogId, NodeId, SnapshotMeta, StoredMembership, TypeConfig, Vote,
};
use crate::write_batch;

/// The Raft crate's targets.
pub const TARGETS: &[Target] = &[
    Target {
        name: "log_record",
        run: log_record,
        seeds: log_record_seeds,
    },
    Target {
        name: "grpc_request",
        run: grpc_request,
        seeds: grpc_request_seeds,
    },
];

/// Re-encodes a decoded value: the bytes must decode again, to a value that encodes to the
/// same bytes (the first encoding may differ from the input: repeated map keys, for one).
fn check_postcard_round_trip<T: Serialize + DeserializeOwned>(value: &T) {
    let encoded = postcard::to_allocvec(value).expect("a decoded value encodes");
    let again: T = match postcard::from_bytes(&encoded) {
        Ok(again) => again,
        Err(error) => panic!(
            "a re-encoded {} does not decode: {error}",
            std::any::type_name::<T>()
        ),
    };
    assert!(postcard::to_allocvec(&again).expect("encodes") == encoded);
}

fn postcard_round_trip<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let value: T = postcard::from_bytes(bytes).ok()?;
    check_postcard_round_trip(&value);
    Some(value)
}

/// `payload` is one record's payload: the target frames it with the right checksum, so that
/// mutations reach the entry's decoding, and reads it back as recovery and the log cache do
/// (the entry at its index, and refused at any other). The same bytes decode (or not) as the
/// log's small state files (`meta`, `committed`) and the persisted snapshot's meta. And the
/// input as it is, a segment's contents, is walked record by record as recovery walks it.
pub fn log_record(payload: &[u8]) {
    let framed = record::encode(payload).expect("fuzz inputs are below 4 GiB");
    let position = Position {
        seq: 0,
        offset: 0,
        len: framed.len() as u64,
    };
    if let Some(entry) = postcard_round_trip::<Entry>(payload) {
        let index = entry.log_id.index;
        let read = segment::decode_entry(&framed, position, index).expect("a framed entry reads");
        assert!(postcard::to_allocvec(&read).ok() == postcard::to_allocvec(&entry).ok());
        assert!(segment::decode_entry(&framed, position, index.wrapping_add(1)).is_err());
    } else {
        assert!(segment::decode_entry(&framed, position, 0).is_err());
    }
    postcard_round_trip::<Meta>(payload);
    postcard_round_trip::<Option<LogId>>(payload);
    postcard_round_trip::<SnapshotMeta>(payload);
    walk_segment(payload);
}

/// Reads framed records from the start of `bytes` until one is short or damaged (where
/// recovery cuts a torn tail), decoding each one's entry.
fn walk_segment(mut bytes: &[u8]) {
    while let Ok((payload, len)) = record::decode(bytes) {
        assert!(len >= record::HEADER_LEN && len <= bytes.len());
        let _ = postcard::from_bytes::<Entry>(payload);
        bytes = &bytes[len..];
    }
}

/// The request kinds of the gRPC service, chosen by the input's first byte.
const FORWARD: u8 = 0;
const ADMIN: u8 = 1;
const APPEND_ENTRIES: u8 = 2;
const VOTE: u8 = 3;
const INSTALL_SNAPSHOT: u8 = 4;
const REMOVED_NOTICE: u8 = 5;
const KINDS: u8 = 6;

/// A request as a peer sends it: the first byte picks the message type, the rest is its
/// protobuf encoding. It is decoded as the service decodes it (tonic refuses a message over
/// the size limit before decoding), then checked as the service checks it before acting on
/// it: a forwarded run within its bounds, an admin request with an operation, a Raft payload
/// that postcard decodes into openraft's request. Whatever decodes encodes again to a
/// message that decodes to itself.
pub fn grpc_request(input: &[u8]) {
    let Some((&kind, message)) = input.split_first() else {
        return;
    };
    if message.len() > DEFAULT_MAX_MESSAGE_BYTES {
        return;
    }
    match kind % KINDS {
        FORWARD => forward_request(message),
        ADMIN => admin_request(message),
        APPEND_ENTRIES => raft_payload::<AppendEntriesRequest<TypeConfig>>(message),
        VOTE => raft_payload::<VoteRequest<TypeConfig>>(message),
        INSTALL_SNAPSHOT => raft_payload::<SnapshotHeader>(message),
        _ => {
            protobuf_round_trip::<RemovedNotice>(message);
        }
    }
}

fn protobuf_round_trip<M: Message + Default + PartialEq>(bytes: &[u8]) -> Option<M> {
    let message = M::decode(bytes).ok()?;
    let again =
        M::decode(message.encode_to_vec().as_slice()).expect("a re-encoded message decodes");
    assert!(again == message, "a re-encoded message decodes to another");
    Some(message)
}

fn forward_request(bytes: &[u8]) {
    let Some(request) = protobuf_round_trip::<ForwardRequest>(bytes) else {
        return;
    };
    if let Ok(runs) = service::forwarded_runs(request) {
        assert!(!runs.is_empty());
        for cmds in runs.iter().map(|run| &run.cmds) {
            let bytes: usize = cmds.iter().flatten().map(Vec::len).sum();
            assert!(!cmds.is_empty() && cmds.len() <= crate::MAX_RUN_COMMANDS);
            assert!(cmds.len() == 1 || bytes <= crate::MAX_RUN_BYTES);
        }
        let commands = runs.iter().map(|run| run.cmds.len()).sum();
        let bytes = runs.iter().map(write_batch::run_bytes).sum();
        assert!(runs.len() == 1 || write_batch::within_batch(commands, bytes));
    }
}

fn admin_request(bytes: &[u8]) {
    let Some(request) = protobuf_round_trip::<AdminRequest>(bytes) else {
        return;
    };
    match AdminOp::from_request(request.clone()) {
        Some(op) => assert!(op.to_request(request.forwarded) == request),
        None => assert!(request.op.is_none()),
    }
}

fn raft_payload<T: Serialize + DeserializeOwned>(bytes: &[u8]) {
    let Some(payload) = protobuf_round_trip::<RaftPayload>(bytes) else {
        return;
    };
    if let Ok(rpc) = service::decode::<T>(&payload) {
        check_postcard_round_trip(&rpc);
    }
}

// ---------------------------------------------------------------------------------------
// Seeds: what this crate writes to disk and sends to its peers.

fn log_id(term: u64, index: u64) -> LogId {
    LogId::new(LeaderId::new(term, 1).to_committed(), index)
}

fn membership() -> Membership<NodeId, BasicNode> {
    let voters = BTreeSet::from([1, 2, 3]);
    let nodes: BTreeMap<NodeId, BasicNode> = (1..=4)
        .map(|id| (id, BasicNode::new(format!("10.0.0.{id}:16379"))))
        .collect();
    Membership::new(vec![voters.clone(), BTreeSet::from([1, 2, 4])], nodes)
        .expect("a joint membership of known nodes")
}

/// Entries of every kind the log holds.
fn entries() -> Vec<Entry> {
    let argv =
        |line: &str| -> Vec<Vec<u8>> { line.split(' ').map(|w| w.as_bytes().to_vec()).collect() };
    let batch = LogCommand {
        now_ms: 1_700_000_000_000,
        op: Op::Batch {
            runs: vec![
                Run {
                    db: 0,
                    cmds: vec![argv("SET k v"), argv("INCR counter")],
                },
                Run {
                    db: 3,
                    cmds: vec![argv("RPUSH list a b c")],
                },
            ],
        },
    };
    let sweep = LogCommand {
        now_ms: 1_700_000_000_500,
        op: Op::ExpireSweep { max_keys: 64 },
    };
    [
        EntryPayload::Blank,
        EntryPayload::Normal(batch),
        EntryPayload::Normal(sweep),
        EntryPayload::Membership(membership()),
    ]
    .into_iter()
    .enumerate()
    .map(|(n, payload)| Entry {
        log_id: log_id(2, 10 + n as u64),
        payload,
    })
    .collect()
}

fn snapshot_meta() -> SnapshotMeta {
    SnapshotMeta {
        last_log_id: Some(log_id(2, 12)),
        last_membership: StoredMembership::new(Some(log_id(1, 3)), membership()),
    }
}

fn encoded<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("seeds encode")
}

fn log_record_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = entries().iter().map(encoded).collect();
    let mut segment = Vec::new();
    for entry in entries() {
        record::encode_into(&mut segment, &encoded(&entry)).expect("small records");
    }
    seeds.push(segment);
    seeds.push(encoded(&Meta {
        vote: Some(Vote::new_committed(2, 1)),
        last_purged: Some(log_id(1, 5)),
    }));
    seeds.push(encoded(&Some(log_id(2, 11))));
    seeds.push(encoded(&snapshot_meta()));
    seeds
}

/// `kind` then the protobuf message.
fn request(kind: u8, message: &impl Message) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend(message.encode_to_vec());
    out
}

fn raft_request(kind: u8, rpc: &impl Serialize) -> Vec<u8> {
    request(
        kind,
        &RaftPayload {
            data: encoded(rpc).into(),
        },
    )
}

fn grpc_request_seeds() -> Vec<Vec<u8>> {
    let command = |line: &str| pb::Command {
        argv: line
            .split(' ')
            .map(|w| w.as_bytes().to_vec().into())
            .collect(),
    };
    let forward = ForwardRequest {
        runs: vec![
            pb::ForwardRun {
                db: 2,
                commands: vec![command("SET k v"), command("EXPIRE k 10")],
            },
            pb::ForwardRun {
                db: 0,
                commands: vec![command("INCR n")],
            },
        ],
    };
    let admin = |op| AdminRequest {
        forwarded: true,
        op: Some(op),
    };
    let node = pb::NodeAddr {
        id: 4,
        addr: "10.0.0.4:16379".into(),
    };
    let vote = Vote::new_committed(2, 1);
    let mut seeds = vec![
        request(FORWARD, &forward),
        request(ADMIN, &admin(admin_request::Op::AddLearner(node.clone()))),
        request(ADMIN, &admin(admin_request::Op::Join(node))),
        request(ADMIN, &admin(admin_request::Op::Promote(4))),
        request(ADMIN, &admin(admin_request::Op::Members(pb::Empty {}))),
        raft_request(
            APPEND_ENTRIES,
            &AppendEntriesRequest::<TypeConfig> {
                vote,
                prev_log_id: Some(log_id(2, 9)),
                entries: entries(),
                leader_commit: Some(log_id(2, 9)),
            },
        ),
        raft_request(
            VOTE,
            &VoteRequest::<TypeConfig>::new(Vote::new(3, 2), Some(log_id(2, 13))),
        ),
        raft_request(
            INSTALL_SNAPSHOT,
            &(vote, snapshot_meta(), 1u64 << 20) as &SnapshotHeader,
        ),
        request(
            REMOVED_NOTICE,
            &RemovedNotice {
                node_id: 3,
                leader_id: 1,
                term: 2,
            },
        ),
    ];
    seeds.push(request(ADMIN, &AdminRequest::default()));
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_decodes_as_what_it_was_built_as() {
        for seed in log_record_seeds().iter().take(4) {
            assert!(postcard::from_bytes::<Entry>(seed).is_ok());
        }
        for seed in grpc_request_seeds() {
            grpc_request(&seed);
        }
        for seed in log_record_seeds() {
            log_record(&seed);
        }
    }

    #[test]
    fn a_forward_over_its_bounds_is_refused() {
        let run = |commands: usize| pb::ForwardRun {
            db: 0,
            commands: vec![
                pb::Command {
                    argv: vec![b"PING".to_vec().into()]
                };
                commands
            ],
        };
        let forward = |runs| ForwardRequest { runs };
        let too_long_a_run = forward(vec![run(crate::MAX_RUN_COMMANDS + 1)]);
        assert!(service::forwarded_runs(too_long_a_run).is_err());
        assert!(service::forwarded_runs(forward(vec![run(1), run(0)])).is_err());
        assert!(service::forwarded_runs(ForwardRequest::default()).is_err());
        // 17 full runs: more commands than one entry carries.
        let too_many_runs = forward(vec![run(crate::MAX_RUN_COMMANDS); 17]);
        assert!(service::forwarded_runs(too_many_runs).is_err());
        let most_runs = forward(vec![run(crate::MAX_RUN_COMMANDS); 16]);
        assert_eq!(service::forwarded_runs(most_runs).unwrap().len(), 16);
    }
}
