//! Everything the fake Google remembers, behind one Mutex.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::{json, Value};

pub const DEFAULT_CLIENT_ID: &str = "1018-gsgcal-emulator.apps.googleusercontent.com";
pub const DEFAULT_CLIENT_SECRET: &str = "GOCSPX-emulator-s3cret";
pub const DEFAULT_REDIRECT_URIS: [&str; 2] = [
    "https://pbx.mycompanyabc.com/gcal/oauth2callback",
    "http://127.0.0.1:8765/oauth2callback",
];
/// The "TVs and Limited Input devices" client: device flow only, no redirect URIs.
pub const DEVICE_CLIENT_ID: &str = "1018-gsgcal-device.apps.googleusercontent.com";
pub const DEVICE_CLIENT_SECRET: &str = "GOCSPX-emulator-dev1ce";
pub const DEFAULT_ACCOUNT: &str = "arthur.morgan@mycompanyabc.com";
pub const DEFAULT_SUB: &str = "109876543210987654321";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// "Web application": authorization-code flow only.
    Web,
    /// "TVs and Limited Input devices": device flow only.
    Device,
}

pub struct Client {
    pub id: String,
    pub secret: String,
    pub redirect_uris: Vec<String>,
    pub kind: ClientKind,
    /// Set by /control/delete_client (Google keeps deleted clients restorable for 30 days).
    pub deleted: bool,
}

pub struct User {
    pub email: String,
    pub sub: String,
}

pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    /// (challenge, method) where method is "S256" or "plain".
    pub pkce: Option<(String, String)>,
    pub user: String,
    pub offline: bool,
    pub created: i64,
    pub used: bool,
}

/// One user consent to one client: every token issued from it lives and dies with it.
pub struct Grant {
    pub client_id: String,
    pub user: String,
    pub scopes: Vec<String>,
    /// Time of consent (emulator clock).
    pub created: i64,
    /// Testing-mode consents die 7 days after consent.
    pub expires_at: Option<i64>,
    pub revoked: bool,
    /// SHA-256 (hex) of the newest refresh token; None for online grants.
    pub refresh_token_sha256: Option<String>,
}

impl Grant {
    pub fn live(&self, now: i64) -> bool {
        !self.revoked && self.expires_at.is_none_or(|e| now < e)
    }
}

pub struct AccessToken {
    pub client_id: String,
    pub user: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
    /// Index into `State::grants`.
    pub grant: usize,
}

