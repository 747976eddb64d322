//! The handle's operations: configuration, authorization and pushing
//! meetings. Orchestration only: parsing and decisions live in `oauth`,
//! `meeting` and `http`; disk in `store`; the network in `http`.

use crate::calendar::{self, Written};
use crate::config::{Config, Effect};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::meeting::{self, Meeting, Prepared};
use crate::oauth::{self, Pasted};
use crate::store::{ClientConfig, PendingAuth, State, Store, Tokens};
use ring::rand::{SecureRandom, SystemRandom};
use std::path::Path;

/// Authorization links kept outstanding; older ones are forgotten.
const MAX_PENDING: usize = 8;
/// An authorization link older than this is forgotten (Google's codes live
/// minutes; an admin may take a while to sign in).
const PENDING_TTL_SECS: i64 = 3600;
/// Refresh when the access token has less than this left.
const REFRESH_MARGIN_SECS: i64 = 300;

pub(crate) const MAX_CLIENT_ID: usize = 512;
pub(crate) const MAX_CLIENT_SECRET: usize = 512;
pub(crate) const MAX_REDIRECT_URI: usize = 2048;

pub struct Client {
    config: Config,
    store: Store,
    state: State,
    /// Built on first use and after TLS or timeout options change.
    http: Option<Http>,
    rng: SystemRandom,
}

/// An authorization link not yet remembered (see `remember_link`).
pub struct AuthLink {
    pub url: String,
    pending: PendingAuth,
}

/// Where the handle stands, for the status JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Unconfigured,
    Configured,
    Authorized,
    ReauthRequired,
}

impl Client {
    pub fn open(dir: &Path) -> Result<Client> {
        let (store, state) = Store::open(dir)?;
        Ok(Client { config: Config::default(), store, state, http: None, rng: SystemRandom::new() })
    }

    pub fn set_option(&mut self, key: &str, value: &str) -> Result<()> {
        let mut next = self.config.clone();
        if next.set(key, value)? == Effect::RebuildAgent {
            // Build first so a bad ca_file is refused and nothing changes.
            let http = Http::new(&next)?;
            self.http = Some(http);
        }
        self.config = next;
        Ok(())
    }

