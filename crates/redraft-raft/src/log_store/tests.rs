use std::fs::OpenOptions;

use openraft::testing::log_id;
use openraft::EntryPayload;
use redraft_engine::{LogCommand, Op};
use tempfile::TempDir;

use super::*;

fn entry(term: u64, index: u64) -> Entry {
    let cmd = vec![
        b"SET".to_vec(),
        format!("k{index}").into_bytes(),
        b"v".to_vec(),
    ];
    Entry {
        log_id: log_id(term, 1, index),
        payload: EntryPayload::Normal(LogCommand {
            now_ms: 1_000 + index,
            op: Op::Commands {
                db: 0,
                cmds: vec![cmd],
            },
        }),
    }
}

fn entries(term: u64, range: std::ops::Range<u64>) -> Vec<Entry> {
    range.map(|i| entry(term, i)).collect()
}

/// Tiny segments: every batch lands in its own segment.
fn tiny_segments() -> LogOptions {
    LogOptions {
        fsync: true,
        segment_bytes: 1,
    }
}

fn open(dir: &TempDir, options: LogOptions) -> LogStore {
    LogStore::open(dir.path(), options).expect("open log store")
}

/// Writes each entry as its own batch (the flush callback is openraft's; tests sync by
/// reopening, which reads what was written).
fn write_each(store: &mut LogStore, entries: &[Entry]) {
    for e in entries {
        store.write_batch(std::slice::from_ref(e)).expect("write");
    }
}

async fn all_entries(store: &mut LogStore) -> Vec<Entry> {
    store.try_get_log_entries(..).await.expect("read")
}

fn segment_files(dir: &TempDir) -> Vec<PathBuf> {
    let log_dir = dir.path().join("log");
    segment::list(&log_dir)
        .expect("list")
        .into_iter()
        .map(|seq| segment::path(&log_dir, seq))
        .collect()
}

#[tokio::test]
async fn vote_committed_and_entries_survive_a_restart() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, LogOptions::default());
    assert!(store.is_pristine());
    let vote = Vote::new(3, 2);
    store.save_vote(&vote).await.unwrap();
    write_each(&mut store, &entries(1, 0..10));
    store.save_committed(Some(log_id(1, 1, 6))).await.unwrap();
    drop(store);

    let mut store = open(&dir, LogOptions::default());
    assert!(!store.is_pristine());
    assert_eq!(store.read_vote().await.unwrap(), Some(vote));
    assert_eq!(store.read_committed().await.unwrap(), Some(log_id(1, 1, 6)));
    assert_eq!(all_entries(&mut store).await, entries(1, 0..10));
    let state = store.get_log_state().await.unwrap();
    assert_eq!(state.last_log_id, Some(log_id(1, 1, 9)));
    assert_eq!(state.last_purged_log_id, None);
}

#[tokio::test]
async fn committed_hint_is_clamped_to_the_entries_present() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, LogOptions::default());
    write_each(&mut store, &entries(1, 0..3));
    store.save_committed(Some(log_id(1, 1, 7))).await.unwrap();
    drop(store);
    let mut store = open(&dir, LogOptions::default());
    assert_eq!(store.read_committed().await.unwrap(), Some(log_id(1, 1, 2)));
}

async fn assert_torn_tail_dropped(damage: impl FnOnce(&Path)) {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, LogOptions::default());
    write_each(&mut store, &entries(1, 0..5));
    drop(store);
    let files = segment_files(&dir);
    assert_eq!(files.len(), 1);
    damage(&files[0]);

    let mut store = open(&dir, LogOptions::default());
    assert_eq!(
        all_entries(&mut store).await,
        entries(1, 0..4),
        "torn entry gone"
    );
    // The log goes on from the repaired end, and the repair itself is durable.
    write_each(&mut store, &entries(2, 4..6));
    drop(store);
    let mut store = open(&dir, LogOptions::default());
    let mut expected = entries(1, 0..4);
    expected.extend(entries(2, 4..6));
    assert_eq!(all_entries(&mut store).await, expected);
}

#[tokio::test]
async fn chopped_last_record_is_dropped_on_reopen() {
    assert_torn_tail_dropped(|path| {
        let file = OpenOptions::new().write(true).open(path).unwrap();
        let len = file.metadata().unwrap().len();
        file.set_len(len - 3).unwrap();
    })
    .await;
}

#[tokio::test]
async fn garbled_last_record_is_dropped_on_reopen() {
    assert_torn_tail_dropped(|path| {
        let mut bytes = fs::read(path).unwrap();
        let n = bytes.len();
        bytes[n - 2] ^= 0xff;
        fs::write(path, bytes).unwrap();
    })
    .await;
}

#[tokio::test]
async fn half_written_header_is_dropped_on_reopen() {
    assert_torn_tail_dropped(|path| {
        // A crash after the last record plus the first bytes of one more header.
        let mut file = OpenOptions::new().append(true).open(path).unwrap();
        file.write_all(&[9, 0, 0]).unwrap();
        // ...and the last real record's payload cut too, so two records are affected.
        let len = file.metadata().unwrap().len();
        file.set_len(len - 4).unwrap();
    })
    .await;
}

