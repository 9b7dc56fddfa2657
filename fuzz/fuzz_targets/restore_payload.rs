#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| redraft_engine::fuzz_targets::restore_payload(data));
