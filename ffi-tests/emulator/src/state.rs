//! Everything the fake Google remembers, behind one Mutex.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::Value;

pub const DEFAULT_CLIENT_ID: &str = "1018-gsgcal-emulator.apps.googleusercontent.com";
pub const DEFAULT_CLIENT_SECRET: &str = "GOCSPX-emulator-s3cret";
pub const DEFAULT_REDIRECT_URIS: [&str; 2] = [
    "https://pbx.mycompanyabc.com/gcal/oauth2callback",
    "http://127.0.0.1:8765/oauth2callback",
];
pub const DEFAULT_ACCOUNT: &str = "arthur.morgan@mycompanyabc.com";
pub const DEFAULT_SUB: &str = "109876543210987654321";

pub struct Client {
    pub id: String,
    pub secret: String,
    pub redirect_uris: Vec<String>,
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

pub struct AccessToken {
    /// Unused until revoke/introspection exist; kept so tokens stay attributable.
    #[allow(dead_code)]
    pub client_id: String,
    pub user: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

pub struct RefreshToken {
    pub client_id: String,
    pub user: String,
    pub scopes: Vec<String>,
}

pub struct Calendar {
    pub id: String,
    pub owner: String,
    /// Insertion order is kept so the control dump is stable.
    pub events: Vec<Value>,
}

pub struct State {
    /// e.g. `https://127.0.0.1:P/o/oauth2/v2/auth`, to recognise URLs given to /control/consent.
    pub https_port: u16,
    pub clients: Vec<Client>,
    pub users: Vec<User>,
    pub codes: HashMap<String, AuthCode>,
    pub access_tokens: HashMap<String, AccessToken>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub calendars: Vec<Calendar>,
    pub counters: BTreeMap<String, u64>,
    last_etag: i64,
}

pub type Shared = Arc<Mutex<State>>;

impl State {
    pub fn new(https_port: u16) -> State {
        State {
            https_port,
            clients: vec![Client {
                id: DEFAULT_CLIENT_ID.into(),
                secret: DEFAULT_CLIENT_SECRET.into(),
                redirect_uris: DEFAULT_REDIRECT_URIS
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            }],
            users: vec![User {
                email: DEFAULT_ACCOUNT.into(),
                sub: DEFAULT_SUB.into(),
            }],
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            calendars: vec![Calendar {
                id: DEFAULT_ACCOUNT.into(),
                owner: DEFAULT_ACCOUNT.into(),
                events: Vec::new(),
            }],
            counters: BTreeMap::new(),
            last_etag: 0,
        }
    }

    /// Forgets everything issued or stored; keeps clients, users and calendars.
    pub fn reset(&mut self) {
        self.codes.clear();
        self.access_tokens.clear();
        self.refresh_tokens.clear();
        for c in &mut self.calendars {
            c.events.clear();
        }
        self.counters.clear();
    }

    pub fn count(&mut self, what: &str) {
        *self.counters.entry(what.to_string()).or_insert(0) += 1;
    }

    pub fn client(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.id == id)
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