pub struct RefreshToken {
    pub client_id: String,
    /// Index into `State::grants`.
    pub grant: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DeviceStatus {
    Pending,
    Allowed,
    Denied,
    /// The user tried to allow but a Workspace admin policy blocked it.
    Blocked,
    /// Tokens were issued; the code is spent.
    Used,
}

pub struct DeviceCode {
    pub client_id: String,
    pub user_code: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
    /// Required seconds between polls; grows by 5 on every slow_down.
    pub interval: i64,
    pub last_poll: Option<i64>,
    pub status: DeviceStatus,
    /// Time the user allowed (emulator clock).
    pub consented_at: i64,
}

/// Failure modes a test can switch on; all off after start and after reset.
#[derive(Default)]
pub struct Toggles {
    /// Device-flow poll interval (seconds) announced in new device codes,
    /// and the one enforced with slow_down; None = Google's 5 s for both.
    /// Lets tests poll without waiting, or provoke slow_down at will.
    pub device_interval: Option<(i64, i64)>,
    pub testing_mode: bool,
    pub require_rapt: bool,
    pub admin_policy: bool,
    pub refresh_returns_refresh_token: bool,
    pub device_strict_scopes: bool,
    /// PUT/PATCH of a cancelled event → 403 forbidden (the user deleted it in the UI).
    pub refuse_restore: bool,
    /// The Calendar API is not enabled in the client's project: every
    /// Calendar request → 403 accessNotConfigured.
    pub api_disabled: bool,
    /// Not Google (which takes both): a token endpoint that takes client
    /// credentials only by HTTP Basic, as an RFC 6749 server may (§2.3.1
    /// makes Basic the one every server must take); form credentials →
    /// 401 invalid_client; /revoke and /device/code then want Basic too,
    /// as RFC 7009 and RFC 8628 servers may (/control/basic_auth_only).
    pub basic_auth_only: bool,
    /// Calendar API requests still to be processed but answered by closing the connection.
    pub drop_responses: u64,
    /// events.list answers `pages` pages (page tokens "huge-N"), each with
    /// one extra event whose description pads it to `pad_bytes` (0 = off):
    /// a calendar too big to hold in memory at once (/control/huge_pages).
    pub huge_pages: (u64, usize),
    pub proxy: ProxyToggles,
    /// Scopes the device endpoint refuses with invalid_scope, on top of
    /// device_strict_scopes (/control/device_refuse_scopes).
    pub device_refused_scopes: Vec<String>,
    /// Time zones events.insert/update/patch refuse with Google's 400
    /// "Invalid time zone definition for start time." (/control/refuse_time_zones).
    pub refused_time_zones: Vec<String>,
}

/// The CONNECT proxy's behaviour (/control/proxy).
#[derive(Default, Clone, Copy)]
pub struct ProxyToggles {
    /// Require `Proxy-Authorization: Basic` with PROXY_USER:PROXY_PASSWORD.
    pub auth: bool,
    /// Answer 502 to every CONNECT.
    pub refuse: bool,
    /// Close each tunnel after relaying the first KiB from the server.
    pub die_mid_tunnel: bool,
}

pub const PROXY_USER: &str = "pbx";
pub const PROXY_PASSWORD: &str = "proxy-s3cret";

/// Google's default reminder on calendars the user can write to.
pub fn default_reminders(access_role: &str) -> Value {
    if matches!(access_role, "owner" | "writer") {
        json!([{"method": "popup", "minutes": 10}])
    } else {
        json!([])
    }
}

pub const SHARED_CALENDAR: &str = "c_shared0123456789@group.calendar.google.com";
pub const ROOM_CALENDAR: &str = "mycompanyabc.com_188abcdef@resource.calendar.google.com";
pub const CALENDAR_TIME_ZONE: &str = "Europe/Berlin";

/// A copy of an event that vanished (a dropped occurrence or a pruned exception),
/// kept so incremental sync can report it as cancelled.
pub struct Tombstone {
    pub seq: u64,
    pub event: Value,
    /// A stored exception (reported without singleEvents too), not just a computed occurrence.
    pub exception: bool,
}

pub struct Calendar {
    pub id: String,
    /// The account whose calendar list holds this calendar.
    pub owner: String,
    pub summary: String,
    pub time_zone: String,
    /// The owner's role: "owner", "writer" or "reader".
    pub access_role: &'static str,
    pub primary: bool,
    pub color_id: &'static str,
    pub background_color: &'static str,
    /// Insertion order is kept so the control dump is stable.
    pub events: Vec<Value>,
    /// Event id → `State::change_seq` of its last change (drives incremental sync).
    pub changed: HashMap<String, u64>,
    pub tombstones: Vec<Tombstone>,
    /// Sync tokens taken before this sequence answer 410 (/control/invalidate_sync_tokens).
    pub tokens_valid_from: u64,
    /// Last change (ms), the list's `updated`.
    pub updated_ms: i64,
}

impl Calendar {
    fn new(id: &str, summary: &str, access_role: &'static str, seq: u64) -> Calendar {
        let (color_id, background_color) = match access_role {
            "owner" => ("14", "#9fe1e7"),
            "writer" => ("9", "#7bd148"),
            _ => ("17", "#9a9cff"),
        };
        Calendar {
            id: id.into(),
            owner: DEFAULT_ACCOUNT.into(),
            summary: summary.into(),
            time_zone: CALENDAR_TIME_ZONE.into(),
            access_role,
            primary: id == DEFAULT_ACCOUNT,
            color_id,
            background_color,
            events: Vec::new(),
            changed: HashMap::new(),
            tombstones: Vec::new(),
            tokens_valid_from: seq,
            updated_ms: crate::clock::now_millis(),
        }
    }

