use std::fs::OpenOptions;

use openraft::vote::RaftLeaderId;
use openraft::EntryPayload;
use redraft_engine::LogCommand;
use tempfile::TempDir;

use super::*;

fn log_id(term: u64, node: u64, index: u64) -> LogId {
    LogId::new(
        crate::types::LeaderId::new(term, node).to_committed(),
        index,
    )
}

fn entry(term: u64, index: u64) -> Entry {
    let cmd = vec![
        b"SET".to_vec(),
        format!("k{index}").into_bytes(),
        b"v".to_vec(),
    ];
    Entry {
        log_id: log_id(term, 1, index),
        payload: EntryPayload::Normal(LogCommand::run(1_000 + index, 0, vec![cmd])),
    }
}

fn entries(term: u64, range: std::ops::Range<u64>) -> Vec<Entry> {
    range.map(|i| entry(term, i)).collect()
}

/// Tiny segments: every batch lands in its own segment. Nothing cached: every read goes to
/// the files.
fn tiny_segments() -> LogOptions {
    LogOptions {
        fsync: true,
        segment_bytes: 1,
        cache_bytes: 0,
    }
}

/// Default segments, a cache of `cache_bytes`.
fn cache_of(cache_bytes: u64) -> LogOptions {
    LogOptions {
        cache_bytes,
        ..LogOptions::default()
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

/// Where the records of a segment file end: the active segment is zero-filled past them.
fn records_end(path: &Path) -> u64 {
    let bytes = fs::read(path).unwrap();
    let mut offset = 0;
    while let Some(header) = bytes.get(offset..offset + record::HEADER_LEN) {
        if header == [0; record::HEADER_LEN] {
            break;
        }
        let header: &[u8; record::HEADER_LEN] = header.try_into().unwrap();
        offset += record::framed_len(header);
    }
    offset.min(bytes.len()) as u64
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
        file.set_len(records_end(path) - 3).unwrap();
    })
    .await;
}

#[tokio::test]
async fn garbled_last_record_is_dropped_on_reopen() {
    assert_torn_tail_dropped(|path| {
        let mut bytes = fs::read(path).unwrap();
        let n = records_end(path) as usize;
        bytes[n - 2] ^= 0xff;
        fs::write(path, bytes).unwrap();
    })
    .await;
}

