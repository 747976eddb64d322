//! The handle's operations: configuration, authorization (code flow,
//! device flow, refresh, reset, backup) and pushing meetings. Orchestration
//! only: parsing and decisions live in `oauth`, `meeting` and `http`; disk
//! in `store`; the network in `http`.

use crate::secret::{Secret, WipedString};
use crate::calendar::{self, Upserted, Written};
use crate::config::{Config, Effect};
use crate::error::{Error, Result};
use crate::log::{log_at, Log, Sink};
use crate::http::{self, Http};
use crate::meeting::zone::Zone;
use crate::meeting::{self, Meeting, Prepared};
use crate::oauth::device::{self, Poll, Started};
use crate::oauth::{self, Pasted, TokenResponse};
use crate::events::{self, Busy, CachedEvent};
use crate::outbox::{self, Circuit, Class, Entry, Op};
use crate::state::{Cache, ClientConfig, DeviceAuth, Drift, PendingAuth, Parked, Pushed, Revocation, State, Tokens};
use crate::store::{sealed, zoneinfo, Store};
use serde_json::{json, Value};
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
/// Pages followed in one listing (250 events each).
const MAX_PAGES: usize = 40;
/// Bytes of Google's answers one read call takes in (each answer is also
/// capped at 1 MiB): the read side's memory bound per call.
pub(crate) const MAX_READ_BYTES: usize = 8 << 20;
/// Damaged-file notices kept for the status page.
const MAX_SET_ASIDE: usize = 8;
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
    /// The read-side cache, loaded on first use.
    cache: Option<Cache>,
    /// Operations waiting for Google, oldest first (persisted in a journal).
    /// Boxed: a sync drains it from the front, and removing an entry then
    /// moves pointers, not entries (quadratic in callgrind's count before;
    /// issue 7).
    outbox: Vec<Box<Entry>>,
    /// The next outbox sequence number: advanced as soon as an entry is
    /// durable, never reused (the journal's header keeps it too).
    next_seq: u64,
    circuit: Circuit,
    /// The end of the current C call, applied to every request.
    call_deadline: Option<Instant>,
    /// `state.pushed` has records not saved yet (see `note_write`).
    pushed_dirty: bool,
    /// Time zone rules read so far, by name (None: no zoneinfo for it).
    /// (A few entries, searched in order: no hash table code for them.)
    zones: std::cell::RefCell<Vec<(String, Option<Zone>)>>,
    /// Health for the status page (this process's view).
    pub(crate) health: Health,
    log: Log,
}

/// What the status page shows of the connection to Google.
#[derive(Debug, Clone, Default)]
pub(crate) struct Health {
    pub last_success_at: Option<i64>,
    /// When, class, code and text of the last failure.
    pub last_failure: Option<(i64, &'static str, i32, String)>,
}

/// A push or cancel: done now, or stored for `sync` with the reason.
pub enum Sent<T> {
    Done(T),
    Queued(Error),
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
        let (mut store, mut state) = Store::open(dir, now())?;
        let loaded = store.load_outbox(now())?;
        if let Some(note) = loaded.set_aside {
            state.set_aside.push(note);
            let excess = state.set_aside.len().saturating_sub(MAX_SET_ASIDE);
            state.set_aside.drain(..excess);
            store.save(&state)?;
        }
        let outbox = loaded.entries;
        let client = Client {
            config: Config::default(),
            store,
            state,
            http: None,
            rng: SystemRandom::new(),
            access_deadline: None,
            last_device_poll: None,
            epoch: Instant::now(),
            cache: None,
            next_seq: loaded.next_seq,
            outbox: outbox.into_iter().map(Box::new).collect(),
            circuit: Circuit::default(),
            call_deadline: None,
            pushed_dirty: false,
            zones: Default::default(),
            health: Health::default(),
            log: Log::default(),
        };
        if loaded.torn_bytes > 0 {
            log_at!(client.log, Warn, "outbox journal: cut off a torn last line of {} bytes (a crash mid-write; it was never reported)",
                loaded.torn_bytes);
        }
        Ok(client)
    }

    /// Routes this handle's log lines to `sink` (None: the process-wide sink).
    pub fn set_log(&mut self, sink: Option<Sink>) {
        self.log.set(sink);
        if let Some(h) = &mut self.http {
            h.log = self.log.clone();
        }
    }

    pub fn set_option(&mut self, key: &str, value: &str) -> Result<()> {
        let mut next = self.config.clone();
        if key == "zoneinfo_dir" {
            self.zones.borrow_mut().clear();
        }
        if next.set(key, value)? == Effect::RebuildAgent {
            // A bad CA file is refused now and nothing changes; the agent
            // itself is rebuilt on the next request.
            if let Some(path) = &next.ca_file {
                crate::http::parse_ca_pem(path, &crate::store::read_ca_file(path)?)?;
            }
            self.http = None;
        }
        self.config = next;
        Ok(())
    }

    /// Stores the admin's OAuth client. An empty redirect URI is allowed
    /// for a "TVs and Limited Input devices" client (device flow only). A
    /// different client ID invalidates tokens and links of the old one.
    pub fn set_client(&mut self, client_id: &str, secret: &str, redirect_uri: &str) -> Result<()> {
        check_client(client_id, secret, redirect_uri)?;
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
            return Err(Error::InvalidArgument(
                "this client has no redirect URI: a \"TVs and Limited Input devices\" client \
                 authorizes with the device flow; for Get Authorization Code enter a Web \
                 application client with its redirect URI"
                    .into(),
            ));
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
        Ok(AuthLink { url, pending: PendingAuth { state, code_verifier: verifier.into(), created_at: now() } })
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
        let code = WipedString(code);
        let code = code.0.as_str();
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
        let form = WipedString(oauth::code_exchange_form(
            &client.client_id,
            client.client_secret.expose(),
            &client.redirect_uri,
            &code,
            pending.code_verifier.expose(),
        ));
        let reply = self.http()?.post_form(&self.config.token_endpoint, &form.0)?;
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
        let account = t.id_token.as_ref().and_then(|t| oauth::email_from_id_token(t.expose()));
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
        // What waited for authorization can go now.
        self.retry_now()
    }