    pub fn writable(&self) -> bool {
        matches!(self.access_role, "owner" | "writer")
    }
}

/// The account's calendars: its primary, a shared team calendar and a room.
fn seed_calendars(seq: u64) -> Vec<Calendar> {
    vec![
        Calendar::new(DEFAULT_ACCOUNT, DEFAULT_ACCOUNT, "owner", seq),
        Calendar::new(SHARED_CALENDAR, "Team", "writer", seq),
        Calendar::new(ROOM_CALENDAR, "Room 6300", "reader", seq),
    ]
}

pub struct State {
    /// e.g. `https://127.0.0.1:P/o/oauth2/v2/auth`, to recognise URLs given to /control/consent.
    pub https_port: u16,
    pub clients: Vec<Client>,
    pub users: Vec<User>,
    pub codes: HashMap<String, AuthCode>,
    pub access_tokens: HashMap<String, AccessToken>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub grants: Vec<Grant>,
    pub device_codes: HashMap<String, DeviceCode>,
    pub toggles: Toggles,
    pub calendars: Vec<Calendar>,
    pub counters: BTreeMap<String, u64>,
    /// Queued faults for the Google port, in the order they were added.
    pub faults: Vec<crate::fault::Fault>,
    /// `events.<method>` → the last sendUpdates value (None = parameter absent).
    pub last_send_updates: BTreeMap<String, Option<String>>,
    /// Every secret ever issued or held, for test runners grepping logs; survives reset.
    pub secrets: Vec<String>,
    /// Global change sequence: every event change, token invalidation and reset
    /// bumps it. Never goes back, so tokens from before a reset stay dead.
    pub change_seq: u64,
    /// Counts issued sync tokens, only to make each token string unique.
    pub tokens_issued: u64,
    /// calendarList sync tokens are valid while this matches (set at each seeding).
    pub list_epoch: u64,
    /// Free/busy errors and groups set by /control/directory.
    pub freebusy: crate::freebusy::Directory,
    last_etag: i64,
    /// Workspace mode: the service account and the delegation table.
    pub workspace: crate::service_account::Workspace,
}

pub type Shared = Arc<Mutex<State>>;

impl State {
    pub fn new(https_port: u16) -> State {
        State {
            https_port,
            clients: vec![
                Client {
                    id: DEFAULT_CLIENT_ID.into(),
                    secret: DEFAULT_CLIENT_SECRET.into(),
                    redirect_uris: DEFAULT_REDIRECT_URIS
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                    kind: ClientKind::Web,
                    deleted: false,
                },
                // The service account's OAuth client (JWT bearer grant only).
                Client {
                    id: crate::service_account::SA_CLIENT_ID.into(),
                    secret: random_token(40),
                    redirect_uris: Vec::new(),
                    kind: ClientKind::Device,
                    deleted: false,
                },
                Client {
                    id: DEVICE_CLIENT_ID.into(),
                    secret: DEVICE_CLIENT_SECRET.into(),
                    redirect_uris: Vec::new(),
                    kind: ClientKind::Device,
                    deleted: false,
                },
            ],
            users: vec![User {
                email: DEFAULT_ACCOUNT.into(),
                sub: DEFAULT_SUB.into(),
            }],
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            grants: Vec::new(),
            device_codes: HashMap::new(),
            toggles: Toggles::default(),
            calendars: seed_calendars(1),
            counters: BTreeMap::new(),
            faults: Vec::new(),
            last_send_updates: BTreeMap::new(),
            secrets: vec![
                DEFAULT_CLIENT_SECRET.into(),
                DEVICE_CLIENT_SECRET.into(),
                PROXY_PASSWORD.into(),
                // The Proxy-Authorization credential as sent on the wire.
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{PROXY_USER}:{PROXY_PASSWORD}")),
            ],
            change_seq: 1,
            tokens_issued: 0,
            list_epoch: 1,
            freebusy: Default::default(),
            last_etag: 0,
            workspace: crate::service_account::Workspace::new(),
        }
    }