#[tokio::test]
async fn half_written_header_is_dropped_on_reopen() {
    assert_torn_tail_dropped(|path| {
        // A crash after the last record plus the first bytes of one more header...
        let file = OpenOptions::new().write(true).open(path).unwrap();
        let end = records_end(path);
        file.write_all_at(&[9, 0, 0], end).unwrap();
        // ...and the last real record's payload cut too, so two records are affected.
        file.set_len(end + 3 - 4).unwrap();
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
    store.truncate_after(Some(log_id(1, 1, 4))).await.unwrap();
    assert_eq!(all_entries(&mut store).await, entries(1, 0..5));
    write_one_per_segment(&mut store, &entries(2, 5..8));
    drop(store);

    let mut store = open(&dir, tiny_segments());
    let mut expected = entries(1, 0..5);
    expected.extend(entries(2, 5..8));
    assert_eq!(all_entries(&mut store).await, expected);
}

#[tokio::test]
async fn without_fsync_appends_truncation_and_purge_survive_a_restart() {
    // A process restart (not a power loss) keeps whatever was written, synced or not.
    let options = LogOptions {
        fsync: false,
        ..tiny_segments()
    };
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, options);
    store.save_vote(&Vote::new(4, 1)).await.unwrap();
    write_one_per_segment(&mut store, &entries(1, 0..10));
    store.truncate_after(Some(log_id(1, 1, 6))).await.unwrap();
    write_one_per_segment(&mut store, &entries(2, 7..9));
    store.purge(log_id(1, 1, 2)).await.unwrap();
    drop(store);

    let mut store = open(&dir, options);
    let mut expected = entries(1, 3..7);
    expected.extend(entries(2, 7..9));
    assert_eq!(all_entries(&mut store).await, expected);
    assert_eq!(store.read_vote().await.unwrap(), Some(Vote::new(4, 1)));
    let state = store.get_log_state().await.unwrap();
    assert_eq!(state.last_purged_log_id, Some(log_id(1, 1, 2)));
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
        .map(|path| records_end(path))
        .sum()
}

#[tokio::test]
async fn log_bytes_follow_appends_truncation_purges_and_restarts() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, tiny_segments());
    let bytes = store.log_bytes();
    write_one_per_segment(&mut store, &entries(1, 1..11));
    let written = bytes.load(Ordering::Acquire);
    assert_eq!(
        written,
        total_file_bytes(&dir),
        "every live record is counted"
    );
    store.truncate_from(9).expect("truncate");
    let after_truncate = bytes.load(Ordering::Acquire);
    assert!(after_truncate < written);
    assert_eq!(after_truncate, total_file_bytes(&dir));
    drop(store);
    let mut store = open(&dir, tiny_segments());
    assert_eq!(
        store.log_bytes().load(Ordering::Acquire),
        after_truncate,
        "recovered"
    );
    store.purge_upto(log_id(1, 1, 4)).expect("purge");
    let after_purge = store.log_bytes().load(Ordering::Acquire);
    assert!(after_purge < after_truncate);
    assert_eq!(
        after_purge,
        total_file_bytes(&dir),
        "whole purged segments are gone"
    );
    store.purge_upto(log_id(1, 1, 8)).expect("purge all");
    assert_eq!(store.log_bytes().load(Ordering::Acquire), 0);
}

/// The size of one test entry's record (they all have the same size within a range of
/// indices of equal width).
fn record_len(index: u64) -> u64 {
    let payload = postcard::to_allocvec(&entry(1, index)).unwrap();
    (record::HEADER_LEN + payload.len()) as u64
}

/// A cache bound that holds exactly `n` records like entry `index`'s.
fn cache_for(n: u64, index: u64) -> u64 {
    n * (record_len(index) + table::CACHED_RECORD_OVERHEAD)
}

#[tokio::test]
async fn evicted_entries_read_back_identical_with_and_without_restart() {
    let dir = TempDir::new().unwrap();
    let options = cache_of(cache_for(3, 10));
    let mut store = open(&dir, options);
    write_each(&mut store, &entries(1, 10..60));
    assert_eq!(
        store.shared.table().cached_len(),
        3,
        "only the tail is cached"
    );
    assert_eq!(all_entries(&mut store).await, entries(1, 10..60));
    let mut reader = store.get_log_reader().await;
    assert_eq!(
        reader.try_get_log_entries(20..55).await.unwrap(),
        entries(1, 20..55),
        "a read across the cache's edge"
    );
    drop(store);

    let mut store = open(&dir, options);
    assert_eq!(
        store.shared.table().cached_len(),
        3,
        "recovery caches the tail only"
    );
    assert_eq!(all_entries(&mut store).await, entries(1, 10..60));
    let state = store.get_log_state().await.unwrap();
    assert_eq!(state.last_log_id, Some(log_id(1, 1, 59)));
}

#[tokio::test]
async fn without_a_cache_every_entry_is_read_from_disk() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, cache_of(0));
    write_each(&mut store, &entries(1, 0..20));
    assert_eq!(store.shared.table().cached_len(), 0);
    assert_eq!(store.shared.table().cache_bytes(), 0);
    assert_eq!(all_entries(&mut store).await, entries(1, 0..20));
    store.truncate_after(Some(log_id(1, 1, 11))).await.unwrap();
    let state = store.get_log_state().await.unwrap();
    assert_eq!(
        state.last_log_id,
        Some(log_id(1, 1, 11)),
        "last id read back from disk"
    );
    store.purge(log_id(1, 1, 4)).await.unwrap();
    write_each(&mut store, &entries(2, 12..15));
    let mut expected = entries(1, 5..12);
    expected.extend(entries(2, 12..15));
    assert_eq!(all_entries(&mut store).await, expected);
}

