//! The fuzz corpora as a test (issue 18): every file of fuzz/corpus/<target>/
//! is fed to the same body the libFuzzer target runs (fuzz/bodies/, one
//! copy of the logic), on stable, in `cargo test --workspace` (`make test`).
//! The bodies assert the invariants: no panic, every result code one the
//! header defines and never GS_GCAL_INTERNAL, outputs valid (JSON that
//! parses, bodies Google's schema accepts, what was written opens again).

#[path = "../fuzz/bodies/mod.rs"]
mod bodies;

use std::path::Path;

fn replay(target: &str) {
    let (_, run) = bodies::TARGETS.iter().find(|(n, _)| *n == target).expect("known target");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: empty corpus", dir.display());
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let r = std::panic::catch_unwind(|| run(&data));
        if let Err(e) = r {
            let why = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
            panic!("{}: {}", f.display(), why.unwrap_or_default());
        }
    }
    eprintln!("{target}: {} inputs replayed", files.len());
}

#[test]
fn every_target_has_a_corpus() {
    for (name, _) in bodies::TARGETS {
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(name).is_dir(), "{name}");
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets").join(format!("{name}.rs")).is_file(), "{name}");
    }
}

#[test]
fn google() { replay("google") }
#[test]
fn rfc3339() { replay("rfc3339") }
#[test]
fn json_diff() { replay("json_diff") }
#[test]
fn authorize() { replay("authorize") }
#[test]
fn meeting() { replay("meeting") }
#[test]
fn import() { replay("import") }
#[test]
fn options() { replay("options") }
#[test]
fn tzif() { replay("tzif") }
#[test]
fn state_dir() { replay("state_dir") }