#[tokio::test]
async fn damage_in_an_earlier_segment_refuses_to_start() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, tiny_segments());
    for e in entries(1, 0..3) {
        // A full segment rolls on the next append.
        store.roll().unwrap();
        write_each(&mut store, &[e]);
    }
    drop(store);
    let files = segment_files(&dir);
    assert!(files.len() >= 3);
    let first_with_data = files
        .iter()
        .find(|p| fs::metadata(p).unwrap().len() > 0)
        .unwrap();
    let mut bytes = fs::read(first_with_data).unwrap();
    bytes[10] ^= 0xff;
    fs::write(first_with_data, bytes).unwrap();

    match LogStore::open(dir.path(), tiny_segments()) {
        Err(StartError::CorruptLog { .. }) => {}
        Err(other) => panic!("expected CorruptLog, got {other}"),
        Ok(_) => panic!("a damaged earlier segment must not open"),
    }
}

/// Writes `entries` one segment each, as appends past `segment_bytes` would.
fn write_one_per_segment(store: &mut LogStore, entries: &[Entry]) {
    for e in entries {
        if store.active.len >= store.options.segment_bytes {
            store.roll().unwrap();
        }
        write_each(store, std::slice::from_ref(e));
    }
}

#[tokio::test]
async fn purge_deletes_whole_segments_and_survives_a_restart() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, tiny_segments());
    write_one_per_segment(&mut store, &entries(1, 0..20));
    let before = segment_files(&dir).len();
    store.purge(log_id(1, 1, 9)).await.unwrap();
    let after = segment_files(&dir).len();
    assert_eq!(before - after, 10, "segments holding 0..=9 deleted");
    assert_eq!(all_entries(&mut store).await, entries(1, 10..20));
    drop(store);

    let mut store = open(&dir, tiny_segments());
    let state = store.get_log_state().await.unwrap();
    assert_eq!(state.last_purged_log_id, Some(log_id(1, 1, 9)));
    assert_eq!(state.last_log_id, Some(log_id(1, 1, 19)));
    assert_eq!(all_entries(&mut store).await, entries(1, 10..20));
}

#[tokio::test]
async fn purge_inside_a_segment_keeps_it_and_skips_purged_entries_on_reopen() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, LogOptions::default());
    write_each(&mut store, &entries(1, 0..10));
    store.purge(log_id(1, 1, 4)).await.unwrap();
    assert_eq!(segment_files(&dir).len(), 1);
    drop(store);
    let mut store = open(&dir, LogOptions::default());
    assert_eq!(all_entries(&mut store).await, entries(1, 5..10));
}

#[tokio::test]
async fn purge_past_the_end_starts_a_fresh_segment() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, LogOptions::default());
    write_each(&mut store, &entries(1, 0..5));
    // As after installing a snapshot that is ahead of this log.
    store.purge(log_id(2, 1, 50)).await.unwrap();
    assert!(all_entries(&mut store).await.is_empty());
    write_each(&mut store, &entries(2, 51..53));
    drop(store);
    let mut store = open(&dir, LogOptions::default());
    assert_eq!(all_entries(&mut store).await, entries(2, 51..53));
    assert_eq!(segment_files(&dir).len(), 1);
}

#[tokio::test]
async fn truncate_cuts_the_files_and_survives_a_restart() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, tiny_segments());
    write_one_per_segment(&mut store, &entries(1, 0..10));
    store.truncate(log_id(1, 1, 5)).await.unwrap();
    assert_eq!(all_entries(&mut store).await, entries(1, 0..5));
    write_one_per_segment(&mut store, &entries(2, 5..8));
    drop(store);

    let mut store = open(&dir, tiny_segments());
    let mut expected = entries(1, 0..5);
    expected.extend(entries(2, 5..8));
    assert_eq!(all_entries(&mut store).await, expected);
}

#[tokio::test]
async fn reads_honour_range_bounds() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, LogOptions::default());
    write_each(&mut store, &entries(1, 3..8));
    let mut reader = store.get_log_reader().await;
    assert_eq!(
        reader.try_get_log_entries(4..6).await.unwrap(),
        entries(1, 4..6)
    );
    assert_eq!(
        reader.try_get_log_entries(..=3).await.unwrap(),
        entries(1, 3..4)
    );
    assert_eq!(reader.try_get_log_entries(0..3).await.unwrap(), vec![]);
    assert_eq!(
        reader.try_get_log_entries(6..100).await.unwrap(),
        entries(1, 6..8)
    );
}

fn total_file_bytes(dir: &TempDir) -> u64 {
    segment_files(dir)
        .iter()
        .map(|path| std::fs::metadata(path).expect("segment metadata").len())
        .sum()
}

#[tokio::test]
async fn memory_bytes_follow_appends_truncation_purges_and_restarts() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, tiny_segments());
    let bytes = store.memory_bytes();
    write_one_per_segment(&mut store, &entries(1, 1..11));
    let written = bytes.load(Ordering::Acquire);
    assert_eq!(
        written,
        total_file_bytes(&dir),
        "every record held in memory is counted"
    );
    store.truncate_from(9).expect("truncate");
    let after_truncate = bytes.load(Ordering::Acquire);
    assert!(after_truncate < written);
    assert_eq!(after_truncate, total_file_bytes(&dir));
    drop(store);
    let mut store = open(&dir, tiny_segments());
    assert_eq!(
        store.memory_bytes().load(Ordering::Acquire),
        after_truncate,
        "recovered"
    );
    store.purge_upto(log_id(1, 1, 4)).expect("purge");
    let after_purge = store.memory_bytes().load(Ordering::Acquire);
    assert!(after_purge < after_truncate);
    assert_eq!(
        after_purge,
        total_file_bytes(&dir),
        "whole purged segments are gone"
    );
    store.purge_upto(log_id(1, 1, 8)).expect("purge all");
    assert_eq!(store.memory_bytes().load(Ordering::Acquire), 0);
}
