//! The handle's persistent state as the library thinks of it: plain
//! domain types, no serde. `store::records` converts them to and from the
//! versioned records on disk, so these may change without changing the
//! disk format. (The read-side cache is the exception: it is rebuildable
//! from Google, so `store::cache` stores it as it is, under its own
//! version.)

use crate::secret::Secret;

/// Where the handle stands, for the status JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    #[default]
    Unconfigured,
    Configured,
    Authorized,
    ReauthRequired,
}

/// What the admin entered on the "Google Services" page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub client_id: String,
    pub client_secret: Secret,
    pub redirect_uri: String,
}

/// An authorization link handed out and not yet used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAuth {
    pub state: String,
    pub code_verifier: Secret,
    /// Unix seconds.
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: Secret,
    /// Unix seconds at which Google said the access token expires.
    pub access_expires_at: i64,
    pub refresh_token: Secret,
    /// Granted scopes, space-separated, as Google returned them.
    pub scope: String,
    /// Unix seconds of the consent (code exchange), by our clock.
    pub authorized_at: i64,
    /// The consent time by Google's clock (its `Date` header), when known:
    /// diagnosing "revoked 7 days after consent" must not depend on a PBX
    /// clock that may have been wrong or changed since.
    pub authorized_at_google: Option<i64>,
    /// Unix seconds of the last successful refresh.
    pub refreshed_at: Option<i64>,
}

/// A pushed meeting's event and when we (or a reported drift) last
/// touched it, by Google's clock: changes Google reports as made later
/// were made by someone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub event_id: String,
    /// Unix milliseconds (Google's `updated` of our write, or its `Date`).
    pub written_ms: i64,
    /// Workspace mode: the user whose `primary` calendar holds the event
    /// (edits, cancels and occurrences go there; a host change moves it).
    pub calendar: Option<String>,
}

/// Workspace mode: the service account (its JSON key as downloaded) and
/// the user whose calendar is used when a meeting has no host in the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub client_email: String,
    pub client_id: String,
    pub private_key_id: String,
    /// PEM PKCS#8.
    pub private_key: Secret,
    pub token_uri: String,
    pub project_id: Option<String>,
    pub default_subject: String,
}

/// A refresh token waiting to be revoked, with the account it belongs to:
/// Google revokes a user's whole grant to the project, so revoking it after
/// the same account authorized again would kill the new authorization too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub refresh_token: Secret,
    pub account: Option<String>,
}

/// A device-flow authorization in progress ("TVs and Limited Input devices").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuth {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_url: String,
    /// Unix seconds at which the codes expire.
    pub expires_at: i64,
    /// Seconds to wait between polls (grows by 5 on each slow_down).
    pub interval: u32,
    /// The scope set the device endpoint accepted (issue 16 A2).
    pub scopes: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    pub client: Option<ClientConfig>,
    pub pending: Vec<PendingAuth>,
    pub tokens: Option<Tokens>,
    /// The authorized Google account's e-mail.
    pub account: Option<String>,
    /// Set when Google refused the refresh token (revoked, expired): the
    /// admin must authorize again. The text says why.
    pub reauth_required: Option<String>,
    /// SHA-256 (hex) of the last authorization codes redeemed, so a second
    /// paste of the same code gets a clear answer without asking Google.
    pub used_codes: Vec<String>,
    /// Grants to revoke at Google when it is reachable again (after a reset
    /// made offline, or a re-authorization with another account).
    pub pending_revocations: Vec<Revocation>,
    pub device: Option<DeviceAuth>,
    /// Event-id generation per meeting id, for meetings whose first id
    /// Google refused to restore after a deletion in its UI (absent = 0).
    pub generations: std::collections::BTreeMap<String, u32>,
    /// Per meeting id: its event and the etag of our last write, so a sync
    /// can tell edits made in Google from our own.
    pub pushed: std::collections::BTreeMap<String, Pushed>,
    /// Unix seconds until which writes pause (Google's quotaExceeded).
    pub quota_pause_until: Option<i64>,
    /// Operations Google refused for good (never retried), newest last.
    pub parked: Vec<Parked>,
    /// Damaged files moved aside by the store (state file, journal), for
    /// the status page: nothing is ever deleted, the admin is told.
    pub set_aside: Vec<SetAside>,
    /// Time zones Google refused, with the equivalent zone used instead
    /// (same UTC offset over the meetings, or the zone's other name).
    pub zone_substitutions: std::collections::BTreeMap<String, String>,
    /// Workspace mode (exclusive with `client`/`tokens`: a handle is in one
    /// mode at a time).
    pub service_account: Option<ServiceAccount>,
}

/// A damaged file the store kept aside instead of deleting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// Where the damaged copy is now.
    pub file: String,
    /// What was wrong and what was kept, without quoting the content.
    pub what: String,
    pub at: i64,
}

/// An outbox operation Google refused for good, for the admin to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parked {
    pub meeting_id: String,
    pub occurrence: Option<String>,
    /// `push` or `cancel`.
    pub op: String,
    pub code: i32,
    pub message: String,
    pub at: i64,
}


/// The read side's copy of the calendars (rebuildable from Google;
/// `store::cache` writes and reads it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cache {
    pub version: u32,
    pub calendars: std::collections::BTreeMap<String, CalendarCache>,
    /// Drift found by a sync and not yet delivered to the firmware.
    pub undelivered: Vec<Drift>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarCache {
    pub sync_token: Option<String>,
    pub time_zone: Option<String>,
    pub events: std::collections::BTreeMap<String, crate::events::CachedEvent>,
}

/// A pushed meeting's event changed or deleted in Google, not by us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub meeting_id: String,
    pub event_id: String,
    /// `modified` or `deleted`.
    pub change: String,
}

