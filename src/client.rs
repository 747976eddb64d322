//! The handle's operations: configuration, authorization (code flow,
//! device flow, refresh, reset, backup) and pushing meetings. Orchestration
//! only: parsing and decisions live in `oauth`, `meeting` and `http`; disk
//! in `store`; the network in `http`.

use crate::calendar::{self, Upserted, Written};
use crate::config::{Config, Effect};
use crate::error::{Error, Result};
use crate::http::{self, Http};
use crate::meeting::zone::Zone;
use crate::meeting::{self, Meeting, Prepared};
use crate::oauth::device::{self, Poll, Started};
use crate::oauth::{self, Pasted, TokenResponse};
use crate::store::{sealed, zoneinfo, ClientConfig, DeviceAuth, PendingAuth, Revocation, State, Store, Tokens};
use ring::rand::{SecureRandom, SystemRandom};
use std::path::Path;
use std::time::{Duration, Instant};

/// Authorization links kept outstanding; older ones are forgotten.
const MAX_PENDING: usize = 8;
/// An authorization link older than this is forgotten (Google's codes live
/// minutes; an admin may take a while to sign in).
const PENDING_TTL_SECS: i64 = 3600;
/// Refresh when the access token has less than this left.
pub(crate) const REFRESH_MARGIN_SECS: i64 = 300;
/// Fingerprints of redeemed codes remembered.
const MAX_USED_CODES: usize = 16;
/// Refresh tokens waiting for revocation; the oldest is dropped beyond this
/// (Google retires it anyway past 100 per account and client).
const MAX_PENDING_REVOCATIONS: usize = 8;
/// Shortest backup passphrase accepted.
pub(crate) const MIN_PASSPHRASE: usize = 8;

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
    /// When the access token obtained in this process expires, by the
    /// monotonic clock: immune to the wall clock being set (NTP at boot).
    access_deadline: Option<Instant>,
    /// When the device flow was last polled, by the monotonic clock.
    last_device_poll: Option<Instant>,
    /// Origin of the monotonic millisecond times handed to pure code.
    epoch: Instant,
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

/// Outcome of one device-flow poll that is not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevicePoll {
    Approved,
    Pending,
}

