//! Records the rustls and ureq versions actually linked (from Cargo.lock)
//! for `gs_gcal_version()`.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let lock = std::fs::read_to_string(format!("{dir}/Cargo.lock")).unwrap_or_default();
    for (krate, var) in [("rustls", "GS_GCAL_RUSTLS_VERSION"), ("ureq", "GS_GCAL_UREQ_VERSION")] {
        let needle = format!("name = \"{krate}\"\nversion = \"");
        let version = lock
            .split("[[package]]")
            .find_map(|p| p.trim_start().strip_prefix(needle.as_str()))
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("unknown");
        println!("cargo:rustc-env={var}={version}");
    }
    println!("cargo:rerun-if-changed=Cargo.lock");
}