#[tokio::test]
async fn truncation_inside_and_before_the_cache_keeps_reads_right() {
    let dir = TempDir::new().unwrap();
    let options = cache_of(cache_for(4, 10));
    let mut store = open(&dir, options);
    write_each(&mut store, &entries(1, 10..30));
    // Inside the cached tail (26..30): two cached entries stay.
    store.truncate_after(Some(log_id(1, 1, 27))).await.unwrap();
    assert_eq!(store.shared.table().cached_len(), 2);
    assert_eq!(store.shared.table().cache_bytes(), cache_for(2, 10));
    // Before it: the cache empties and the new last id comes from disk.
    store.truncate_after(Some(log_id(1, 1, 19))).await.unwrap();
    assert_eq!(store.shared.table().cached_len(), 0);
    let state = store.get_log_state().await.unwrap();
    assert_eq!(state.last_log_id, Some(log_id(1, 1, 19)));
    write_each(&mut store, &entries(2, 20..25));
    let mut expected = entries(1, 10..20);
    expected.extend(entries(2, 20..25));
    assert_eq!(all_entries(&mut store).await, expected);
    drop(store);
    let mut store = open(&dir, options);
    assert_eq!(all_entries(&mut store).await, expected);
}

#[tokio::test]
async fn the_cache_stays_within_its_bound() {
    let dir = TempDir::new().unwrap();
    let bound = 4096;
    let mut store = open(&dir, cache_of(bound));
    for batch in entries(1, 1000..3000).chunks(50) {
        store.write_batch(batch).expect("write");
        let cached = store.shared.table().cache_bytes();
        assert!(cached <= bound, "{cached} bytes cached, bound {bound}");
    }
    let per_entry = record_len(1000) + table::CACHED_RECORD_OVERHEAD;
    assert_eq!(
        store.shared.table().cached_len() as u64,
        bound / per_entry,
        "as many of the newest entries as fit"
    );
    assert_eq!(
        store.shared.table().cache_bytes(),
        bound / per_entry * per_entry
    );
    assert_eq!(
        store.log_bytes().load(Ordering::Acquire),
        total_file_bytes(&dir),
        "log_bytes still counts the whole log"
    );
    // An entry larger than the whole cache is not cached at all.
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, cache_of(record_len(1) - 1));
    write_each(&mut store, &entries(1, 1..5));
    assert_eq!(store.shared.table().cached_len(), 0);
    assert_eq!(all_entries(&mut store).await, entries(1, 1..5));
}

/// Flips a byte `at` bytes into the record of entry `index`.
fn damage_record(store: &LogStore, index: u64, at: u64) {
    let table = store.shared.table();
    let (position, _) = table.locate(index).expect("live entry");
    let path = segment::path(&store.log_dir, position.seq);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut byte = [0];
    std::os::unix::fs::FileExt::read_exact_at(&file, &mut byte, position.offset + at).unwrap();
    byte[0] ^= 0x40;
    std::os::unix::fs::FileExt::write_all_at(&file, &byte, position.offset + at).unwrap();
}

#[tokio::test]
async fn a_damaged_evicted_record_is_a_read_error() {
    for at in [0, 5, record::HEADER_LEN as u64 + 3] {
        let dir = TempDir::new().unwrap();
        let mut store = open(&dir, cache_of(cache_for(2, 10)));
        write_each(&mut store, &entries(1, 10..20));
        damage_record(&store, 13, at);
        let mut reader = store.get_log_reader().await;
        let err = reader
            .try_get_log_entries(10..20)
            .await
            .expect_err("damaged record read");
        assert!(
            err.to_string().contains("13"),
            "the error names the entry: {err}"
        );
        assert!(store.try_get_log_entries(12..14).await.is_err());
        // Entries on either side still read.
        assert_eq!(
            reader.try_get_log_entries(14..20).await.unwrap(),
            entries(1, 14..20)
        );
        assert_eq!(
            reader.try_get_log_entries(10..13).await.unwrap(),
            entries(1, 10..13)
        );
    }
}

