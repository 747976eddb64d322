//! The layering src/lib.rs describes, checked on the source (issue 13:
//! dependencies point one way, no circles). Every `crate::` path in a
//! module's code outside its unit tests must name a module of a lower
//! layer; a module not placed in a layer fails the test, so a new one is
//! placed on purpose.

use std::collections::BTreeMap;
use std::path::Path;

/// Top to bottom, as in src/lib.rs. A module uses only modules of layers
/// below its own, never one beside it.
const LAYERS: &[&[&str]] = &[
    &["ffi", "fuzzing"],
    &["writer", "reader", "backup"],
    &["auth"],
    &["handle", "calendar"],
    &["http", "store", "status"],
    &["options", "state", "presence"],
    &["events", "oauth", "outbox"],
    &["meeting", "url"],
    &["clock", "errors", "json", "log", "secret", "sys", "tls"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The code of a file without comments and without its `mod tests`.
fn production_code(text: &str) -> String {
    let end = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..end].lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The top-level modules named by `crate::` paths (`crate::a::b`,
/// `crate::{a, b::c}`); `$crate::` in macro bodies belongs to the caller.
fn crate_refs(code: &str) -> Vec<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut out = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if code[..at].ends_with('$') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The first name of each member at the group's own depth.
            let (mut depth, mut start) = (0, true);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        out.push(ident(&group[i..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest));
        }
    }
    out
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
}

#[test]
fn dependencies_point_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    let mut uses: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        let module = rel.split('/').next().unwrap().trim_end_matches(".rs").to_owned();
        if module == "lib" {
            continue;
        }
        let Some(from) = layer_of(&module) else {
            wrong.push(format!("src/{rel}: module `{module}` is in no layer of tests/layering.rs"));
            continue;
        };
        for used in crate_refs(&production_code(&std::fs::read_to_string(f).unwrap())) {
            if used == module {
                continue;
            }
            match layer_of(&used) {
                Some(to) if to > from => uses.entry(module.clone()).or_default().push((used, rel.clone())),
                Some(to) => wrong.push(format!(
                    "src/{rel}: `{module}` (layer {}) uses `crate::{used}` (layer {})",
                    from + 1,
                    to + 1
                )),
                None => wrong.push(format!("src/{rel}: `crate::{used}` is in no layer of tests/layering.rs")),
            }
        }
    }
    assert!(wrong.is_empty(), "the layering is broken:\n{}", wrong.join("\n"));
    // The check sees real imports: the rooms use the handle, the handle
    // the store, the store the domain model.
    for (a, b) in [("writer", "handle"), ("handle", "store"), ("store", "state"), ("ffi", "writer")] {
        assert!(uses.get(a).is_some_and(|u| u.iter().any(|(m, _)| m == b)), "{a} -> {b} not seen");
    }
    // Every layer names modules that exist.
    for m in LAYERS.iter().flat_map(|l| l.iter()) {
        assert!(src.join(format!("{m}.rs")).exists() || src.join(m).join("mod.rs").exists(), "no module {m}");
    }
}

#[test]
fn the_scanner_reads_paths_and_groups() {
    let code = "use crate::a::b;\nuse crate::{c, d::e, f::{g, h}};\nlet x = $crate::z::y; crate::k(1);";
    assert_eq!(crate_refs(code), ["a", "c", "d", "f", "k"]);
    assert_eq!(production_code("x // crate::no\n#[cfg(test)]\nmod tests { crate::t }"), "x ");
}
