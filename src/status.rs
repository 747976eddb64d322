//! The status JSON shown on the PBX's "Google Services" page. Pure: it takes
//! what the handle knows and returns the document. Never a secret in it.

use crate::clock::rfc3339;
use crate::json::{json, Value};
use crate::options::Config;
use crate::state::Phase;
use crate::state::{SetAside, State};

/// The last failure: its code and admin-readable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastError {
    pub code: i32,
    pub message: String,
}

/// What the status page shows, captured at the end of every C call and
/// turned into JSON only when `gs_gcal_status_json` asks (issue 7: building
/// the JSON tree after every push cost more than a tenth of the push). Holds
/// no secret.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    phase: Phase,
    account: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    calendar_id: String,
    access_expires_in: Option<i64>,
    /// Of the tokens: granted scopes, consent and last refresh times.
    tokens: Option<(String, i64, Option<i64>)>,
    reauth_reason: Option<String>,
    pending_revocations: usize,
    /// user_code, verification_url, expires_at, interval, scopes.
    device: Option<(String, String, i64, u32, String)>,
    /// The grant can read but not write (issue 16 A2).
    read_only: bool,
    /// Refused time zone → the equivalent zone sent instead (issue 16 A1).
    zone_substitutions: std::collections::BTreeMap<String, String>,
    /// Damaged files kept aside (never deleted), newest last.
    set_aside: Vec<SetAside>,
    pub(crate) health: Option<Health>,
    /// Workspace mode's part (None in OAuth user mode).
    pub(crate) workspace: Option<Workspace>,
    /// When it was taken (unix seconds): every relative field counts from it.
    now: i64,
}

/// Workspace mode: the service account, the default subject, what to
/// enter for domain-wide delegation, and the users whose token Google
/// refused (no secrets).
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    pub service_account: String,
    pub client_id: String,
    pub project_id: Option<String>,
    pub default_subject: String,
    pub delegation_scopes: String,
    pub cached_tokens: usize,
    /// (user, code, text, unix time).
    pub token_failures: Vec<(String, i32, String, i64)>,
}

/// The outbox and connection health part of the status.
#[derive(Debug, Clone, Default)]
pub(crate) struct Health {
    pub outbox_depth: usize,
    pub oldest_enqueued_at: Option<i64>,
    pub next_attempt_at: Option<i64>,
    pub last_success_at: Option<i64>,
    /// When, class, code and text of the last failure.
    pub last_failure: Option<(i64, &'static str, i32, String)>,
    pub circuit: &'static str,
    pub circuit_open_until: i64,
    pub quota_pause_until: Option<i64>,
    pub parked: Vec<crate::state::Parked>,
}

impl Snapshot {
    pub fn capture(phase: Phase, state: &State, config: &Config, access_expires_in: Option<i64>, now: i64) -> Snapshot {
        let mut s = Snapshot::default();
        s.refresh(phase, state, config, access_expires_in, now);
        s
    }

    /// Takes the status again in place. It runs at the end of every C call,
    /// so the strings are copied into the buffers they already have
    /// (`clone_from`) instead of allocated and freed each time (a steady
    /// push: 10 mallocs and frees fewer).
    pub fn refresh(&mut self, phase: Phase, state: &State, config: &Config, access_expires_in: Option<i64>, now: i64) {
        self.phase = phase;
        self.account.clone_from(&state.account);
        copy(&mut self.client_id, state.client.as_ref().map(|c| &c.client_id));
        copy(&mut self.redirect_uri, state.client.as_ref().map(|c| &c.redirect_uri));
        self.calendar_id.clone_from(&config.calendar_id);
        self.access_expires_in = access_expires_in;
        match (&mut self.tokens, &state.tokens) {
            (Some(to), Some(t)) => {
                to.0.clone_from(&t.scope);
                (to.1, to.2) = (t.authorized_at, t.refreshed_at);
            }
            (to, t) => *to = t.as_ref().map(|t| (t.scope.clone(), t.authorized_at, t.refreshed_at)),
        }
        self.reauth_reason.clone_from(&state.reauth_required);
        self.pending_revocations = state.pending_revocations.len();
        self.device = state
            .device
            .as_ref()
            .filter(|d| d.expires_at > now)
            .map(|d| (d.user_code.clone(), d.verification_url.clone(), d.expires_at, d.interval, d.scopes.clone()));
        self.read_only = state.tokens.as_ref().is_some_and(|t| crate::oauth::is_read_only(&t.scope));
        self.zone_substitutions.clone_from(&state.zone_substitutions);
        self.set_aside.clone_from(&state.set_aside);
        self.now = now;
    }

