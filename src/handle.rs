//! The handle: what every capability shares — configuration, the state and
//! its durable commit, the store (and its lock), the HTTP agent, the clock
//! origin, the time zone rules, logging and health — and the rooms' own
//! parts (`auth`, `writer`, `reader`). The capabilities are `impl Handle`
//! blocks in their rooms; this file holds only what they all use.

use crate::clock::now;
use crate::options::{Config, Effect};
use crate::oauth;
use crate::outbox;
use crate::state::Cache;
use crate::errors::{Class, Error, Result};
use crate::http::{self, Http};
use crate::log::{log_at, Log, Sink};
use crate::meeting::zone::Zone;
use crate::meeting::{self};
use crate::state::{Phase, State, Tokens};
use crate::store::{zoneinfo, Store};
use ring::rand::{SecureRandom, SystemRandom};
use std::path::Path;
use std::time::{Duration, Instant};

/// Damaged-file notices kept for the status page.
pub(crate) const MAX_SET_ASIDE: usize = 8;

pub struct Handle {
    pub(crate) config: Config,
    pub(crate) store: Store,
    pub(crate) state: State,
    /// Built on first use and after TLS or timeout options change.
    pub(crate) http: Option<Http>,
    pub(crate) rng: SystemRandom,
    /// Origin of the monotonic millisecond times handed to pure code.
    pub(crate) epoch: Instant,
    /// The end of the current C call, applied to every request.
    pub(crate) call_deadline: Option<Instant>,
    /// Time zone rules read so far, by name (None: no zoneinfo for it).
    /// (A few entries, searched in order: no hash table code for them.)
    pub(crate) zones: std::cell::RefCell<Vec<(String, Option<Zone>)>>,
    /// Health for the status page (this process's view).
    pub(crate) health: Health,
    pub(crate) log: Log,
    /// The authorization's times (monotonic), see `oauth::Session`.
    pub(crate) auth: oauth::Session,
    /// The write side's queue and circuit breaker.
    pub(crate) writer: outbox::Queue,
    /// The read side's cache, loaded on first use.
    pub(crate) cache: Option<Cache>,
    /// `state.pushed` has records not saved yet (see `writer::note_write`).
    pub(crate) pushed_dirty: bool,
    /// Workspace mode: access tokens per impersonated user (memory only)
    /// and the parsed signing key.
    pub(crate) workspace: oauth::jwt::TokenCache,
    pub(crate) signer: Option<std::sync::Arc<ring::signature::RsaKeyPair>>,
    /// The presence table (not persisted), behind its own lock: shared with
    /// the C handle so that reading it never waits for a network call.
    pub(crate) presence: std::sync::Arc<std::sync::Mutex<crate::presence::Directory>>,
}

