//! The fuzz targets' bodies, shared by the libFuzzer binaries
//! (`fuzz/fuzz_targets/*.rs`, nightly, `make fuzz`) and the corpus replay
//! on stable (`tests/fuzz_corpus.rs`, `make test`): the logic and its
//! invariants exist once. Each module has `pub fn run(data: &[u8])`,
//! which panics when an invariant breaks.
#![allow(dead_code)]

pub mod common;

pub mod authorize;
pub mod google;
pub mod import;
pub mod json_diff;
pub mod meeting;
pub mod options;
pub mod rfc3339;
pub mod state_dir;
pub mod tzif;

/// Every target, by the name of its corpus directory.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("google", google::run),
    ("rfc3339", rfc3339::run),
    ("json_diff", json_diff::run),
    ("authorize", authorize::run),
    ("meeting", meeting::run),
    ("import", import::run),
    ("options", options::run),
    ("tzif", tzif::run),
    ("state_dir", state_dir::run),
];