    /// Forgets everything issued or stored and restores defaults (toggles, clock,
    /// deleted clients) and re-seeds the calendars empty; keeps clients, users and
    /// the secrets list.
    pub fn reset(&mut self) {
        self.codes.clear();
        self.access_tokens.clear();
        self.refresh_tokens.clear();
        self.grants.clear();
        self.device_codes.clear();
        self.toggles = Toggles::default();
        crate::instances::set_opaque_ids(false);
        for c in &mut self.clients {
            c.deleted = false;
        }
        crate::clock::reset_offset();
        self.change_seq += 1;
        self.calendars = seed_calendars(self.change_seq);
        self.list_epoch = self.change_seq;
        self.counters.clear();
        self.faults.clear();
        self.last_send_updates.clear();
        self.workspace.reset();
        self.freebusy = Default::default();
    }

    /// A Workspace user's own primary calendar (made on first impersonation).
    pub fn ensure_user_calendar(&mut self, email: &str) {
        if self.calendars.iter().any(|c| c.id == email) {
            return;
        }
        let mut c = Calendar::new(email, email, "owner", self.change_seq);
        c.owner = email.into();
        c.primary = true;
        self.calendars.push(c);
    }

    pub fn count(&mut self, what: &str) {
        *self.counters.entry(what.to_string()).or_insert(0) += 1;
    }

    /// Records a change of event `id`: it gets the next sequence number.
    pub fn touch(&mut self, cal_id: &str, id: &str) {
        self.change_seq += 1;
        let seq = self.change_seq;
        if let Some(c) = self.calendars.iter_mut().find(|c| c.id == cal_id) {
            c.changed.insert(id.to_string(), seq);
            c.updated_ms = crate::clock::now_millis();
        }
    }

    /// Makes every sync token issued so far for `cal_id` (None: all calendars) answer 410.
    pub fn invalidate_sync_tokens(&mut self, cal_id: Option<&str>) -> usize {
        self.change_seq += 1;
        let seq = self.change_seq;
        let mut n = 0;
        for c in &mut self.calendars {
            if cal_id.is_none_or(|id| id == c.id) {
                c.tokens_valid_from = seq;
                n += 1;
            }
        }
        n
    }

    /// A colleague's calendar (owned by `id` itself): the test account sees
    /// only its free/busy (see freebusy.rs).
    pub fn add_colleague_calendar(&mut self, id: &str) {
        let mut c = Calendar::new(id, id, "freeBusyReader", self.change_seq);
        c.owner = id.into();
        c.primary = false;
        self.calendars.push(c);
    }

    pub fn calendar(&self, id: &str) -> Option<&Calendar> {
        self.calendars.iter().find(|c| c.id == id)
    }

    pub fn client(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.id == id)
    }

    pub fn remember_secret(&mut self, s: &str) {
        self.secrets.push(s.to_string());
    }

    pub fn user(&self, email: &str) -> Option<&User> {
        self.users.iter().find(|u| u.email == email)
    }

    /// Google's etags look like `"3181159875584000"`; ours only need to change on every write.
    pub fn next_etag(&mut self) -> String {
        let t = crate::clock::now_millis() * 1000;
        self.last_etag = t.max(self.last_etag + 1);
        format!("\"{}\"", self.last_etag)
    }
}

/// A poisoned lock only means some handler panicked; the data is still usable.
pub fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    // SystemRandom only fails if the OS RNG is gone; then nothing we do matters.
    SystemRandom::new()
        .fill(&mut v)
        .expect("OS random number generator");
    v
}

/// `n` random URL-safe characters ([A-Za-z0-9_-]).
pub fn random_token(n: usize) -> String {
    let mut s =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(n * 3 / 4 + 3));
    s.truncate(n);
    s
}