    /// Makes every waiting operation due at once and closes the circuit
    /// breaker: after a new authorization, or when the firmware knows the
    /// network is back (gs_gcal_retry_now). A quota pause still holds.
    pub fn retry_now(&mut self) -> Result<()> {
        self.circuit.success();
        let changes: Vec<outbox::Change> = self
            .outbox
            .iter()
            .filter(|e| e.next_attempt_at > 0)
            .map(|e| outbox::Change::Put(Entry { next_attempt_at: 0, ..(**e).clone() }))
            .collect();
        self.journal_apply(&changes)
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
        let form = WipedString(device::poll_form(&client.client_id, client.client_secret.expose(), dev.device_code.expose()));
        self.last_device_poll = Some(Instant::now());
        let reply = self.http()?.post_form(&self.config.token_endpoint, &form.0)?;
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
            let form = WipedString(oauth::revoke_form(r.refresh_token.expose()));
            match http.post_form(&self.config.revoke_endpoint, &form.0) {
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
            check_client(&c.client_id, c.client_secret.expose(), &c.redirect_uri)
                .map_err(|e| Error::BackupMalformed(format!("the backup's OAuth client is not valid: {e}")))?;
        }
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
        // A PBX uses a handful of zones: read and parse each file once.
        if let Some((_, z)) = self.zones.borrow().iter().find(|(n, _)| n == name) {
            return Ok(z.clone());
        }
        let zone = match zoneinfo::read_zone(Path::new(&self.config.zoneinfo_dir), name)? {
            Some(bytes) => Some(Zone::from_tzif(name, &bytes)?),
            None => None,
        };
        let mut zones = self.zones.borrow_mut();
        if zones.len() >= 32 {
            zones.clear();
        }
        zones.push((name.to_owned(), zone.clone()));
        Ok(zone)
    }