/// What the status page shows of the connection to Google.
#[derive(Debug, Clone, Default)]
pub(crate) struct Health {
    pub last_success_at: Option<i64>,
    /// When, class, code and text of the last failure.
    pub last_failure: Option<(i64, &'static str, i32, String)>,
}

impl Handle {
    pub fn open(dir: &Path) -> Result<Handle> {
        let (mut store, mut state) = Store::open(dir, now())?;
        let loaded = store.load_outbox(now())?;
        if let Some(note) = loaded.set_aside {
            state.set_aside.push(note);
            let excess = state.set_aside.len().saturating_sub(MAX_SET_ASIDE);
            state.set_aside.drain(..excess);
            store.save(&state)?;
        }
        let outbox = loaded.entries;
        let client = Handle {
            config: Config::default(),
            store,
            state,
            http: None,
            rng: SystemRandom::new(),
            epoch: Instant::now(),
            call_deadline: None,
            zones: Default::default(),
            health: Health::default(),
            log: Log::default(),
            auth: Default::default(),
            writer: outbox::Queue {
                outbox: outbox.into_iter().map(Box::new).collect(),
                next_seq: loaded.next_seq,
                ..Default::default()
            },
            cache: None,
            pushed_dirty: false,
            workspace: Default::default(),
            signer: None,
            presence: Default::default(),
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

    /// The rules of a time zone: from the system's zoneinfo, or computed
    /// for `Etc/GMT±N`/`UTC`; None when the PBX has no zoneinfo (then only
    /// the name's shape is checked and Google judges the rest).
    pub(crate) fn zone(&self, name: &str) -> Result<Option<Zone>> {
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

    /// Takes the status as of now into `s` (without last_error, which the
    /// handle keeps): plain data, made JSON only when asked
    /// (`Snapshot::to_json`). In place: this runs after every call.
    pub fn refresh_status(&self, s: &mut crate::status::Snapshot) {
        let now = now();
        s.refresh(self.phase(), &self.state, &self.config, self.access_expires_in(), now);
        // One pass: this runs after every call, with up to 1000 queued.
        let (mut oldest, mut next) = (i64::MAX, i64::MAX);
        for e in &self.writer.outbox {
            oldest = oldest.min(e.enqueued_at);
            next = next.min(e.next_attempt_at);
        }
        let queued = |t| Some(t).filter(|_| !self.writer.outbox.is_empty());
        let h = s.health.get_or_insert_with(Default::default);
        h.outbox_depth = self.writer.outbox.len();
        h.oldest_enqueued_at = queued(oldest);
        h.next_attempt_at = queued(next);
        h.last_success_at = self.health.last_success_at;
        h.last_failure.clone_from(&self.health.last_failure);
        h.circuit = self.writer.circuit.state(now);
        h.circuit_open_until = self.writer.circuit.open_until;
        h.quota_pause_until = self.state.quota_pause_until;
        h.parked.clone_from(&self.state.parked);
        s.workspace = self.state.service_account.as_ref().map(|a| crate::status::Workspace {
            service_account: a.client_email.clone(),
            client_id: a.client_id.clone(),
            project_id: a.project_id.clone(),
            default_subject: a.default_subject.clone(),
            delegation_scopes: oauth::jwt::grant_scopes(&self.config.scopes).join(","),
            cached_tokens: self.workspace.len(),
            token_failures: self.workspace.failures.clone(),
        });
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

    pub fn phase(&self) -> Phase {
        if self.state.service_account.is_some() {
            // Workspace mode needs no consent: configured is authorized.
            return Phase::Authorized;
        }
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

    /// Persists first, then adopts: memory never runs ahead of disk (but
    /// for the advisory pushed-meeting records, see `note_write`).
    pub(crate) fn commit(&mut self, next: State) -> Result<()> {
        self.store.save(&next)?;
        self.state = next;
        self.pushed_dirty = false;
        Ok(())
    }

    /// Before any request: a sane clock, and the agent built.
    pub(crate) fn online(&mut self) -> Result<()> {
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

    pub(crate) fn http(&self) -> Result<&Http> {
        self.http.as_ref().ok_or_else(|| Error::Internal("HTTP agent missing".into()))
    }

    pub(crate) fn random(&self, buf: &mut [u8]) -> Result<()> {
        self.rng.fill(buf).map_err(|_| Error::Internal("the system random generator failed".into()))
    }

    /// Any random number (backoff jitter); 0 if the generator fails.
    pub(crate) fn random_u64(&self) -> u64 {
        let mut b = [0u8; 8];
        self.rng.fill(&mut b).map(|_| u64::from_le_bytes(b)).unwrap_or(0)
    }

    pub(crate) fn millis(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.epoch).as_millis() as u64
    }

    /// Seconds the access token has left: by the monotonic clock when it was
    /// obtained in this process, else by the persisted absolute expiry.
    pub(crate) fn access_remaining(&self, tokens: &Tokens) -> i64 {
        match self.auth.access_deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).as_secs() as i64,
            None => tokens.access_expires_at - now(),
        }
    }

    /// Seconds the access token has left, for the status page.
    pub fn access_expires_in(&self) -> Option<i64> {
        self.state.tokens.as_ref().map(|t| self.access_remaining(t).max(0))
    }

    /// Saves pushed-meeting records noted since the last state write.
    pub fn save_pushed(&mut self) -> Result<()> {
        if self.pushed_dirty {
            // `pushed` is already changed in memory: saved as it is, not
            // cloned (a clone copies, then wipes, every secret).
            self.store.save(&self.state)?;
            self.pushed_dirty = false;
        }
        Ok(())
    }

    // Every call that reaches Google feeds the shared health and circuit
    // breaker (the writer, the reader, presence).
    pub(crate) fn note_success(&mut self) {
        self.writer.circuit.success();
        self.health.last_success_at = Some(now());
    }

    pub(crate) fn note_failure(&mut self, e: &Error, class: Class) {
        if class == Class::Retry {
            self.writer.circuit.failure(now());
        }
        self.health.last_failure = Some((now(), class.name(), e.code(), e.to_string()));
    }
}

