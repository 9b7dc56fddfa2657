//! The fuzz targets in every test run, on the stable toolchain: each file of a target's
//! committed corpus (`fuzz/corpus/<target>/`, grown and minimised by cargo-fuzz) and each of
//! its seeds goes through the target's function, then seeded mutations of the corpus, bounded
//! by count and by time. A target that panics fails its test, which saves the input under
//! `target/fuzz-failures/<target>/` for the corpus.
//!
//! `REDRAFT_FUZZ_SEED`: unset, a fixed seed (every run mutates alike); `random`, a fresh one
//! (printed, to replay it); a number replays that one. `REDRAFT_FUZZ_WRITE_SEEDS=1` writes each
//! target's seeds into its corpus folder first (what grows the corpus from scratch).
//!
//! Memory: this binary's allocator refuses any single allocation over 256 MiB (libFuzzer's
//! `-malloc_limit_mb` in the long runs), which aborts the run: a decoder that reserves what an
//! input claims instead of what it holds fails here too.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redraft_engine::fuzz_targets::Target;

/// The largest single allocation a target may make.
const ALLOCATION_BYTES_MAX: usize = 256 * 1024 * 1024;

/// The system allocator, refusing allocations over [`ALLOCATION_BYTES_MAX`] (Rust then reports
/// "memory allocation of N bytes failed" and aborts).
struct Bounded;

// SAFETY: every call is forwarded unchanged to the system allocator, or refused with null,
// which GlobalAlloc allows.
unsafe impl std::alloc::GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.size() > ALLOCATION_BYTES_MAX {
            return std::ptr::null_mut();
        }
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        if size > ALLOCATION_BYTES_MAX {
            return std::ptr::null_mut();
        }
        unsafe { std::alloc::System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static ALLOCATOR: Bounded = Bounded;

/// Bounds on the mutations of one target (a debug build runs a few thousand in that time).
const MUTATIONS_MAX: usize = 20_000;
const MUTATION_TIME: Duration = Duration::from_secs(4);
/// The longest mutated input, as libFuzzer's default `-max_len` once the corpus has grown.
const INPUT_BYTES_MAX: usize = 64 * 1024;
const DEFAULT_SEED: u64 = 0x5eed_f022;

fn targets() -> impl Iterator<Item = &'static Target> {
    redraft_engine::fuzz_targets::TARGETS
        .iter()
        .chain(redraft_raft::fuzz_targets::TARGETS)
        .chain(redraft_server::fuzz_targets::TARGETS)
}

fn target(name: &str) -> &'static Target {
    targets()
        .find(|target| target.name == name)
        .unwrap_or_else(|| panic!("no fuzz target {name}"))
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn corpus_dir(target: &Target) -> PathBuf {
    fuzz_dir().join("corpus").join(target.name)
}

/// FNV-1a, to name a saved input by its contents.
fn content_name(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

fn write_seeds(target: &Target) {
    let dir = corpus_dir(target);
    fs::create_dir_all(&dir).unwrap();
    for seed in (target.seeds)() {
        fs::write(dir.join(format!("seed-{}", content_name(&seed))), seed).unwrap();
    }
}

/// The committed corpus, in name order: it must not be empty.
fn corpus(target: &Target) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|dirent| {
            let path = dirent.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no corpus", dir.display());
    files
}

/// Runs the target on `input`; if it panics, saves the input and fails, saying where it is.
fn run(target: &Target, input: &[u8], what: &str) {
    if panic::catch_unwind(AssertUnwindSafe(|| (target.run)(input))).is_ok() {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/fuzz-failures")
        .join(target.name);
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("crash-{}", content_name(input)));
    fs::write(&path, input).unwrap();
    panic!(
        "fuzz target {} panicked on {what}; the input is saved as {}",
        target.name,
        path.display()
    );
}

fn seed() -> u64 {
    match std::env::var("REDRAFT_FUZZ_SEED").ok().as_deref() {
        None => DEFAULT_SEED,
        Some("random") => {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            let seed = now.as_nanos() as u64;
            println!("REDRAFT_FUZZ_SEED={seed}");
            seed
        }
        Some(number) => number.parse().expect("REDRAFT_FUZZ_SEED: a u64 or random"),
    }
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes and integers that sit on the formats' edges: delimiters, type bytes, lengths.
const INTERESTING_BYTES: &[u8] = b"\x00\x01\x7f\x80\xff\r\n*$:-+\"'\\ 0123456789";
const INTERESTING_INTEGERS: &[u64] = &[
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0xffff,
    1 << 31,
    u32::MAX as u64,
    u64::MAX,
];

/// One to four random edits of `input`: bits flipped, bytes set or inserted, ranges deleted
/// or repeated, an integer written over the bytes, part of another corpus file spliced in,
/// the end cut off.
fn mutate(rng: &mut Rng, input: &[u8], corpus: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        let span = 1 + rng.below(16);
        match rng.below(8) {
            0 if at < out.len() => out[at] ^= 1 << rng.below(8),
            1 if at < out.len() => out[at] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())],
            2 => out.insert(at, INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())]),
            3 => {
                out.drain(at..(at + span).min(out.len()));
            }
            4 => {
                let copy = out[at..(at + span).min(out.len())].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, copy);
            }
            5 => {
                let value = INTERESTING_INTEGERS[rng.below(INTERESTING_INTEGERS.len())];
                let width = [1, 2, 4, 8][rng.below(4)].min(out.len() - at);
                out[at..at + width].copy_from_slice(&value.to_le_bytes()[..width]);
            }
            6 => {
                let other = &corpus[rng.below(corpus.len())].1;
                let from = rng.below(other.len() + 1);
                let piece = &other[from..(from + 1 + rng.below(64)).min(other.len())];
                out.splice(at..at, piece.iter().copied());
            }
            _ => out.truncate(at),
        }
    }
    out.truncate(INPUT_BYTES_MAX);
    out
}