#[tokio::test]
async fn a_record_of_another_entry_is_a_read_error() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, cache_of(0));
    write_each(&mut store, &entries(1, 10..20));
    // Entry 12's record, intact, where entry 11's belongs (same size: the same digits).
    let (from, to, path) = {
        let table = store.shared.table();
        let (from, _) = table.locate(12).unwrap();
        let (to, _) = table.locate(11).unwrap();
        (from, to, segment::path(&store.log_dir, to.seq))
    };
    let mut bytes = fs::read(&path).unwrap();
    let record = bytes[from.offset as usize..(from.offset + from.len) as usize].to_vec();
    bytes[to.offset as usize..(to.offset + to.len) as usize].copy_from_slice(&record);
    fs::write(&path, bytes).unwrap();
    let err = store
        .try_get_log_entries(11..12)
        .await
        .expect_err("wrong entry");
    assert!(err.to_string().contains("holds entry 12"), "{err}");
}

#[test]
fn readers_see_whole_entries_while_the_log_is_cut_and_rewritten() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, cache_of(cache_for(2, 10)));
    write_each(&mut store, &entries(1, 10..40));
    let shared = store.shared.clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(Ordering::Acquire) || reads == 0 {
                let read = shared
                    .read(0, u64::MAX, u64::MAX)
                    .expect("read while writing");
                for (e, next) in read.iter().zip(read.iter().skip(1)) {
                    assert_eq!(e.log_id.index + 1, next.log_id.index, "contiguous");
                }
                for e in &read {
                    assert_eq!(*e, entry(e.log_id.leader_id.term, e.log_id.index));
                }
                // Entries before the cut are the first round's; those after it all come from
                // one rewrite, never old cached records mixed with new ones read from disk.
                let term = |e: &Entry| e.log_id.leader_id.term;
                assert!(read
                    .iter()
                    .filter(|e| e.log_id.index < 20)
                    .all(|e| term(e) == 1));
                let rewritten: Vec<u64> = read
                    .iter()
                    .filter(|e| e.log_id.index >= 20)
                    .map(term)
                    .collect();
                assert!(
                    rewritten.windows(2).all(|w| w[0] == w[1]),
                    "one round per read: {rewritten:?}"
                );
                reads += 1;
            }
        })
    };
    for round in 2..40 {
        store.truncate_from(20).expect("truncate");
        write_each(&mut store, &entries(round, 20..40));
        store
            .purge_upto(log_id(1, 1, 10 + round / 4))
            .expect("purge");
    }
    stop.store(true, Ordering::Release);
    reader
        .join()
        .expect("reader saw only whole, contiguous entries");
}

#[tokio::test]
async fn replication_reads_stop_at_their_byte_budget() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, cache_of(cache_for(2, 10)));
    write_each(&mut store, &entries(1, 10..20));
    let per_entry = record_len(10);
    let read = |max_bytes| store.shared.read(11, 20, max_bytes).expect("read");
    assert_eq!(
        read(3 * per_entry),
        entries(1, 11..14),
        "across no cache edge"
    );
    assert_eq!(read(3 * per_entry + 1), entries(1, 11..14));
    assert_eq!(read(1), entries(1, 11..12), "always one entry");
    assert_eq!(read(u64::MAX), entries(1, 11..20), "disk and cache");
    let mut reader = store.get_log_reader().await;
    assert_eq!(
        reader.limited_get_log_entries(10, 20).await.unwrap(),
        entries(1, 10..20),
        "small entries: the whole range"
    );
}

