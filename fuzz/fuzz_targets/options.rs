#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| gs_gcal_fuzz::options::run(data));
