#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| gs_gcal_fuzz::state_dir::run(data));
