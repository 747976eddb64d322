//! The bodies of the fuzz targets, shared with tests/fuzz_corpus.rs.
#[path = "../bodies/mod.rs"]
mod bodies;
pub use bodies::*;