    /// Validates a meeting and builds its event; nothing is sent.
    pub fn prepare<'m>(&self, m: &'m Meeting) -> Result<Prepared<'m>> {
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
        let ours = self.state.pushed.get(&m.meeting_id).is_some_and(|w| w.event_id == p.event_id);
        let first = self.with_token(|c, token| calendar::upsert(c.http()?, &c.target(), token, p, &m.meeting_id, ours))?;
        let (w, whole) = match first {
            Upserted::Done(w) => (w, p.target_id == p.event_id),
            Upserted::RestoreRefused => {
                let mut next = self.state.clone();
                *next.generations.entry(m.meeting_id.clone()).or_insert(0) += 1;
                self.commit(next)?;
                let fresh = self.prepare(m)?;
                match self.with_token(|c, token| calendar::upsert(c.http()?, &c.target(), token, &fresh, &m.meeting_id, false))? {
                    Upserted::Done(w) => (w, true),
                    Upserted::RestoreRefused => {
                        return Err(Error::ApiForbidden(
                            "Google refuses to restore this meeting's deleted event, even under a new id".into(),
                        ))
                    }
                }
            }
        };
        // Remember when we wrote, so a sync can tell Google-side edits.
        let written_ms = w.updated_ms.unwrap_or_else(|| now() * 1000);
        let event_id = if whole { w.event_id.clone() } else { p.event_id.clone() };
        self.note_write(&m.meeting_id, event_id, written_ms)?;
        Ok(w)
    }

    /// Deletes the meeting's event, or one occurrence of it (`occurrence`:
    /// its original local start, with the meeting's `time_zone`).
    pub fn cancel(&mut self, meeting_id: &str, occurrence: Option<&str>, time_zone: Option<&str>) -> Result<()> {
        let target = self.cancel_target(meeting_id, occurrence, time_zone)?;
        let date = self.with_token(|c, token| calendar::delete(c.http()?, &c.target(), token, &target))?;
        match (occurrence, self.state.pushed.get(meeting_id)) {
            (None, Some(_)) => {
                self.state.pushed.remove(meeting_id);
                self.pushed_dirty = true;
                Ok(())
            }
            (Some(_), Some(p)) => {
                let event_id = p.event_id.clone();
                self.note_write(meeting_id, event_id, date.map_or(now(), |d| d) * 1000 + 999)
            }
            _ => Ok(()),
        }
    }

    /// The event (or occurrence instance) a cancel deletes; validates the
    /// occurrence time and zone, so a bad one is refused before it is
    /// queued too.
    fn cancel_target(&self, meeting_id: &str, occurrence: Option<&str>, time_zone: Option<&str>) -> Result<String> {
        let generation = self.state.generations.get(meeting_id).copied().unwrap_or(0);
        let event_id = meeting::event_id(&self.config.instance_id, meeting_id, generation);
        let Some(occ) = occurrence else { return Ok(event_id) };
        let tz = time_zone.ok_or(Error::NullArgument("time_zone"))?;
        let original = meeting::localtime::parse_local("occurrence", occ)?;
        let zone = self.zone(tz)?.ok_or_else(|| {
            Error::InvalidTimeZone(format!(
                "occurrence: addressing one occurrence needs the rules of {tz} (no zoneinfo)"
            ))
        })?;
        Ok(meeting::instance_id_of(&event_id, zone.to_utc("occurrence", original)?))
    }

    /// Records our latest write to a meeting's event (never moving back).
    /// Kept in memory and saved with the next state write (sync_events,
    /// sync, close): it only tells our edits from Google-side ones, so a
    /// crash costs at most a spurious "modified" drift, while saving the
    /// whole state on every push would cost more than the push itself.
    fn note_write(&mut self, meeting_id: &str, event_id: String, written_ms: i64) -> Result<()> {
        let keep = self.state.pushed.get(meeting_id).filter(|p| p.event_id == event_id).map_or(0, |p| p.written_ms);
        self.state.pushed.insert(meeting_id.to_owned(), Pushed { event_id, written_ms: written_ms.max(keep) });
        self.pushed_dirty = true;
        Ok(())
    }

    /// Saves pushed-meeting records noted since the last state write.
    pub fn save_pushed(&mut self) -> Result<()> {
        if self.pushed_dirty {
            let next = self.state.clone();
            self.commit(next)?;
        }
        Ok(())
    }

    /// Pushes now, or stores the push for `sync` when Google cannot take it
    /// now (network, rate limits, quota, authorization) or an earlier change
    /// of the meeting still waits. Errors only for what retrying cannot fix.
    pub fn submit_push(&mut self, p: &Prepared, m: &Meeting) -> Result<Sent<Written>> {
        // The meeting is copied into an outbox entry only when one is made.
        let op = || Op::Push(Box::new(m.clone()));
        if let Some(reason) = self.must_queue(&m.meeting_id) {
            return self.enqueue(&m.meeting_id, &m.occurrence, op(), reason, false).map(Sent::Queued);
        }
        match self.push(p, m) {
            Ok(w) => {
                log_at!(self.log, Info, "push {}: done, event {}", m.meeting_id, w.event_id);
                self.note_success();
                Ok(Sent::Done(w))
            }
            Err(e) => self.after_failure(&m.meeting_id, &m.occurrence, op(), e).map(Sent::Queued),
        }
    }

    /// Cancels now, or stores the cancel for `sync` (see `submit_push`).
    pub fn submit_cancel(&mut self, meeting_id: &str, occurrence: Option<&str>, time_zone: Option<&str>) -> Result<Sent<()>> {
        // Validated first: also when it is queued behind an earlier change.
        self.cancel_target(meeting_id, occurrence, time_zone)?;
        let occ = occurrence.map(str::to_owned);
        let op = Op::Cancel { time_zone: time_zone.map(str::to_owned) };
        if let Some(reason) = self.must_queue(meeting_id) {
            return self.enqueue(meeting_id, &occ, op, reason, false).map(Sent::Queued);
        }
        match self.cancel(meeting_id, occurrence, time_zone) {
            Ok(()) => {
                log_at!(self.log, Info, "cancel {meeting_id}: done");
                self.note_success();
                Ok(Sent::Done(()))
            }
            Err(e) => self.after_failure(meeting_id, &occ, op, e).map(Sent::Queued),
        }
    }

    /// Why an operation must wait in the outbox instead of going out now.
    fn must_queue(&self, meeting_id: &str) -> Option<Error> {
        let now = now();
        if self.outbox.iter().any(|e| outbox::same_id(&e.meeting_id, meeting_id)) {
            return Some(Error::NetworkIo(format!(
                "an earlier change of meeting {meeting_id} still waits in the outbox; this one follows it"
            )));
        }
        if let Some(until) = self.state.quota_pause_until.filter(|u| *u > now) {
            return Some(Error::ApiQuotaExceeded(format!(
                "writes pause until {} after Google's quotaExceeded",
                crate::status::rfc3339(until).unwrap_or_default()
            )));
        }
        if !self.circuit.allows(now) {
            return Some(Error::Connect(format!(
                "Google failed repeatedly; requests pause until {}",
                crate::status::rfc3339(self.circuit.open_until).unwrap_or_default()
            )));
        }
        None
    }

    /// A send failed: what retrying cannot fix is returned; the rest waits.
    fn after_failure(&mut self, meeting_id: &str, occ: &Option<String>, op: Op, e: Error) -> Result<Error> {
        let class = outbox::classify(&e);
        self.note_failure(&e, class);
        if class == Class::Permanent {
            log_at!(self.log, Error, "{} {meeting_id}: refused for good: {e}", op.name());
            return Err(e);
        }
        let maybe_sent = matches!(
            e,
            Error::Timeout(_) | Error::NetworkIo(_) | Error::HttpProtocol(_) | Error::ApiServerError(_)
                | Error::ApiBadResponse(_) | Error::ResponseTooLarge(_)
        );
        self.enqueue(meeting_id, occ, op, e, maybe_sent)
    }

    fn enqueue(&mut self, meeting_id: &str, occ: &Option<String>, op: Op, reason: Error, maybe_sent: bool) -> Result<Error> {
        let now = now();
        let entry = Entry {
            seq: self.next_seq,
            meeting_id: meeting_id.to_owned(),
            occurrence: occ.clone(),
            op,
            enqueued_at: now,
            attempts: 0,
            next_attempt_at: now + self.delay_for(&reason, 0),
            maybe_sent,
            last_error: Some((crate::ffi::result::code_of(&reason), reason.to_string())),
        };
        log_at!(self.log, Warn, "{} {meeting_id}: queued, next attempt in {} s: {reason}", entry.op.name(),
            entry.next_attempt_at - now);
        let reached = self.state.pushed.contains_key(meeting_id);
        // Merged in memory, then journaled with its sequence number in one
        // durable append; if either fails, memory is reloaded from the
        // journal, so it never runs ahead of disk.
        let next_seq = self.next_seq + 1;
        let written = outbox::enqueue(&mut self.outbox, entry, reached)
            .and_then(|changes| self.store.append_outbox(&changes, next_seq));
        if let Err(e) = written {
            let loaded = self.store.load_outbox(now)?;
            self.outbox = loaded.entries.into_iter().map(Box::new).collect();
            self.next_seq = self.next_seq.max(loaded.next_seq);
            return Err(e);
        }
        // Durable: the number is used, whatever happens next.
        self.next_seq = next_seq;
        self.compact_if_dead();
        Ok(reason)
    }

    /// Seconds before an operation that failed with `e` is tried again.
    fn delay_for(&self, e: &Error, attempts: u32) -> i64 {
        let random = {
            let mut b = [0u8; 8];
            self.rng.fill(&mut b).map(|_| u64::from_le_bytes(b)).unwrap_or(0)
        };
        match outbox::classify(e) {
            Class::RateLimited(Some(secs)) => secs.max(1) as i64,
            Class::Quota => outbox::QUOTA_PAUSE,
            Class::Wait => 60,
            _ => outbox::backoff(attempts, random) as i64,
        }
    }

    /// Journal first, then memory (in place: the cost of a change does not
    /// grow with the queue).
    fn journal_apply(&mut self, changes: &[outbox::Change]) -> Result<()> {
        self.store.append_outbox(changes, self.next_seq)?;
        for c in changes {
            match c {
                outbox::Change::Del(seq) => {
                    if let Some(i) = self.outbox.iter().position(|e| e.seq == *seq) {
                        self.outbox.remove(i);
                    }
                }
                outbox::Change::Put(e) => match self.outbox.iter_mut().find(|x| x.seq == e.seq) {
                    Some(slot) => **slot = e.clone(),
                    None => self.outbox.push(Box::new(e.clone())),
                },
            }
        }
        self.compact_if_dead();
        Ok(())
    }

    /// Rewrites the journal when it is mostly dead lines. What was appended
    /// is durable already, so a failed compaction (a full disk) fails no
    /// call: the old journal stays whole and compaction is tried again.
    fn compact_if_dead(&mut self) {
        if self.store.outbox_compaction_due(self.outbox.len()) {
            if let Err(e) = self.store.compact_outbox(self.outbox.iter().map(|e| &**e), self.next_seq) {
                log_at!(self.log, Warn, "outbox compaction failed, tried again later: {e}");
            }
        }
    }

    fn note_success(&mut self) {
        self.circuit.success();
        self.health.last_success_at = Some(now());
    }

    fn note_failure(&mut self, e: &Error, class: Class) {
        let name = match class {
            Class::Retry => "transient",
            Class::RateLimited(_) => "rate_limited",
            Class::Quota => "quota",
            Class::Wait => "authorization",
            Class::Permanent => "permanent",
        };
        if class == Class::Retry {
            self.circuit.failure(now());
        }
        self.health.last_failure = Some((now(), name, crate::ffi::result::code_of(e), e.to_string()));
    }

    /// Sends what waits in the outbox, oldest first, within `budget`:
    /// respects each entry's backoff, Retry-After, the quota pause and the
    /// circuit breaker; parks what Google refuses for good. Returns how
    /// many were sent and how many still wait.
    pub fn sync(&mut self, budget: Duration) -> Result<(usize, usize)> {
        let end = Instant::now() + budget;
        let mut sent = 0;
        if !self.state.pending_revocations.is_empty() && self.online().is_ok() {
            self.flush_revocations();
        }
        let seqs: Vec<u64> = self.outbox.iter().map(|e| e.seq).collect();
        for seq in seqs {
            let now = now();
            if Instant::now() >= end || !self.circuit.allows(now) {
                break;
            }
            if self.state.quota_pause_until.is_some_and(|u| u > now) {
                break;
            }
            let Some(entry) = self.outbox.iter().find(|e| e.seq == seq).cloned() else { continue };
            if entry.next_attempt_at > now {
                continue;
            }
            // No request outlives the budget (nor the whole call).
            self.call_deadline = Some(self.call_deadline.map_or(end, |d| d.min(end)));
            if let Some(h) = &self.http {
                h.begin_call(self.call_deadline);
            }
            let result = match &entry.op {
                Op::Push(m) => self.prepare(m).and_then(|p| self.push(&p, m)).map(|_| ()),
                Op::Cancel { time_zone } => self.cancel(&entry.meeting_id, entry.occurrence.as_deref(), time_zone.as_deref()),
            };
            match result {
                Ok(()) => {
                    log_at!(self.log, Info, "sync: {} {}: sent, {} s after it was queued", entry.op.name(), entry.meeting_id,
                        (now - entry.enqueued_at).max(0));
                    self.note_success();
                    self.journal_apply(&[outbox::Change::Del(seq)])?;
                    sent += 1;
                }
                Err(e) => {
                    let class = outbox::classify(&e);
                    self.note_failure(&e, class);
                    if class == Class::Permanent {
                        log_at!(self.log, Error, "sync: {} {}: parked, Google refuses it for good: {e}", entry.op.name(), entry.meeting_id);
                        self.park(&entry, &e)?;
                        self.journal_apply(&[outbox::Change::Del(seq)])?;
                        continue;
                    }
                    if class == Class::Quota {
                        let mut next = self.state.clone();
                        next.quota_pause_until = Some(now + outbox::QUOTA_PAUSE);
                        self.commit(next)?;
                    }
                    let mut e2 = (*entry).clone();
                    e2.attempts += 1;
                    e2.next_attempt_at = now + self.delay_for(&e, e2.attempts);
                    e2.maybe_sent |= matches!(e, Error::Timeout(_) | Error::NetworkIo(_) | Error::ApiServerError(_));
                    e2.last_error = Some((crate::ffi::result::code_of(&e), e.to_string()));
                    log_at!(self.log, Warn, "sync: {} {}: attempt {} failed, next in {} s: {e}", entry.op.name(),
                        entry.meeting_id, e2.attempts, e2.next_attempt_at - now);
                    self.journal_apply(&[outbox::Change::Put(e2)])?;
                    // Authorization, quota and rate limits hold for every
                    // entry: stop rather than fail each one.
                    if class != Class::Retry {
                        break;
                    }
                }
            }
        }
        self.save_pushed()?;
        Ok((sent, self.outbox.len()))
    }

    fn park(&mut self, entry: &Entry, e: &Error) -> Result<()> {
        let mut next = self.state.clone();
        next.parked.push(Parked {
            meeting_id: entry.meeting_id.clone(),
            occurrence: entry.occurrence.clone(),
            op: entry.op.name().into(),
            code: crate::ffi::result::code_of(e),
            message: e.to_string(),
            at: now(),
        });
        let excess = next.parked.len().saturating_sub(20);
        next.parked.drain(..excess);
        self.commit(next)
    }

    /// The status as of now (without last_error, which the handle keeps):
    /// plain data, made JSON only when asked (`Snapshot::to_json`).
    pub fn status_doc(&self) -> crate::status::Snapshot {
        let now = now();
        let mut s = crate::status::Snapshot::capture(self.phase(), &self.state, &self.config, self.access_expires_in(), now);
        s.health = Some(crate::status::Health {
            outbox_depth: self.outbox.len(),
            oldest_enqueued_at: self.outbox.iter().map(|e| e.enqueued_at).min(),
            next_attempt_at: self.outbox.iter().map(|e| e.next_attempt_at).min(),
            last_success_at: self.health.last_success_at,
            last_failure: self.health.last_failure.clone(),
            circuit: self.circuit.state(now),
            circuit_open_until: self.circuit.open_until,
            quota_pause_until: self.state.quota_pause_until,
            parked: self.state.parked.clone(),
        });
        s
    }

    /// Sets the whole-call deadline of the HTTP agent (see "call_timeout_ms").
    pub fn begin_call(&mut self) {
        self.call_deadline = Some(Instant::now() + Duration::from_millis(self.config.call_timeout_ms.into()));
        if let Some(h) = &self.http {
            h.begin_call(self.call_deadline);
        }
    }

    pub fn end_call(&mut self) {
        self.call_deadline = None;
        if let Some(h) = &self.http {
            h.end_call();
        }
    }

    /// Events of one calendar in a window, recurring ones expanded, all
    /// pages followed within the read side's bound (`MAX_READ_BYTES` of
    /// answers, `MAX_PAGES` pages), as the PBX's JSON; beyond the bound the
    /// answer says `"truncated": true` and holds the events read so far.
    pub fn list_events(&mut self, calendar_id: Option<&str>, time_min: &str, time_max: &str) -> Result<Value> {
        for (field, v) in [("time_min", time_min), ("time_max", time_max)] {
            if events::parse_rfc3339(v).is_none() {
                return Err(Error::InvalidTime(format!(
                    "{field}: \"{}\" is not an RFC 3339 time with offset, like 2024-05-06T00:00:00+02:00",
                    oauth::printable(v)
                )));
            }
        }
        let cal = calendar_id.unwrap_or(&self.config.calendar_id).to_owned();
        let base = [("singleEvents", "true"), ("orderBy", "startTime"), ("maxResults", "250"), ("timeMin", time_min), ("timeMax", time_max)];
        let mut events: Vec<Value> = Vec::new();
        let listing = self
            .list_pages(&cal, &base, None, &mut |c, page| {
                let day_start = c.day_start(page.time_zone.as_deref());
                events.extend(
                    page.items
                        .iter()
                        .filter_map(|v| events::parse_event(v, &day_start))
                        .filter(|e| e.status != "cancelled")
                        .map(|e| events::to_pbx_json(&e)),
                );
            })?
            .ok_or_else(|| Error::ApiBadResponse("Google answered 410 to a listing without sync token".into()))?;
        let mut out = json!({"calendar": cal, "time_zone": listing.time_zone, "events": events});
        if listing.truncated {
            out["truncated"] = Value::Bool(true);
        }
        Ok(out)
    }

    /// Follows the pages of a listing, handing each to `on_page` as it
    /// arrives (so memory holds one page, not all): returns the calendar's
    /// zone and next sync token; None on 410 (the sync token is gone). Stops
    /// early, `truncated`, once `MAX_READ_BYTES` of answers or `MAX_PAGES`
    /// pages were read in this call.
    fn list_pages(&mut self, cal: &str, base: &[(&str, &str)], sync_token: Option<&str>,
        on_page: &mut dyn FnMut(&Self, &calendar::Page)) -> Result<Option<Listing>> {
        let mut page_token: Option<String> = None;
        let mut bytes = 0usize;
        let mut time_zone = None;
        for _ in 0..MAX_PAGES {
            let mut q: Vec<(&str, &str)> = base.to_vec();
            if let Some(t) = sync_token {
                q.push(("syncToken", t));
            }
            if let Some(p) = &page_token {
                q.push(("pageToken", p));
            }
            let listed = self.with_token(|c, token| {
                calendar::list_events(c.http()?, &c.config.calendar_api_base, cal, token, &q)
            })?;
            let page = match listed {
                calendar::Listed::Page(p) => p,
                calendar::Listed::SyncTokenGone => return Ok(None),
            };
            on_page(self, &page);
            bytes = bytes.saturating_add(page.bytes);
            time_zone = page.time_zone.clone().or(time_zone);
            match page.next_page {
                None => return Ok(Some(Listing { time_zone, next_sync: page.next_sync, truncated: false })),
                Some(_) if bytes >= MAX_READ_BYTES => break,
                Some(next) => page_token = Some(next),
            }
        }
        log_at!(self.log, Warn, "calendar {cal}: listing stopped at the read bound ({MAX_PAGES} pages or {MAX_READ_BYTES} bytes)");
        Ok(Some(Listing { time_zone, next_sync: None, truncated: true }))
    }

    /// UTC instant of a date's midnight in a calendar's zone (UTC when the
    /// zone's rules are unknown), for all-day events.
    fn day_start(&self, tz: Option<&str>) -> impl Fn(time::Date) -> i64 {
        let zone = tz.and_then(|t| self.zone(t).ok().flatten());
        move |d: time::Date| match &zone {
            Some(z) => z.to_utc("date", d.midnight()).map(|t| t.unix_timestamp()).unwrap_or_else(|_| d.midnight().assume_utc().unix_timestamp()),
            None => d.midnight().assume_utc().unix_timestamp(),
        }
    }

    fn cache(&mut self) -> &mut Cache {
        if self.cache.is_none() {
            self.cache = Some(self.store.load_cache());
        }
        self.cache.get_or_insert_with(Cache::default)
    }

    /// Brings the cache of every calendar in `read_calendars` up to date:
    /// a full sync (upcoming events) the first time, then only changes via
    /// the sync token — one request when nothing changed; on Google's 410
    /// a full resync that also drops what no longer exists. Reports what
    /// changed and the drift of pushed meetings (edited or deleted in
    /// Google); drift stays in the report until `ack_drift`.
    pub fn sync_events(&mut self) -> Result<Value> {
        let cals = self.config.read_calendars.clone();
        let mut reports = Vec::new();
        let mut drift: Vec<Found> = Vec::new();
        let mut cache = self.cache().clone();
        let mut dirty = false;
        for cal in &cals {
            let cc = cache.calendars.entry(cal.clone()).or_default();
            let since = now() - 86_400;
            let time_min = crate::status::rfc3339(since).unwrap_or_default();
            let base_full = [("singleEvents", "true"), ("maxResults", "250"), ("timeMin", time_min.as_str())];
            let base_incr = [("singleEvents", "true"), ("maxResults", "250")];
            let mut full = cc.sync_token.is_none();
            let token = cc.sync_token.clone();
            let mut parsed: Vec<CachedEvent> = Vec::new();
            let mut skipped = 0usize;
            let mut listed = if full {
                None
            } else {
                self.list_pages(cal, &base_incr, token.as_deref(), &mut |c, p| take_page(c, p, &mut parsed, &mut skipped))?
            };
            if listed.is_none() {
                full = true;
                parsed.clear();
                skipped = 0;
                listed = self.list_pages(cal, &base_full, None, &mut |c, p| take_page(c, p, &mut parsed, &mut skipped))?;
            }
            let Listing { time_zone: tz, next_sync, truncated } = listed.ok_or_else(|| {
                Error::ApiBadResponse(format!("calendar {cal}: 410 on a full sync"))
            })?;
            let items_len = parsed.len() + skipped;
            let mut removed: Vec<CachedEvent> = Vec::new();
            if full && truncated {
                // Only part of the calendar was read: what is missing is
                // unknown, not deleted. Merged; the next sync starts over.
                for e in parsed.iter().filter(|e| e.status != "cancelled") {
                    cc.events.insert(e.id.clone(), e.clone());
                }
            } else if full {
                let fresh: std::collections::BTreeMap<String, CachedEvent> = parsed
                    .iter()
                    .filter(|e| e.status != "cancelled")
                    .map(|e| (e.id.clone(), e.clone()))
                    .collect();
                // Gone from a full listing: deleted, unless it merely ended
                // before the window (then it is just dropped).
                removed = cc
                    .events
                    .iter()
                    .filter(|(k, e)| !fresh.contains_key(*k) && e.end_utc > since)
                    .map(|(_, e)| e.clone())
                    .collect();
                cc.events = fresh;
            } else {
                for e in &parsed {
                    if e.status == "cancelled" {
                        if let Some(old) = cc.events.remove(&e.id) {
                            removed.push(old);
                        }
                    } else {
                        cc.events.insert(e.id.clone(), e.clone());
                    }
                }
            }
            // Nothing changed: the old token stays valid, and the PBX's flash
            // is not rewritten on every poll.
            if truncated {
                // The token is kept (or stays absent): the next sync reads
                // from the same point again, and nothing is lost.
                cc.time_zone = tz.or(cc.time_zone.take());
                dirty = true;
            } else if full || items_len > 0 {
                cc.sync_token = next_sync;
                cc.time_zone = tz;
                dirty = true;
            }
            let still = |series: &str| {
                cc.events.values().any(|e| e.id == series || e.recurring_event_id.as_deref() == Some(series))
            };
            // An incremental sync reports deletions itself (in `parsed`).
            let gone: &[CachedEvent] = if full && !truncated { &removed } else { &[] };
            drift.extend(self.drift_of(&parsed, gone, &still));
            reports.push(json!({
                "calendar": cal,
                "full_sync": full,
                "changed": parsed.len(),
                "removed": removed.len(),
                "skipped": skipped,
                "truncated": truncated,
            }));
        }
        // Acknowledge what was found, so each change is reported once.
        if !drift.is_empty() {
            let mut next = self.state.clone();
            for d in &drift {
                if d.drift.change == "deleted" {
                    next.pushed.remove(&d.drift.meeting_id);
                } else if let Some(p) = next.pushed.get_mut(&d.drift.meeting_id) {
                    p.written_ms = p.written_ms.max(d.seen_ms);
                }
            }
            self.commit(next)?;
        }
        let drift: Vec<Drift> = drift.into_iter().map(|d| d.drift).collect();
        dirty |= !drift.is_empty();
        cache.undelivered.extend(drift);
        if dirty {
            self.store.save_cache(&cache)?;
        }
        self.save_pushed()?;
        let report = json!({"calendars": reports, "drift": cache.undelivered});
        self.cache = Some(cache);
        Ok(report)
    }

    /// Pushed meetings whose event (or an occurrence of it) Google reports
    /// as changed after our last write, or gone. `removed` are cache entries
    /// a full resync no longer found; `still` says whether a series id has
    /// occurrences left.
    fn drift_of(&self, changed: &[CachedEvent], removed: &[CachedEvent], still: &dyn Fn(&str) -> bool) -> Vec<Found> {
        let by_event: std::collections::HashMap<&str, (&String, &Pushed)> =
            self.state.pushed.iter().map(|(m, p)| (p.event_id.as_str(), (m, p))).collect();
        let mut out: Vec<Found> = Vec::new();
        let mut add = |meeting: &str, event_id: &str, change: &str, seen_ms: i64| {
            match out.iter_mut().find(|f| f.drift.meeting_id == meeting) {
                Some(f) => {
                    if change == "deleted" {
                        f.drift.change = "deleted".into();
                    }
                    f.seen_ms = f.seen_ms.max(seen_ms);
                }
                None => out.push(Found {
                    drift: Drift { meeting_id: meeting.into(), event_id: event_id.into(), change: change.into() },
                    seen_ms,
                }),
            }
        };
        let series_of = |e: &CachedEvent| e.recurring_event_id.clone().unwrap_or_else(|| e.id.clone());
        for e in changed {
            let series = series_of(e);
            let Some((meeting, p)) = by_event.get(series.as_str()) else { continue };
            let later = e.updated_ms.is_some_and(|u| u > p.written_ms);
            let master_gone = e.id == series && e.status == "cancelled";
            if master_gone {
                add(meeting, &series, "deleted", e.updated_ms.unwrap_or(0));
            } else if later {
                add(meeting, &series, "modified", e.updated_ms.unwrap_or(0));
            }
        }
        for e in removed {
            let series = series_of(e);
            if let Some((meeting, _)) = by_event.get(series.as_str()) {
                let change = if still(&series) { "modified" } else { "deleted" };
                add(meeting, &series, change, 0);
            }
        }
        out
    }

    /// The firmware has the drift report: forget it.
    pub fn ack_drift(&mut self) -> Result<()> {
        let cache = self.cache();
        if cache.undelivered.is_empty() {
            return Ok(());
        }
        cache.undelivered.clear();
        let snapshot = cache.clone();
        self.store.save_cache(&snapshot)
    }

    /// Presence from the cache (no network): busy at `t` (unix seconds)?
    pub fn busy_at(&mut self, calendar_id: Option<&str>, t: i64) -> Result<Busy> {
        let cal = calendar_id.unwrap_or("primary").to_owned();
        let cache = self.cache();
        let cc = cache.calendars.get(&cal).filter(|c| c.sync_token.is_some()).ok_or_else(|| {
            Error::NotSynced(format!(
                "calendar {cal} has not been synced: add it to read_calendars and call gs_gcal_sync_events"
            ))
        })?;
        Ok(events::busy_at(cc.events.values(), t))
    }

    /// The calendars the account can see (calendarList), all pages.
    pub fn list_calendars(&mut self) -> Result<Value> {
        let mut out = Vec::new();
        let mut page_token: Option<String> = None;
        let mut bytes = 0usize;
        for _ in 0..MAX_PAGES {
            let pt = page_token.clone();
            let page = self.with_token(|c, token| {
                calendar::calendar_list(c.http()?, &c.config.calendar_api_base, token, pt.as_deref())
            })?;
            for v in &page.items {
                if let Some(id) = v["id"].as_str() {
                    out.push(json!({
                        "id": id,
                        "summary": v["summaryOverride"].as_str().or(v["summary"].as_str()),
                        "primary": v["primary"].as_bool().unwrap_or(false),
                        "access_role": v["accessRole"].as_str(),
                        "time_zone": v["timeZone"].as_str(),
                    }));
                }
            }
            bytes = bytes.saturating_add(page.bytes);
            match page.next_page {
                Some(_) if bytes >= MAX_READ_BYTES => break,
                Some(n) => page_token = Some(n),
                None => return Ok(Value::Array(out)),
            }
        }
        Err(Error::ResponseTooLarge(format!(
            "calendarList: more than {MAX_PAGES} pages or {MAX_READ_BYTES} bytes; the list was not returned"
        )))
    }

    /// Runs an API call with a valid access token: refreshed first when it
    /// is about to expire, and once more (with one retry) on a 401.
    fn with_token<T>(&mut self, call: impl Fn(&Self, &str) -> Result<T>) -> Result<T> {
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

    /// Seconds the access token has left: by the monotonic clock when it was
    /// obtained in this process, else by the persisted absolute expiry.
    fn access_remaining(&self, tokens: &Tokens) -> i64 {
        match self.access_deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).as_secs() as i64,
            None => tokens.access_expires_at - now(),
        }
    }

    fn fresh_token(&mut self, force: bool) -> Result<Secret> {
        if let Some(why) = &self.state.reauth_required {
            return Err(Error::ReauthRequired(why.clone()));
        }
        let tokens = self.state.tokens.clone().ok_or(Error::NotAuthorized)?;
        if !force && self.access_remaining(&tokens) > REFRESH_MARGIN_SECS {
            return Ok(tokens.access_token);
        }
        let client = self.state.client.clone().ok_or(Error::NotConfigured)?;
        let form = WipedString(oauth::refresh_form(&client.client_id, client.client_secret.expose(), tokens.refresh_token.expose()));
        let reply = self.http()?.post_form(&self.config.token_endpoint, &form.0)?;
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
            scope: if t.scope.is_empty() { tokens.scope } else { t.scope },
            refreshed_at: Some(now()),
            ..tokens
        });
        self.commit(next)?;
        self.access_deadline = Some(Instant::now() + Duration::from_secs(t.expires_in as u64));
        log_at!(self.log, Info, "access token refreshed, valid {} s", t.expires_in);
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

    /// Persists first, then adopts: memory never runs ahead of disk (but
    /// for the advisory pushed-meeting records, see `note_write`).
    fn commit(&mut self, next: State) -> Result<()> {
        self.store.save(&next)?;
        self.state = next;
        self.pushed_dirty = false;
        Ok(())
    }

    /// Before any request: a sane clock, and the agent built.
    fn online(&mut self) -> Result<()> {
        if let Err(e) = http::check_clock(now()) {
            log_at!(self.log, Error, "not calling Google: {e}");
            return Err(e);
        }
        if self.http.is_none() {
            let pem = self.config.ca_file.as_deref().map(crate::store::read_ca_file).transpose()?;
            let mut h = Http::new(&self.config, pem.as_deref())?;
            h.begin_call(self.call_deadline);
            h.log = self.log.clone();
            self.http = Some(h);
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
fn queue_revocation(state: &mut State, refresh_token: Secret) {
    if !state.pending_revocations.iter().any(|r| r.refresh_token == refresh_token) {
        let account = state.account.clone();
        state.pending_revocations.push(Revocation { refresh_token, account });
    }
    let excess = state.pending_revocations.len().saturating_sub(MAX_PENDING_REVOCATIONS);
    state.pending_revocations.drain(..excess);
}

/// What `set_client` (and an imported backup) must satisfy.
fn check_client(client_id: &str, secret: &str, redirect_uri: &str) -> Result<()> {
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
    Ok(())
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
    // Google's redirect URI validation rules (OAuth web-server guide):
    // refused at set time with the rule, not later by Google's error page.
    let bad = |why: &str| Err(Error::InvalidArgument(format!("redirect_uri: {why}")));
    if uri.contains('#') {
        return bad("Google does not allow a fragment (#...)");
    }
    if uri.contains('*') {
        return bad("Google does not allow wildcards (*)");
    }
    if uri.contains("/..") || uri.contains("\\..") {
        return bad("Google does not allow path traversal (/..)");
    }
    let parsed: ureq::http::Uri = uri.parse().map_err(|_| Error::InvalidArgument("redirect_uri is not a URL".into()))?;
    let (Some(scheme), Some(host)) = (parsed.scheme_str(), parsed.host()) else {
        return bad("must be an http(s) URL");
    };
    if parsed.authority().is_some_and(|a| a.as_str().contains('@')) {
        return bad("Google does not allow user information (user@host)");
    }
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match scheme {
        "https" => {}
        "http" if loopback => {}
        "http" => return bad("Google requires https, except for localhost / 127.0.0.1"),
        _ => return bad("must be an http(s) URL"),
    }
    if !loopback && host.parse::<std::net::IpAddr>().is_ok() {
        return bad(
            "Google does not allow an IP address other than 127.0.0.1: use a public DNS name of \
             the PBX, or http://127.0.0.1:PORT/... and paste the whole address-bar URL",
        );
    }
    if !loopback && (!host.contains('.') || [".local", ".lan", ".home", ".internal", ".localdomain"].iter().any(|s| host.ends_with(s))) {
        return bad("Google accepts only host names under a public top-level domain (not .local or a bare name)");
    }
    Ok(())
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Parses one page of a sync's listing into cache entries as it arrives.
fn take_page(c: &Client, page: &calendar::Page, parsed: &mut Vec<CachedEvent>, skipped: &mut usize) {
    let day_start = c.day_start(page.time_zone.as_deref());
    let before = parsed.len();
    parsed.extend(page.items.iter().filter_map(|v| events::parse_event(v, &day_start)));
    *skipped += page.items.len() - (parsed.len() - before);
}

/// How a listing ended (see `list_pages`).
struct Listing {
    time_zone: Option<String>,
    next_sync: Option<String>,
    /// The read bound was reached before the last page.
    truncated: bool,
}

/// Drift found by a sync, with the latest Google time seen for it.
struct Found {
    drift: Drift,
    seen_ms: i64,
}

impl Drop for Client {
    /// Saves what `note_write` kept in memory (best effort: closing must
    /// not fail).
    fn drop(&mut self) {
        let _ = self.save_pushed();
    }
}

#[cfg(test)]
mod tests {
    use super::check_redirect_uri;

    #[test]
    fn redirect_uris_follow_googles_rules() {
        for ok in [
            "https://pbx.example.com/gcal/oauth2callback",
            "https://pbx.example.com:8443/cb?x=1",
            "http://127.0.0.1:8765/oauth2callback",
            "http://localhost/cb",
            "http://[::1]:9000/cb",
        ] {
            assert!(check_redirect_uri(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("urn:ietf:wg:oauth:2.0:oob", "out-of-band"),
            ("http://pbx.example.com/cb", "https"),
            ("https://192.168.1.10/cb", "IP address"),
            ("https://pbx.local/cb", "public top-level"),
            ("https://pbx/cb", "public top-level"),
            ("https://pbx.example.com/cb#x", "fragment"),
            ("https://*.example.com/cb", "wildcards"),
            ("https://admin@pbx.example.com/cb", "user information"),
            ("https://pbx.example.com/a/../cb", "traversal"),
            ("ftp://pbx.example.com/cb", "http(s)"),
            ("not a url", "URL"),
        ] {
            let e = check_redirect_uri(bad).expect_err(bad).to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