    /// The status document. Fields are documented in the header
    /// (`gs_gcal_status_json`) and README; add, never rename.
    pub fn to_json(&self, last_error: Option<&LastError>) -> Value {
        let phase = match self.phase {
            Phase::Unconfigured => "unconfigured",
            Phase::Configured => "configured",
            Phase::Authorized => "authorized",
            Phase::ReauthRequired => "reauth_required",
        };
        let now = self.now;
        let tokens = self.tokens.as_ref();
        let mut doc = json!({
            "state": phase,
            "account": self.account,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "calendar_id": self.calendar_id,
            "access_token_expires_in": self.access_expires_in,
            "granted_scopes": tokens.map(|t| t.0.split(' ').filter(|s| !s.is_empty()).collect::<Vec<_>>()),
            "authorized_at": tokens.and_then(|t| rfc3339(t.1)),
            "last_refresh_at": tokens.and_then(|t| t.2).and_then(rfc3339),
            "reauth_reason": self.reauth_reason,
            "pending_revocations": self.pending_revocations,
            "device": self.device.as_ref().map(|d| json!({
                "user_code": d.0,
                "verification_url": d.1,
                "expires_in": d.2 - now,
                "interval": d.3,
                "scopes": d.4,
            })),
            "read_only": self.read_only,
            "zone_substitutions": self.zone_substitutions,
            "last_error": last_error.map(|e| json!({"code": e.code, "message": e.message})),
            "set_aside": self.set_aside.iter().map(|a| json!({
                "file": a.file, "what": a.what, "at": rfc3339(a.at),
            })).collect::<Vec<_>>(),
            "version": env!("CARGO_PKG_VERSION"),
        });
        doc["mode"] = json!(if self.workspace.is_some() { "workspace" } else { "oauth_user" });
        if let Some(w) = &self.workspace {
            doc["workspace"] = json!({
                "service_account": w.service_account,
                "client_id": w.client_id,
                "project_id": w.project_id,
                "default_subject": w.default_subject,
                "delegation_scopes": w.delegation_scopes,
                "cached_tokens": w.cached_tokens,
                "token_failures": w.token_failures.iter().map(|(user, code, msg, at)| json!({
                    "user": user, "code": code, "message": msg, "at": rfc3339(*at),
                })).collect::<Vec<_>>(),
            });
        }
        // Presence needs a free/busy scope an older grant may lack (issue 15).
        if let Some(t) = tokens {
            let granted = crate::presence::granted(&t.0);
            doc["presence"] = json!({
                "granted": granted,
                "note": (!granted).then_some("authorize again to enable presence"),
            });
        }
        if let Some(h) = &self.health {
            doc["health"] = json!({
                "outbox_depth": h.outbox_depth,
                "outbox_oldest_age": h.oldest_enqueued_at.map(|t| (now - t).max(0)),
                "next_attempt_in": h.next_attempt_at.map(|t| (t - now).max(0)),
                "last_success_at": h.last_success_at.and_then(rfc3339),
                "last_failure": h.last_failure.as_ref().map(|(at, class, code, msg)| json!({
                    "at": rfc3339(*at), "class": class, "code": code, "message": msg,
                })),
                "circuit": h.circuit,
                "circuit_open_until": (h.circuit_open_until > now).then(|| rfc3339(h.circuit_open_until)),
                "quota_pause_until": h.quota_pause_until.filter(|u| *u > now).and_then(rfc3339),
                "parked": h.parked.iter().map(|p| json!({
                    "meeting_id": p.meeting_id, "occurrence": p.occurrence, "op": p.op,
                    "code": p.code, "message": p.message, "at": rfc3339(p.at),
                })).collect::<Vec<_>>(),
            });
        }
        doc
    }
}

/// `to = from.cloned()`, reusing `to`'s buffer when both are there.
fn copy(to: &mut Option<String>, from: Option<&String>) {
    match (to, from) {
        (Some(to), Some(from)) => to.clone_from(from),
        (to, from) => *to = from.cloned(),
    }
}

/// The status document without the health part (see `Snapshot`).
pub fn status_json(
    phase: Phase,
    state: &State,
    config: &Config,
    access_expires_in: Option<i64>,
    last_error: Option<&LastError>,
    now: i64,
) -> Value {
    Snapshot::capture(phase, state, config, access_expires_in, now).to_json(last_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ClientConfig, Tokens};

    /// Taken in place over an older snapshot, the status is the one taken
    /// afresh: every field follows, also from Some to None and back.
    #[test]
    fn refreshed_in_place_is_taken_afresh() {
        let rich = State {
            client: Some(ClientConfig { client_id: "id-long-long-long".into(), client_secret: "s".into(), redirect_uri: "https://pbx/cb".into() }),
            tokens: Some(Tokens {
                access_token: "a".into(),
                access_expires_at: 5,
                refresh_token: "r".into(),
                scope: "https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.freebusy".into(),
                authorized_at: 1_700_000_000,
                authorized_at_google: None,
                refreshed_at: Some(1_700_000_100),
            }),
            account: Some("someone.with.a.long.name@example.com".into()),
            reauth_required: Some("invalid_grant".into()),
            set_aside: vec![SetAside { file: "f".into(), what: "w".into(), at: 1 }],
            zone_substitutions: [("Etc/GMT-1".to_owned(), "Africa/Lagos".to_owned())].into(),
            ..State::default()
        };
        let small = State {
            client: Some(ClientConfig { client_id: "i".into(), client_secret: "".into(), redirect_uri: String::new() }),
            tokens: Some(Tokens { scope: "x".into(), ..rich.tokens.clone().unwrap() }),
            ..State::default()
        };
        let config = Config::default();
        let states = [State::default(), rich, small, State::default()];
        let mut s = Snapshot::default();
        for (i, st) in states.iter().enumerate() {
            let phase = [Phase::Unconfigured, Phase::ReauthRequired, Phase::Authorized, Phase::Configured][i];
            s.refresh(phase, st, &config, Some(i as i64), 1_700_000_000 + i as i64);
            let fresh = Snapshot::capture(phase, st, &config, Some(i as i64), 1_700_000_000 + i as i64);
            assert_eq!(s.to_json(None), fresh.to_json(None), "state {i}");
        }
    }

    #[test]
    fn authorized_status_has_no_secrets() {
        let state = State {
            client: Some(ClientConfig {
                client_id: "id.apps.googleusercontent.com".into(),
                client_secret: "GOCSPX-secret".into(),
                redirect_uri: "https://pbx/cb".into(),
            }),
            tokens: Some(Tokens {
                access_token: "ya29.access".into(),
                access_expires_at: 1_700_003_599,
                refresh_token: "1//refresh".into(),
                scope: "openid https://www.googleapis.com/auth/calendar.events".into(),
                authorized_at: 1_700_000_000,
                authorized_at_google: None,
                refreshed_at: Some(1_700_000_100),
            }),
            account: Some("a@b.c".into()),
            ..State::default()
        };
        let v = status_json(Phase::Authorized, &state, &Config::default(), Some(3599), None, 1_700_000_000);
        assert_eq!(v["state"], "authorized");
        assert_eq!(v["access_token_expires_in"], 3599);
        assert_eq!(v["authorized_at"], "2023-11-14T22:13:20Z");
        assert_eq!(v["last_refresh_at"], "2023-11-14T22:15:00Z");
        assert_eq!(v["device"], Value::Null);
        assert_eq!(v["last_error"], Value::Null);
        assert_eq!(v["presence"]["note"], "authorize again to enable presence");
        let text = v.to_string();
        for secret in ["GOCSPX-secret", "ya29.access", "1//refresh"] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
    }

    #[test]
    fn unconfigured_status() {
        let v = status_json(Phase::Unconfigured, &State::default(), &Config::default(), None,
            Some(&LastError { code: 204, message: "m".into() }), 0);
        assert_eq!(v["state"], "unconfigured");
        assert_eq!(v["account"], Value::Null);
        assert_eq!(v["access_token_expires_in"], Value::Null);
        assert_eq!(v["last_error"]["code"], 204);
    }
}
