#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| redraft_server::fuzz_targets::inline_parser(data));