fn replay(name: &str) {
    let target = target(name);
    if std::env::var_os("REDRAFT_FUZZ_WRITE_SEEDS").is_some() {
        write_seeds(target);
    }
    let corpus = corpus(target);
    for (file, input) in &corpus {
        run(target, input, &format!("corpus file {file}"));
    }
    for (n, input) in (target.seeds)().iter().enumerate() {
        run(target, input, &format!("seed {n}"));
    }
    let seed = seed();
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut mutations = 0;
    while mutations < MUTATIONS_MAX && started.elapsed() < MUTATION_TIME {
        let base = &corpus[rng.below(corpus.len())].1;
        let input = mutate(&mut rng, base, &corpus);
        run(
            target,
            &input,
            &format!("mutation {mutations} of seed {seed}"),
        );
        mutations += 1;
    }
    println!(
        "{name}: {} corpus files, {mutations} mutations in {:?}",
        corpus.len(),
        started.elapsed()
    );
}

#[test]
fn every_target_has_a_cargo_fuzz_target_and_a_corpus() {
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    let mut names: Vec<&str> = targets().map(|target| target.name).collect();
    for name in &names {
        let bin = format!("name = \"{name}\"\npath = \"fuzz_targets/{name}.rs\"");
        assert!(
            manifest.contains(&bin),
            "fuzz/Cargo.toml lacks the target {name}"
        );
        let body = fs::read_to_string(fuzz_dir().join(format!("fuzz_targets/{name}.rs"))).unwrap();
        assert!(
            body.contains(&format!("::fuzz_targets::{name}(data)")),
            "{name}.rs"
        );
    }
    let mut dirs: Vec<String> = fs::read_dir(fuzz_dir().join("corpus"))
        .unwrap()
        .map(|dirent| dirent.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    names.sort();
    assert_eq!(dirs, names, "one corpus folder per target, no other");
}

#[test]
fn resp_decoder_corpus_and_mutations_pass() {
    replay("resp_decoder");
}

#[test]
fn inline_parser_corpus_and_mutations_pass() {
    replay("inline_parser");
}

#[test]
fn restore_payload_corpus_and_mutations_pass() {
    replay("restore_payload");
}

#[test]
fn snapshot_corpus_and_mutations_pass() {
    replay("snapshot");
}

#[test]
fn log_record_corpus_and_mutations_pass() {
    replay("log_record");
}

#[test]
fn grpc_request_corpus_and_mutations_pass() {
    replay("grpc_request");
}

#[test]
fn an_allocation_over_the_bound_is_refused() {
    let layout = std::alloc::Layout::from_size_align(ALLOCATION_BYTES_MAX + 1, 8).unwrap();
    // SAFETY: a non-zero-sized layout; a pointer it returned would be freed with it.
    let ptr = unsafe { std::alloc::alloc(layout) };
    assert!(ptr.is_null(), "the bound is not in force");
}
