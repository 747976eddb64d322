//! Access tokens: a valid one for every API call, refreshed before it
//! expires (and once more on a 401), with the diagnosis of a refused
//! refresh (Testing-mode expiry, revocation, ...).

use crate::clock::now;
use crate::errors::{Error, Result};
use crate::handle::Handle;
use crate::log::log_at;
use crate::oauth::{self};
use crate::secret::Secret;
use crate::state::Tokens;
use std::time::{Duration, Instant};

/// Refresh when the access token has less than this left.
pub(crate) const REFRESH_MARGIN_SECS: i64 = 300;

impl Handle {
    /// Runs an API call with a valid access token: refreshed first when it
    /// is about to expire, and once more (with one retry) on a 401.
    pub(crate) fn with_token<T>(&mut self, call: impl Fn(&Self, &str) -> Result<T>) -> Result<T> {
        // Workspace mode: as the default subject (the writer names others).
        if let Some(s) = self.state.service_account.as_ref().map(|a| a.default_subject.clone()) {
            return self.with_subject_token(&s, call);
        }
        self.online()?;
        self.flush_revocations();
        let token = self.fresh_token(false)?;
        match call(self, token.expose()) {
            Err(Error::ApiUnauthorized(_)) => {
                let token = self.fresh_token(true)?;
                call(self, token.expose())
            }
            other => other,
        }
    }


    pub(crate) fn fresh_token(&mut self, force: bool) -> Result<Secret> {
        if let Some(why) = &self.state.reauth_required {
            return Err(Error::ReauthRequired(why.clone()));
        }
        let current = self.state.tokens.as_ref().ok_or(Error::NotAuthorized)?;
        if !force && self.access_remaining(current) > REFRESH_MARGIN_SECS {
            // The steady push: only the access token is copied (a copy
            // of all the tokens was wiped again on every push).
            return Ok(current.access_token.clone());
        }
        let tokens = current.clone();
        let client = self.state.client.clone().ok_or(Error::NotConfigured)?;
        let reply = self.token_request(&client, |secret| {
            oauth::refresh_form(&client.client_id, secret, tokens.refresh_token.expose())
        })?;
        let t = match oauth::parse_token_response(reply.status, &reply.body) {
            Ok(t) => t,
            Err(e) => {
                let age = match (reply.date, tokens.authorized_at_google) {
                    (Some(g_now), Some(g_then)) => Some(g_now - g_then),
                    _ => Some(now() - tokens.authorized_at),
                };
                let worked_past_day_7 =
                    tokens.refreshed_at.is_some_and(|r| r - tokens.authorized_at >= 7 * 86_400);
                let e = oauth::diagnose_refresh_failure(e, age, worked_past_day_7);
                log_at!(self.log, Error, "token refresh failed: {e}");
                if let Error::ReauthRequired(why) = &e {
                    // Terminal: never retried in a loop; the admin must act.
                    let mut next = self.state.clone();
                    next.reauth_required = Some(why.clone());
                    self.commit(next)?;
                }
                return Err(e);
            }
        };
        let mut next = self.state.clone();
        next.tokens = Some(Tokens {
            access_token: t.access_token.clone(),
            access_expires_at: now() + t.expires_in,
            // Google normally sends no new refresh token: keep the old one.
            refresh_token: t.refresh_token.unwrap_or(tokens.refresh_token),
            // RFC 6749 §6: no scope in the answer, the grant is unchanged.
            scope: t.scope.filter(|s| !s.is_empty()).unwrap_or(tokens.scope),
            refreshed_at: Some(now()),
            ..tokens
        });
        self.commit(next)?;
        self.auth.access_deadline = Some(Instant::now() + Duration::from_secs(t.expires_in as u64));
        log_at!(self.log, Info, "access token refreshed, valid {} s", t.expires_in);
        Ok(t.access_token)
    }

}
