#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| redraft_server::fuzz_targets::resp_decoder(data));
