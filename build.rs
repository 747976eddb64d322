//! Records the rustls and ureq versions actually linked (from Cargo.lock)
//! for `gs_gcal_version()`, and the build time for the clock check.
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
    // The clock sanity check refuses clocks earlier than this; reproducible
    // builds pass SOURCE_DATE_EPOCH.
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs().to_string())
            .unwrap_or_else(|_| "0".into())
    });
    println!("cargo:rustc-env=GS_GCAL_BUILD_EPOCH={epoch}");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-changed=Cargo.lock");
}