    /// Stores the admin's OAuth client. A different client ID invalidates
    /// tokens and links issued for the old one.
    pub fn set_client(&mut self, client_id: &str, secret: &str, redirect_uri: &str) -> Result<()> {
        for (field, v, max) in [
            ("client_id", client_id, MAX_CLIENT_ID),
            ("client_secret", secret, MAX_CLIENT_SECRET),
            ("redirect_uri", redirect_uri, MAX_REDIRECT_URI),
        ] {
            if v.trim().is_empty() {
                return Err(Error::InvalidArgument(format!("{field} is empty")));
            }
            if v.len() > max {
                return Err(Error::TooLong { field, max });
            }
            if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Error::InvalidArgument(format!(
                    "{field} contains spaces or control characters (copy it again from Google Cloud Console)"
                )));
            }
        }
        check_redirect_uri(redirect_uri)?;
        let mut next = self.state.clone();
        if next.client.as_ref().map(|c| c.client_id.as_str()) != Some(client_id) {
            next.tokens = None;
            next.account = None;
            next.pending.clear();
            next.reauth_required = None;
        }
        next.client = Some(ClientConfig {
            client_id: client_id.into(),
            client_secret: secret.into(),
            redirect_uri: redirect_uri.into(),
        });
        self.commit(next)
    }

    /// A fresh "Get Authorization Code" link (not yet remembered).
    pub fn new_auth_link(&self) -> Result<AuthLink> {
        let client = self.state.client.as_ref().ok_or(Error::NotConfigured)?;
        let mut v = [0u8; 32];
        let mut s = [0u8; 16];
        self.rng
            .fill(&mut v)
            .and_then(|_| self.rng.fill(&mut s))
            .map_err(|_| Error::Internal("the system random generator failed".into()))?;
        let verifier = oauth::pkce_verifier(&v);
        let state = oauth::state_token(&s);
        let url = oauth::auth_url(
            &self.config.auth_endpoint,
            &client.client_id,
            &client.redirect_uri,
            oauth::DEFAULT_SCOPES,
            &state,
            &oauth::pkce_challenge(&verifier),
        );
        Ok(AuthLink { url, pending: PendingAuth { state, code_verifier: verifier, created_at: now() } })
    }

    /// Remembers a link handed to the admin, so its code can be redeemed.
    pub fn remember_link(&mut self, link: AuthLink) -> Result<()> {
        let mut next = self.state.clone();
        let t = now();
        next.pending.retain(|p| t - p.created_at < PENDING_TTL_SECS);
        next.pending.push(link.pending);
        let excess = next.pending.len().saturating_sub(MAX_PENDING);
        next.pending.drain(..excess);
        self.commit(next)
    }

    /// Redeems what the admin pasted: a code or the whole redirect address.
    pub fn authorize(&mut self, pasted: &str) -> Result<()> {
        let client = self.state.client.clone().ok_or(Error::NotConfigured)?;
        self.ensure_http()?;
        let (code, state) = match oauth::parse_pasted(pasted)? {
            Pasted::Denied { error, state } => {
                self.forget_pending(state.as_deref())?;
                return Err(oauth::oauth_error(0, &error, "returned to the redirect URI", ""));
            }
            Pasted::Redirect { code, state } => (code, state),
            Pasted::Code(code) => (code, None),
        };
        let pending = match &state {
            Some(s) => self.state.pending.iter().find(|p| &p.state == s).cloned().ok_or_else(|| {
                Error::StateMismatch(
                    "the pasted address belongs to an older or foreign authorization link: \
                     click Get Authorization Code again and use the new link"
                        .into(),
                )
            })?,
            // A bare code: it comes from the newest link.
            None => self.state.pending.last().cloned().ok_or_else(|| {
                Error::InvalidArgument(
                    "no authorization link is outstanding: click Get Authorization Code first".into(),
                )
            })?,
        };
        let form = oauth::code_exchange_form(
            &client.client_id,
            &client.client_secret,
            &client.redirect_uri,
            &code,
            &pending.code_verifier,
        );
        let reply = self.http()?.post_form(&self.config.token_endpoint, &form)?;
        let t = oauth::parse_token_response(reply.status, &reply.body)?;
        let refresh_token = t.refresh_token.clone().ok_or(Error::NoRefreshToken)?;
        oauth::check_granted(&t.scope)?;
        let mut next = self.state.clone();
        next.pending.retain(|p| p.state != pending.state);
        next.account = t.id_token.as_deref().and_then(oauth::email_from_id_token);
        next.tokens = Some(Tokens {
            access_token: t.access_token,
            access_expires_at: now() + t.expires_in,
            refresh_token,
            scope: t.scope,
            authorized_at: now(),
        });
        next.reauth_required = None;
        self.commit(next)
    }

    /// Validates a meeting and builds its event; nothing is sent.
    pub fn prepare(&self, m: &Meeting) -> Result<Prepared> {
        meeting::prepare(m, &self.config.instance_id)
    }

    /// Creates or updates the meeting's event in Google Calendar.
    pub fn push(&mut self, p: &Prepared, meeting_id: &str) -> Result<Written> {
        self.ensure_http()?;
        self.with_token(|c, token| {
            let to = calendar::Target {
                base: &c.config.calendar_api_base,
                calendar_id: &c.config.calendar_id,
                send_updates: c.config.send_updates.as_str(),
            };
            calendar::upsert(
                c.http()?,
                &to,
                token,
                &p.event_id,
                meeting_id,
                &p.event,
            )
        })
    }

    /// Runs an API call with a valid access token: refreshed first when it
    /// is about to expire, and once more (with one retry) on a 401.
    fn with_token<T>(&mut self, call: impl Fn(&Self, &str) -> Result<T>) -> Result<T> {
        let token = self.fresh_token(false)?;
        match call(self, &token) {
            Err(Error::ApiUnauthorized(_)) => {
                let token = self.fresh_token(true)?;
                call(self, &token)
            }
            other => other,
        }
    }

    fn fresh_token(&mut self, force: bool) -> Result<String> {
        if let Some(why) = &self.state.reauth_required {
            return Err(Error::ReauthRequired(why.clone()));
        }
        let tokens = self.state.tokens.clone().ok_or(Error::NotAuthorized)?;
        if !force && tokens.access_expires_at - now() > REFRESH_MARGIN_SECS {
            return Ok(tokens.access_token);
        }
        let client = self.state.client.clone().ok_or(Error::NotConfigured)?;
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "refresh_token")
            .append_pair("refresh_token", &tokens.refresh_token)
            .append_pair("client_id", &client.client_id)
            .append_pair("client_secret", &client.client_secret)
            .finish();
        let reply = self.http()?.post_form(&self.config.token_endpoint, &form)?;
        let t = match oauth::parse_token_response(reply.status, &reply.body) {
            Ok(t) => t,
            Err(Error::InvalidGrant(why) | Error::ReauthRequired(why)) => {
                // Terminal: never retried in a loop; the admin must act.
                let mut next = self.state.clone();
                next.reauth_required = Some(why.clone());
                self.commit(next)?;
                return Err(Error::ReauthRequired(why));
            }
            Err(e) => return Err(e),
        };
        let mut next = self.state.clone();
        next.tokens = Some(Tokens {
            access_token: t.access_token.clone(),
            access_expires_at: now() + t.expires_in,
            // Google normally sends no new refresh token: keep the old one.
            refresh_token: t.refresh_token.unwrap_or(tokens.refresh_token),
            scope: if t.scope.is_empty() { tokens.scope } else { t.scope },
            authorized_at: tokens.authorized_at,
        });
        self.commit(next)?;
        Ok(t.access_token)
    }

    pub fn phase(&self) -> Phase {
        match (&self.state.client, &self.state.tokens, &self.state.reauth_required) {
            (None, _, _) => Phase::Unconfigured,
            (Some(_), _, Some(_)) => Phase::ReauthRequired,
            (Some(_), Some(_), None) => Phase::Authorized,
            (Some(_), None, None) => Phase::Configured,
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    fn forget_pending(&mut self, state: Option<&str>) -> Result<()> {
        let Some(s) = state else { return Ok(()) };
        if !self.state.pending.iter().any(|p| p.state == s) {
            return Ok(());
        }
        let mut next = self.state.clone();
        next.pending.retain(|p| p.state != s);
        self.commit(next)
    }

    /// Persists first, then adopts: memory never runs ahead of disk.
    fn commit(&mut self, next: State) -> Result<()> {
        self.store.save(&next)?;
        self.state = next;
        Ok(())
    }

    fn http(&self) -> Result<&Http> {
        self.http.as_ref().ok_or_else(|| Error::Internal("HTTP agent missing".into()))
    }

    /// Builds the agent if needed (first network use).
    fn ensure_http(&mut self) -> Result<()> {
        if self.http.is_none() {
            self.http = Some(Http::new(&self.config)?);
        }
        Ok(())
    }
}

/// Google requires an exact match with a registered URI; we check only
/// what is certainly wrong: not http(s), or the removed out-of-band URI.
fn check_redirect_uri(uri: &str) -> Result<()> {
    if uri.starts_with("urn:ietf:wg:oauth:2.0:oob") || uri == "oob" {
        return Err(Error::InvalidArgument(
            "redirect_uri: Google blocked the out-of-band (OOB) flow in 2023; register an https \
             redirect URI (or http://127.0.0.1:PORT/...) for a Web application client"
                .into(),
        ));
    }
    let parsed: ureq::http::Uri = uri
        .parse()
        .map_err(|_| Error::InvalidArgument("redirect_uri is not a URL".into()))?;
    match (parsed.scheme_str(), parsed.host()) {
        (Some("https" | "http"), Some(_)) => Ok(()),
        _ => Err(Error::InvalidArgument("redirect_uri must be an http(s) URL".into())),
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