impl Client {
    pub fn open(dir: &Path) -> Result<Client> {
        let (store, state) = Store::open(dir)?;
        Ok(Client {
            config: Config::default(),
            store,
            state,
            http: None,
            rng: SystemRandom::new(),
            access_deadline: None,
            last_device_poll: None,
            epoch: Instant::now(),
        })
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

    /// Stores the admin's OAuth client. An empty redirect URI is allowed
    /// for a "TVs and Limited Input devices" client (device flow only). A
    /// different client ID invalidates tokens and links of the old one.
    pub fn set_client(&mut self, client_id: &str, secret: &str, redirect_uri: &str) -> Result<()> {
        for (field, v, max) in [
            ("client_id", client_id, MAX_CLIENT_ID),
            ("client_secret", secret, MAX_CLIENT_SECRET),
            ("redirect_uri", redirect_uri, MAX_REDIRECT_URI),
        ] {
            if v.trim().is_empty() && field != "redirect_uri" {
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
        if !redirect_uri.is_empty() {
            check_redirect_uri(redirect_uri)?;
        }
        let mut next = self.state.clone();
        if next.client.as_ref().map(|c| c.client_id.as_str()) != Some(client_id) {
            // The old tokens are dropped, not revoked: the new client may
            // belong to the same Google project, and revoking the user's
            // grant to the project would also undo the coming authorization.
            next.tokens = None;
            next.account = None;
            next.pending.clear();
            next.device = None;
            next.reauth_required = None;
            self.access_deadline = None;
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
        if client.redirect_uri.is_empty() {
            return Err(Error::NotConfigured);
        }
        let mut v = [0u8; 32];
        let mut s = [0u8; 16];
        self.random(&mut v)?;
        self.random(&mut s)?;
        let verifier = oauth::pkce_verifier(&v);
        let state = oauth::state_token(&s);
        let url = oauth::auth_url(
            &self.config.auth_endpoint,
            &client.client_id,
            &client.redirect_uri,
            &self.config.scopes,
            &state,
            &oauth::pkce_challenge(&verifier),
            &self.config.login_hint,
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
        let (code, state) = match oauth::parse_pasted(pasted)? {
            Pasted::Denied { error, state } => {
                self.forget_pending(state.as_deref())?;
                return Err(oauth::oauth_error(0, &error, "returned to the redirect URI", ""));
            }
            Pasted::Redirect { code, state } => (code, state),
            Pasted::Code(code) => (code, None),
        };
        let fingerprint = oauth::code_fingerprint(&code);
        if self.state.used_codes.contains(&fingerprint) {
            return Err(Error::CodeAlreadyUsed);
        }
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
        self.online()?;
        let form = oauth::code_exchange_form(
            &client.client_id,
            &client.client_secret,
            &client.redirect_uri,
            &code,
            &pending.code_verifier,
        );
        let reply = self.http()?.post_form(&self.config.token_endpoint, &form)?;
        let t = oauth::parse_token_response(reply.status, &reply.body)?;
        let mut next = self.state.clone();
        next.pending.retain(|p| p.state != pending.state);
        next.used_codes.push(fingerprint);
        let excess = next.used_codes.len().saturating_sub(MAX_USED_CODES);
        next.used_codes.drain(..excess);
        self.adopt_grant(next, t, reply.date)
    }

    /// Takes a new grant (code exchange or device flow): checks it, stores
    /// it durably, and revokes the grant it replaces.
    fn adopt_grant(&mut self, mut next: State, t: TokenResponse, google_now: Option<i64>) -> Result<()> {
        let refresh_token = t.refresh_token.clone().ok_or(Error::NoRefreshToken)?;
        oauth::check_granted(&t.scope)?;
        let account = t.id_token.as_deref().and_then(oauth::email_from_id_token);
        // Google revokes a user's whole grant to the project: revoking a
        // replaced token of the same account (or an unknown one) would undo
        // this authorization. Only another account's old grant is revoked.
        next.pending_revocations.retain(|r| r.account.is_some() && r.account != account);
        if let Some(old) = next.tokens.take() {
            if account.is_some() && next.account.is_some() && next.account != account {
                queue_revocation(&mut next, old.refresh_token);
            }
        }
        next.account = account;
        next.tokens = Some(Tokens {
            access_token: t.access_token,
            access_expires_at: now() + t.expires_in,
            refresh_token,
            scope: t.scope,
            authorized_at: now(),
            authorized_at_google: google_now,
            refreshed_at: None,
        });
        next.reauth_required = None;
        next.device = None;
        self.commit(next)?;
        self.access_deadline = Some(Instant::now() + Duration::from_secs(t.expires_in as u64));
        self.flush_revocations();
        Ok(())
    }

    /// Starts the device flow: Google's user code and verification URL
    /// for the admin. Replaces any earlier device authorization.
    pub fn device_start(&mut self) -> Result<Started> {
        let client = self.state.client.clone().ok_or(Error::NotConfigured)?;
        self.online()?;
        self.flush_revocations();
        let form = device::start_form(&client.client_id, &self.config.scopes);
        let reply = self.http()?.post_form(&self.config.device_endpoint, &form)?;
        let started = device::parse_start(reply.status, &reply.body)?;
        let mut next = self.state.clone();
        next.device = Some(DeviceAuth {
            device_code: started.device_code.clone(),
            user_code: started.user_code.clone(),
            verification_url: started.verification_url.clone(),
            expires_at: now() + i64::from(started.expires_in),
            interval: started.interval,
        });
        self.commit(next)?;
        self.last_device_poll = None;
        Ok(started)
    }

    /// At most one poll, never before the interval has passed.
    pub fn device_poll(&mut self) -> Result<DevicePoll> {
        let client = self.state.client.clone().ok_or(Error::NotConfigured)?;
        let dev = self.state.device.clone().ok_or(Error::DeviceNotStarted)?;
        if now() >= dev.expires_at {
            self.forget_device()?;
            return Err(Error::DeviceCodeExpired(
                "the user code expired before it was approved: start again for a new code".into(),
            ));
        }
        let last = self.last_device_poll.map(|t| self.millis(t));
        if !device::poll_due(last, dev.interval, self.millis(Instant::now())) {
            return Ok(DevicePoll::Pending);
        }
        self.online()?;
        let form = device::poll_form(&client.client_id, &client.client_secret, &dev.device_code);
        self.last_device_poll = Some(Instant::now());
        let reply = self.http()?.post_form(&self.config.token_endpoint, &form)?;
        match device::parse_poll(reply.status, &reply.body) {
            Ok(Poll::Approved(t)) => {
                let next = self.state.clone();
                self.adopt_grant(next, t, reply.date)?;
                Ok(DevicePoll::Approved)
            }
            Ok(Poll::Pending) => Ok(DevicePoll::Pending),
            Ok(Poll::SlowDown) => {
                let mut next = self.state.clone();
                if let Some(d) = next.device.as_mut() {
                    d.interval += device::SLOW_DOWN_STEP;
                }
                self.commit(next)?;
                Ok(DevicePoll::Pending)
            }
            Err(e @ (Error::AccessDenied(_) | Error::DeviceCodeExpired(_))) => {
                self.forget_device()?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// The "Reset" button: revokes the grant at Google and forgets tokens
    /// and account. Offline, the revocation waits and is retried later; the
    /// local state is forgotten either way. The client stays configured.
    pub fn reset(&mut self) -> Result<()> {
        let mut next = self.state.clone();
        if let Some(t) = next.tokens.take() {
            queue_revocation(&mut next, t.refresh_token);
        }
        next.account = None;
        next.pending.clear();
        next.device = None;
        next.reauth_required = None;
        self.commit(next)?;
        self.access_deadline = None;
        self.last_device_poll = None;
        if self.online().is_ok() {
            self.flush_revocations();
        }
        Ok(())
    }

    /// Tries the waiting revocations, best effort: Google answers 200 for a
    /// live token and 400 invalid_token for a dead one; both are done.
    /// Stops at the first transport failure (Google unreachable).
    fn flush_revocations(&mut self) {
        if self.state.pending_revocations.is_empty() || self.http.is_none() {
            return;
        }
        let mut done = Vec::new();
        for r in &self.state.pending_revocations {
            let Ok(http) = self.http() else { break };
            match http.post_form(&self.config.revoke_endpoint, &oauth::revoke_form(&r.refresh_token)) {
                Ok(reply) if reply.status == 200 || reply.status == 400 => done.push(r.clone()),
                _ => break,
            }
        }
        if !done.is_empty() {
            let mut next = self.state.clone();
            next.pending_revocations.retain(|r| !done.contains(r));
            // A failed save only means a repeated revocation later.
            let _ = self.commit(next);
        }
    }

    /// The whole integration (client and tokens) sealed with a passphrase,
    /// for the PBX's system backup.
    pub fn export(&self, passphrase: &str) -> Result<String> {
        check_passphrase(passphrase)?;
        let mut copy = self.state.clone();
        copy.pending.clear();
        copy.device = None;
        let json = serde_json::to_vec(&copy).map_err(|e| Error::Internal(e.to_string()))?;
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 12];
        self.random(&mut salt)?;
        self.random(&mut nonce)?;
        Ok(sealed::seal(&json, passphrase, &salt, &nonce, sealed::DEFAULT_ITERATIONS))
    }

    /// Restores an `export`. On any error the current state is untouched.
    pub fn import(&mut self, passphrase: &str, blob: &str) -> Result<()> {
        let json = sealed::open(blob, passphrase).map_err(|e| match e {
            sealed::SealError::Malformed(why) => Error::BackupMalformed(why),
            sealed::SealError::Unauthentic => Error::BackupUnauthentic,
        })?;
        let mut next = crate::store::parse_state(&json).map_err(Error::BackupMalformed)?;
        next.version = crate::store::STATE_VERSION;
        next.pending.clear();
        next.device = None;
        self.commit(next)?;
        self.access_deadline = None;
        self.last_device_poll = None;
        Ok(())
    }

    /// The rules of a time zone: from the system's zoneinfo, or computed
    /// for `Etc/GMT±N`/`UTC`; None when the PBX has no zoneinfo (then only
    /// the name's shape is checked and Google judges the rest).
    fn zone(&self, name: &str) -> Result<Option<Zone>> {
        meeting::localtime::check_time_zone(name)?;
        if let Some(z) = Zone::fixed(name) {
            return Ok(Some(z));
        }
        match zoneinfo::read_zone(Path::new(&self.config.zoneinfo_dir), name)? {
            Some(bytes) => Zone::from_tzif(name, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Validates a meeting and builds its event; nothing is sent.
    pub fn prepare(&self, m: &Meeting) -> Result<Prepared> {
        let zone = self.zone(&m.time_zone)?;
        let generation = self.state.generations.get(&m.meeting_id).copied().unwrap_or(0);
        meeting::prepare(m, &self.config.instance_id, generation, zone.as_ref())
    }

    fn target(&self) -> calendar::Target<'_> {
        calendar::Target {
            base: &self.config.calendar_api_base,
            calendar_id: &self.config.calendar_id,
            send_updates: self.config.send_updates.as_str(),
        }
    }

    /// Creates or updates the meeting's event (or one occurrence) in Google
    /// Calendar. If Google refuses to restore the meeting's event deleted
    /// in its UI, the meeting moves to a new event id (recorded) once.
    pub fn push(&mut self, p: &Prepared, m: &Meeting) -> Result<Written> {
        let first = self.with_token(|c, token| calendar::upsert(c.http()?, &c.target(), token, p, &m.meeting_id))?;
        if let Upserted::Done(w) = first {
            return Ok(w);
        }
        let mut next = self.state.clone();
        *next.generations.entry(m.meeting_id.clone()).or_insert(0) += 1;
        self.commit(next)?;
        let fresh = self.prepare(m)?;
        match self.with_token(|c, token| calendar::upsert(c.http()?, &c.target(), token, &fresh, &m.meeting_id))? {
            Upserted::Done(w) => Ok(w),
            Upserted::RestoreRefused => Err(Error::ApiForbidden(
                "Google refuses to restore this meeting's deleted event, even under a new id".into(),
            )),
        }
    }

    /// Deletes the meeting's event, or one occurrence of it (`occurrence`:
    /// its original local start, with the meeting's `time_zone`).
    pub fn cancel(&mut self, meeting_id: &str, occurrence: Option<&str>, time_zone: Option<&str>) -> Result<()> {
        let generation = self.state.generations.get(meeting_id).copied().unwrap_or(0);
        let event_id = meeting::event_id(&self.config.instance_id, meeting_id, generation);
        let target = match occurrence {
            None => event_id,
            Some(occ) => {
                let tz = time_zone.ok_or(Error::NullArgument("time_zone"))?;
                let original = meeting::localtime::parse_local("occurrence", occ)?;
                let zone = self.zone(tz)?.ok_or_else(|| {
                    Error::InvalidTimeZone(format!(
                        "occurrence: addressing one occurrence needs the rules of {tz} (no zoneinfo)"
                    ))
                })?;
                meeting::instance_id_of(&event_id, zone.to_utc("occurrence", original)?)
            }
        };
        self.with_token(|c, token| calendar::delete(c.http()?, &c.target(), token, &target))
    }

    /// Runs an API call with a valid access token: refreshed first when it
    /// is about to expire, and once more (with one retry) on a 401.
    fn with_token<T>(&mut self, call: impl Fn(&Self, &str) -> Result<T>) -> Result<T> {
        self.online()?;
        self.flush_revocations();
        let token = self.fresh_token(false)?;
        match call(self, &token) {
            Err(Error::ApiUnauthorized(_)) => {
                let token = self.fresh_token(true)?;
                call(self, &token)
            }
            other => other,
        }
    }

    /// Seconds the access token has left: by the monotonic clock when it was
    /// obtained in this process, else by the persisted absolute expiry.
    fn access_remaining(&self, tokens: &Tokens) -> i64 {
        match self.access_deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).as_secs() as i64,
            None => tokens.access_expires_at - now(),
        }
    }

    fn fresh_token(&mut self, force: bool) -> Result<String> {
        if let Some(why) = &self.state.reauth_required {
            return Err(Error::ReauthRequired(why.clone()));
        }
        let tokens = self.state.tokens.clone().ok_or(Error::NotAuthorized)?;
        if !force && self.access_remaining(&tokens) > REFRESH_MARGIN_SECS {
            return Ok(tokens.access_token);
        }
        let client = self.state.client.clone().ok_or(Error::NotConfigured)?;
        let form = oauth::refresh_form(&client.client_id, &client.client_secret, &tokens.refresh_token);
        let reply = self.http()?.post_form(&self.config.token_endpoint, &form)?;
        let t = match oauth::parse_token_response(reply.status, &reply.body) {
            Ok(t) => t,
            Err(e) => {
                let age = match (reply.date, tokens.authorized_at_google) {
                    (Some(g_now), Some(g_then)) => Some(g_now - g_then),
                    _ => Some(now() - tokens.authorized_at),
                };
                let e = oauth::diagnose_refresh_failure(e, age);
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
            scope: if t.scope.is_empty() { tokens.scope } else { t.scope },
            refreshed_at: Some(now()),
            ..tokens
        });
        self.commit(next)?;
        self.access_deadline = Some(Instant::now() + Duration::from_secs(t.expires_in as u64));
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

    /// Seconds the access token has left, for the status page.
    pub fn access_expires_in(&self) -> Option<i64> {
        self.state.tokens.as_ref().map(|t| self.access_remaining(t).max(0))
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

    fn forget_device(&mut self) -> Result<()> {
        let mut next = self.state.clone();
        next.device = None;
        self.last_device_poll = None;
        self.commit(next)
    }

    /// Persists first, then adopts: memory never runs ahead of disk.
    fn commit(&mut self, next: State) -> Result<()> {
        self.store.save(&next)?;
        self.state = next;
        Ok(())
    }

    /// Before any request: a sane clock, and the agent built.
    fn online(&mut self) -> Result<()> {
        http::check_clock(now())?;
        if self.http.is_none() {
            self.http = Some(Http::new(&self.config)?);
        }
        Ok(())
    }

    fn http(&self) -> Result<&Http> {
        self.http.as_ref().ok_or_else(|| Error::Internal("HTTP agent missing".into()))
    }

    fn random(&self, buf: &mut [u8]) -> Result<()> {
        self.rng.fill(buf).map_err(|_| Error::Internal("the system random generator failed".into()))
    }

    fn millis(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.epoch).as_millis() as u64
    }
}

/// Queues the revocation of a grant of the state's current account.
fn queue_revocation(state: &mut State, refresh_token: String) {
    if !state.pending_revocations.iter().any(|r| r.refresh_token == refresh_token) {
        let account = state.account.clone();
        state.pending_revocations.push(Revocation { refresh_token, account });
    }
    let excess = state.pending_revocations.len().saturating_sub(MAX_PENDING_REVOCATIONS);
    state.pending_revocations.drain(..excess);
}

fn check_passphrase(p: &str) -> Result<()> {
    if p.chars().count() < MIN_PASSPHRASE {
        return Err(Error::InvalidArgument(format!(
            "the backup passphrase must have at least {MIN_PASSPHRASE} characters"
        )));
    }
    Ok(())
}

/// Google requires an exact match with a registered URI; we check only
/// what is certainly wrong: not http(s), or the removed out-of-band URI.
fn check_redirect_uri(uri: &str) -> Result<()> {
    if uri.starts_with("urn:ietf:wg:oauth:2.0:oob") || uri == "oob" {
        return Err(Error::InvalidArgument(
            "redirect_uri: Google blocked the out-of-band (OOB) flow in 2023; register an https \
             redirect URI (or http://127.0.0.1:PORT/...) for a Web application client, or use \
             the device flow"
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
