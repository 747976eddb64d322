//! Workspace mode (room `auth`, beside the user's OAuth grant): a service
//! account with domain-wide delegation. Its JSON key is checked when set
//! and persisted like the client secret; an access token per impersonated
//! user comes from the JWT bearer grant (pure parts in `oauth::jwt`), is
//! cached in memory (bounded LRU) and renewed 5 minutes before it expires.
//! Single flight per user holds because every call holds the handle's lock.

use super::token::REFRESH_MARGIN_SECS;
use crate::clock::now;
use crate::errors::{Error, Result};
use crate::handle::Handle;
use crate::log::log_at;
use crate::oauth::jwt::{self, KeyFile, Refused};
use crate::oauth::{self};
use crate::secret::{Secret, WipedString};
use crate::state::ServiceAccount;
use ring::signature::RsaKeyPair;
use std::sync::Arc;
use std::time::Instant;

impl Handle {
    /// Puts the handle in Workspace mode with this key (the JSON file as
    /// downloaded) and default subject. The OAuth user mode is left: its
    /// client and tokens are forgotten and its grant queued for revocation
    /// (sent before the next request). No network.
    pub fn set_service_account(&mut self, key_json: &str, default_subject: &str) -> Result<()> {
        let key = jwt::parse_key_file(key_json)?;
        let subject = default_subject.trim();
        if subject.is_empty() {
            return Err(Error::InvalidArgument(
                "default_subject is empty: give the Workspace user whose calendar holds meetings without a host in the domain".into(),
            ));
        }
        crate::meeting::check_email("default_subject", subject)?;
        let signer = jwt::load_key(&jwt::pkcs8_of(key.private_key.expose())?.0)?;
        let mut next = self.state.clone();
        if let Some(t) = next.tokens.take() {
            super::queue_revocation(&mut next, t.refresh_token);
        }
        // Events written in OAuth mode live in the authorized account's
        // primary calendar: recorded so, a later push moves them to the host.
        if let (Some(account), "primary") = (next.account.clone(), self.config.calendar_id.as_str()) {
            for p in next.pushed.values_mut() {
                p.calendar.get_or_insert_with(|| account.clone());
            }
        }
        next.client = None;
        next.account = None;
        next.pending.clear();
        next.device = None;
        next.reauth_required = None;
        next.service_account = Some(ServiceAccount {
            client_email: key.client_email,
            client_id: key.client_id,
            private_key_id: key.private_key_id,
            private_key: key.private_key,
            token_uri: key.token_uri,
            project_id: key.project_id,
            default_subject: subject.to_owned(),
        });
        self.commit(next)?;
        self.auth.access_deadline = None;
        self.workspace.clear();
        self.signer = Some(Arc::new(signer));
        log_at!(self.log, Info, "Workspace mode: service account set, default subject {subject}");
        Ok(())
    }

    /// Leaves Workspace mode (when an OAuth client is set): forgets the key
    /// and its tokens.
    pub(crate) fn forget_service_account(&mut self, next: &mut crate::state::State) {
        if next.service_account.take().is_some() {
            self.workspace.clear();
            self.signer = None;
        }
    }

    pub fn workspace_mode(&self) -> bool {
        self.state.service_account.is_some()
    }

    /// Runs an API call as `subject` (Workspace mode) or with the user's
    /// grant (`None`, or OAuth mode).
    pub(crate) fn with_token_as<T>(&mut self, subject: Option<&str>, call: impl Fn(&Self, &str) -> Result<T>) -> Result<T> {
        match subject {
            Some(s) if self.workspace_mode() => self.with_subject_token(s, call),
            _ => self.with_token(call),
        }
    }

    /// Like `with_token`, impersonating `subject`: a fresh token first, and
    /// once more (with one retry) on a 401.
    pub(crate) fn with_subject_token<T>(&mut self, subject: &str, call: impl Fn(&Self, &str) -> Result<T>) -> Result<T> {
        self.online()?;
        self.flush_revocations();
        let token = self.subject_token(subject, false)?;
        match call(self, token.expose()) {
            Err(Error::ApiUnauthorized(_)) => {
                let token = self.subject_token(subject, true)?;
                call(self, token.expose())
            }
            other => other,
        }
    }

    /// An access token impersonating `subject`: cached, or a new one from
    /// the JWT bearer grant (one RSA signature, one request).
    pub(crate) fn subject_token(&mut self, subject: &str, force: bool) -> Result<Secret> {
        let sa = self.state.service_account.clone().ok_or(Error::NotConfigured)?;
        let now_ms = self.millis(Instant::now());
        if !force {
            if let Some(t) = self.workspace.get(subject, now_ms, REFRESH_MARGIN_SECS as u64 * 1000) {
                return Ok(t);
            }
        }
        if self.workspace.is_not_a_user(subject, now_ms) {
            return Err(Error::NotADomainUser(format!("{subject} is not a user of the Workspace domain (Google said so within the hour)")));
        }
        self.workspace.forget(subject);
        let signer = self.signer()?;
        let key = KeyFile {
            client_email: sa.client_email.clone(),
            client_id: sa.client_id.clone(),
            private_key_id: sa.private_key_id.clone(),
            private_key: Secret::default(),
            token_uri: sa.token_uri.clone(),
            project_id: None,
        };
        let scopes = jwt::grant_scopes(&self.config.scopes);
        let assertion = jwt::assertion(&key, &signer, &scopes, subject, now(), &self.rng)?;
        let form = WipedString(jwt::grant_form(assertion.expose()));
        let reply = self.http()?.post_form(&sa.token_uri, &form.0, None)?;
        if reply.status != 200 {
            let (e, not_a_user) = match jwt::diagnose(reply.status, &reply.body, &sa.client_id, &scopes) {
                Refused::NotAUser(e) => (e, true),
                Refused::Other(e) => (e, false),
            };
            let e = match e {
                Error::NotADomainUser(why) => Error::NotADomainUser(format!("{subject}: {why}")),
                other => other,
            };
            if not_a_user {
                self.workspace.note_not_a_user(subject, now_ms);
            }
            log_at!(self.log, Error, "service account token for {subject} refused: {e}");
            self.workspace.note_failure(subject, e.code(), e.to_string(), now());
            return Err(e);
        }
        let t = oauth::parse_token_response(reply.status, &reply.body)?;
        let deadline = now_ms.saturating_add(t.expires_in as u64 * 1000);
        self.workspace.put(subject, t.access_token.clone(), deadline);
        log_at!(self.log, Info, "service account token for {subject}, valid {} s", t.expires_in);
        Ok(t.access_token)
    }

    /// The signing key, parsed once per process (after open or import).
    fn signer(&mut self) -> Result<Arc<RsaKeyPair>> {
        if let Some(s) = &self.signer {
            return Ok(s.clone());
        }
        let sa = self.state.service_account.as_ref().ok_or(Error::NotConfigured)?;
        let s = Arc::new(jwt::load_key(&jwt::pkcs8_of(sa.private_key.expose())?.0)?);
        self.signer = Some(s.clone());
        Ok(s)
    }
}
