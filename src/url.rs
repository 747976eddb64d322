//! Which URLs the library may call: https anywhere, plain http only on
//! this machine (loopback: tests, local proxies). Pure; used by the option
//! table and by the service-account key's `token_uri`.

use crate::errors::{Error, Result};

/// Accepts an https URL, or http only when the host is loopback (tests,
/// local proxies). Returns it normalised (as given).
pub fn endpoint(key: &str, value: &str) -> Result<String> {
    let uri: ureq::http::Uri = value
        .parse()
        .map_err(|_| Error::InvalidOptionValue(format!("option {key}: not a URL")))?;
    let host = uri
        .host()
        .ok_or_else(|| Error::InvalidOptionValue(format!("option {key}: URL has no host")))?;
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if is_loopback(host) => {}
        Some("http") => {
            return Err(Error::InsecureUrl(format!(
                "option {key}: http:// is allowed only for loopback hosts; use https://"
            )))
        }
        _ => return Err(Error::InvalidOptionValue(format!("option {key}: scheme must be https"))),
    }
    if uri.query().is_some() {
        return Err(Error::InvalidOptionValue(format!("option {key}: URL must not have a query")));
    }
    Ok(value.into())
}

/// Whether `host` (a name or an IP literal, brackets allowed) is this machine.
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}
