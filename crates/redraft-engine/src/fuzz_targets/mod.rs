//! The bodies of the engine's fuzz targets: RESTORE payloads and snapshots. Each takes any
//! bytes and panics only when an invariant breaks, so that the same function serves the
//! coverage-guided runs under `fuzz/` (cargo-fuzz, by hand) and the corpus replay that every
//! `cargo test --workspace` runs (`tests/tests/fuzz_corpus.rs`).
//!
//! Always compiled rather than behind a cargo feature: a feature that only the test crate
//! and `fuzz/` turn on would be unified into some builds of the workspace and not others, so
//! `cargo build -p` and `cargo test --workspace` would rebuild the engine (and everything
//! above it) for each other. The bodies are small, pure, and unused by the server.

mod seeds;

use crate::config::EncodingConfig;
use crate::dump;
use crate::keyspace::Value;
use crate::Engine;

/// One fuzz target: its name (the cargo-fuzz target, and its corpus folder
/// `fuzz/corpus/<name>/`), its body, and the meaningful inputs its corpus starts from.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
    pub seeds: fn() -> Vec<Vec<u8>>,
}

/// The engine's targets.
pub const TARGETS: &[Target] = &[
    Target {
        name: "restore_payload",
        run: restore_payload,
        seeds: seeds::restore_bodies,
    },
    Target {
        name: "snapshot",
        run: snapshot,
        seeds: seeds::snapshots,
    },
];

/// Encoding limits far below the defaults, so that small inputs also reach the conversions
/// between compact and full encodings (Redis judges a loaded value by its own configuration).
fn tiny_limits() -> EncodingConfig {
    EncodingConfig {
        hash_max_listpack_entries: 2,
        hash_max_listpack_value: 4,
        set_max_intset_entries: 2,
        zset_max_listpack_entries: 2,
        zset_max_listpack_value: 4,
        ..EncodingConfig::default()
    }
}

/// `body` is a DUMP payload without its footer: the target adds the RDB version and the right
/// CRC-64, so that mutations reach the decoders behind the checksum. The bytes as given go
/// through RESTORE's check too. A payload that loads must DUMP again to one that RESTOREs to
/// an equal value, and (streams excepted: they repack their nodes) to the same bytes again.
pub fn restore_payload(body: &[u8]) {
    let _ = dump::deserialize(body, &EncodingConfig::default());
    let mut payload = body.to_vec();
    dump::seal(&mut payload);
    for limits in [EncodingConfig::default(), tiny_limits()] {
        if let Ok(value) = dump::deserialize(&payload, &limits) {
            check_redump(&value, &limits);
        }
    }
}

fn check_redump(value: &Value, limits: &EncodingConfig) {
    let again = dump::serialize(value);
    let restored = match dump::deserialize(&again, limits) {
        Ok(restored) => restored,
        Err(error) => panic!("a re-DUMPed value does not RESTORE: {error:?}"),
    };
    match (value, &restored) {
        (Value::Stream(a), Value::Stream(b)) => {
            assert!(
                a.entries == b.entries,
                "stream entries differ after a round trip"
            );
            assert!(
                a.groups == b.groups,
                "stream groups differ after a round trip"
            );
            assert_eq!(
                (a.last_id, a.first_id, a.max_deleted_id, a.entries_added),
                (b.last_id, b.first_id, b.max_deleted_id, b.entries_added)
            );
        }
        _ => {
            assert!(*value == restored, "the value differs after a round trip");
            assert!(
                dump::serialize(&restored) == again,
                "a restored value dumps to other bytes"
            );
        }
    }
}

/// A snapshot that decodes must encode to bytes that decode and encode to the same bytes
/// (the first encoding may differ from the input: older versions, keys in another order),
/// with the same users.
pub fn snapshot(bytes: &[u8]) {
    let Ok(engine) = Engine::decode_snapshot(bytes) else {
        return;
    };
    let encoded = engine.encode_snapshot();
    let again = match Engine::decode_snapshot(&encoded) {
        Ok(again) => again,
        Err(error) => panic!("a re-encoded snapshot does not decode: {error}"),
    };
    assert!(
        again.encode_snapshot() == encoded,
        "a decoded snapshot encodes to other bytes the second time"
    );
    // The users are compared as values, beyond their bytes: a lossy rule would encode the
    // same way twice yet read back as other permissions.
    assert!(
        again.keyspace().users == engine.keyspace().users,
        "the users read back differ from those encoded"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_restore_seed_is_a_payload_that_loads() {
        let bodies = seeds::restore_bodies();
        assert!(bodies.len() > 15);
        for body in bodies {
            let mut payload = body.clone();
            dump::seal(&mut payload);
            let loaded = dump::deserialize(&payload, &EncodingConfig::default());
            assert!(loaded.is_ok(), "{body:?}");
            restore_payload(&body);
        }
    }

    #[test]
    fn every_snapshot_seed_decodes_with_its_state() {
        for bytes in seeds::snapshots() {
            let engine = Engine::decode_snapshot(&bytes).unwrap();
            snapshot(&bytes);
            if bytes.len() > 1000 {
                assert!(engine.keyspace().dbs[0].stored_len() > 10);
            }
        }
        // The newest format keeps the users as they were built, binary rules included.
        let rich = seeds::rich_engine();
        let restored = Engine::decode_snapshot(&rich.encode_snapshot()).unwrap();
        assert!(restored.keyspace().users == rich.keyspace().users);
    }
}
