//! Credentials that must never be printed: client secrets, codes, PKCE
//! verifiers, access and refresh tokens, device codes.
//!
//! `Secret` has no `Display`, and its `Debug` shows only that something was
//! redacted, so a secret cannot reach a log line, an error text or the
//! status by accident — `expose()` is the one way out, used where a request
//! body or the state file needs the value.

//!
//! Secrets are wiped from memory when dropped (`zeroize`), so a core file
//! taken after `gs_gcal_close` holds none of them.

use std::fmt;
use zeroize::Zeroize;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Bytes that held secrets (a state file, a token answer, a request
/// body): wiped when dropped.
pub struct Wiped(pub Vec<u8>);

impl Drop for Wiped {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// A String that held secrets, wiped when dropped.
pub struct WipedString(pub String);

impl Drop for WipedString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The value, for a request body or the state file only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let s = Secret::new("1//0gSECRET");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{:?}", Some(&s)), "Some(Secret(<redacted>))");
        assert_eq!(s.expose(), "1//0gSECRET");
    }
}