#[tokio::test]
async fn the_active_segment_is_zero_filled_ahead_and_cut_to_its_records_when_it_rolls() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, LogOptions::default());
    write_each(&mut store, &entries(1, 0..3));
    let path = segment_files(&dir)[0].clone();
    let end = records_end(&path);
    let file_len = fs::metadata(&path).unwrap().len();
    assert!(
        file_len >= end + PREALLOCATED_BYTES,
        "{file_len} bytes for {end} of records"
    );
    assert!(fs::read(&path).unwrap()[end as usize..]
        .iter()
        .all(|&b| b == 0));
    store.roll().unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().len(),
        end,
        "a rolled segment ends with its records"
    );
    write_each(&mut store, &entries(1, 3..5));
    drop(store);
    let mut store = open(&dir, LogOptions::default());
    assert_eq!(all_entries(&mut store).await, entries(1, 0..5));
}

#[tokio::test]
async fn records_past_the_zero_fill_survive_reopening_and_appending() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, LogOptions::default());
    // More than one zero-filled stretch of records, one batch at a time, reopening between.
    let per_round = PREALLOCATED_BYTES / record_len(1000) + 7;
    let mut written = Vec::new();
    for round in 0..3u64 {
        let batch = entries(1, round * per_round..(round + 1) * per_round);
        write_each(&mut store, &batch);
        written.extend(batch);
        drop(store);
        store = open(&dir, LogOptions::default());
        assert_eq!(all_entries(&mut store).await, written, "round {round}");
    }
}

/// A crash can persist a later record of an unacknowledged batch and lose an earlier one's
/// header (left zero). Recovery must cut everything after the zero header: a later append of
/// the same length at that offset would otherwise bring the stale record back as the next
/// entry.
#[tokio::test]
async fn bytes_after_a_lost_header_never_come_back_as_records() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, LogOptions::default());
    write_each(&mut store, &entries(1, 0..5));
    drop(store);
    let path = segment_files(&dir)[0].clone();
    let fourth = 3 * record_len(1);
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    file.write_all_at(&[0; record::HEADER_LEN], fourth).unwrap();
    drop(file);

    let mut store = open(&dir, LogOptions::default());
    assert_eq!(all_entries(&mut store).await, entries(1, 0..3));
    // A new leader's entries of the same size where the lost ones were.
    write_each(&mut store, &entries(2, 3..4));
    drop(store);
    let mut store = open(&dir, LogOptions::default());
    let mut expected = entries(1, 0..3);
    expected.extend(entries(2, 3..4));
    assert_eq!(
        all_entries(&mut store).await,
        expected,
        "entry 4 of term 1 stayed cut"
    );
}

/// openraft 0.9 asks a follower to purge the log its installed snapshot covers while the
/// state machine is still saving that snapshot: the purge must wait for the snapshot on disk.
#[tokio::test]
async fn a_purge_waits_for_the_snapshot_that_covers_it() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir, LogOptions::default());
    write_each(&mut store, &entries(1, 1..8));
    let (durable_tx, durable_rx) = watch::channel(3);
    store.purge_behind_snapshots(durable_rx);
    let purge = tokio::spawn(async move {
        store.purge(log_id(1, 1, 5)).await.unwrap();
        store
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!purge.is_finished(), "purged past the snapshot on disk");
    assert_eq!(
        Meta::load(&dir.path().join("meta")).unwrap().last_purged,
        None
    );
    durable_tx.send_replace(5);
    let mut store = tokio::time::timeout(Duration::from_secs(5), purge)
        .await
        .expect("purge done once the snapshot is on disk")
        .unwrap();
    assert_eq!(
        store.get_log_state().await.unwrap().last_purged_log_id,
        Some(log_id(1, 1, 5))
    );
    assert_eq!(all_entries(&mut store).await, entries(1, 6..8));
}
