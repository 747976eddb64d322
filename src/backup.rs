//! Backup (room `backup`): the whole integration sealed with a passphrase
//! for the PBX's system backup, and its restore.

use crate::errors::{Error, Result};
use crate::handle::Handle;
use crate::store::sealed;

/// Shortest backup passphrase accepted.
pub(crate) const MIN_PASSPHRASE: usize = 8;

impl Handle {
    /// The whole integration (client and tokens) sealed with a passphrase,
    /// for the PBX's system backup.
    pub fn export(&self, passphrase: &str) -> Result<String> {
        check_passphrase(passphrase)?;
        let mut copy = self.state.clone();
        copy.pending.clear();
        copy.device = None;
        let json = crate::secret::Wiped(crate::store::state_bytes(&copy)?);
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 12];
        self.random(&mut salt)?;
        self.random(&mut nonce)?;
        Ok(sealed::seal(&json.0, passphrase, &salt, &nonce, sealed::DEFAULT_ITERATIONS))
    }

    /// Restores an `export`. On any error the current state is untouched.
    pub fn import(&mut self, passphrase: &str, blob: &str) -> Result<()> {
        let json = sealed::open(blob, passphrase).map_err(|e| match e {
            sealed::SealError::Malformed(why) => Error::BackupMalformed(why),
            sealed::SealError::Unauthentic => Error::BackupUnauthentic,
        })?;
        let json = crate::secret::Wiped(json);
        let mut next = crate::store::parse_state(&json.0).map_err(|e| match e {
            crate::store::Parsed::Bad(why) => Error::BackupMalformed(why),
            crate::store::Parsed::TooNew(v) => Error::StateTooNew(format!(
                "the backup has state format {v}: it was made by a newer gs-gcal; nothing was changed"
            )),
        })?;
        // A backup is typed back in by hand: its client is checked like one
        // entered on the page.
        if let Some(c) = &next.client {
            crate::auth::check_client(&c.client_id, c.client_secret.expose(), &c.redirect_uri)
                .map_err(|e| Error::BackupMalformed(format!("the backup's OAuth client is not valid: {e}")))?;
        }
        if let Some(a) = &next.service_account {
            crate::oauth::jwt::pkcs8_of(a.private_key.expose())
                .and_then(|der| crate::oauth::jwt::load_key(&der.0))
                .map_err(|e| Error::BackupMalformed(format!("the backup's service account key is not valid: {e}")))?;
        }
        next.pending.clear();
        next.device = None;
        self.commit(next)?;
        self.workspace.clear();
        self.signer = None;
        self.auth.access_deadline = None;
        self.auth.last_device_poll = None;
        Ok(())
    }
}

fn check_passphrase(p: &str) -> Result<()> {
    if p.chars().count() < MIN_PASSPHRASE {
        return Err(Error::InvalidArgument(format!(
            "the backup passphrase must have at least {MIN_PASSPHRASE} characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ClientConfig, State};

    /// A backup is typed back in by hand: its OAuth client is checked as if
    /// entered on the page, and a refused one changes nothing.
    #[test]
    fn an_imported_client_is_validated_again() {
        let dir = std::env::temp_dir().join(format!("gs_gcal_backup_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut h = Handle::open(&dir).unwrap();
        let seal = |redirect: &str| {
            let s = State {
                client: Some(ClientConfig {
                    client_id: "1-x.apps.googleusercontent.com".into(),
                    client_secret: "GOCSPX-x".into(),
                    redirect_uri: redirect.into(),
                }),
                ..State::default()
            };
            let json = crate::store::state_bytes(&s).unwrap();
            // The lowest iteration count the product opens keeps the test fast.
            sealed::seal(&json, "a long passphrase", &[7; 16], &[9; 12], 10_000)
        };
        for bad in ["urn:ietf:wg:oauth:2.0:oob", "http://pbx.example.com/cb"] {
            let e = h.import("a long passphrase", &seal(bad)).unwrap_err();
            assert!(matches!(&e, Error::BackupMalformed(m) if m.contains("OAuth client")), "{bad}: {e:?}");
            assert!(h.state.client.is_none(), "nothing changed");
        }
        h.import("a long passphrase", &seal("https://pbx.example.com/cb")).unwrap();
        assert!(h.state.client.is_some());
        drop(h);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
