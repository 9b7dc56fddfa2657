#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| redraft_raft::fuzz_targets::log_record(data));
