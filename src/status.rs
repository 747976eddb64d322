//! The status JSON shown on the PBX's "Google Services" page. Pure: it takes
//! what the handle knows and returns the document. Never a secret in it.

use crate::client::Phase;
use crate::config::Config;
use crate::store::State;
use serde_json::{json, Value};

/// The last failure: its code and admin-readable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastError {
    pub code: i32,
    pub message: String,
}

/// Builds the status document. Fields are documented in the header
/// (`gs_gcal_status_json`) and README; add, never rename.
pub fn status_json(
    phase: Phase,
    state: &State,
    config: &Config,
    access_expires_in: Option<i64>,
    last_error: Option<&LastError>,
    now: i64,
) -> Value {
    let phase = match phase {
        Phase::Unconfigured => "unconfigured",
        Phase::Configured => "configured",
        Phase::Authorized => "authorized",
        Phase::ReauthRequired => "reauth_required",
    };
    let tokens = state.tokens.as_ref();
    json!({
        "state": phase,
        "account": state.account,
        "client_id": state.client.as_ref().map(|c| c.client_id.as_str()),
        "redirect_uri": state.client.as_ref().map(|c| c.redirect_uri.as_str()),
        "calendar_id": config.calendar_id,
        "access_token_expires_in": access_expires_in,
        "granted_scopes": tokens.map(|t| t.scope.split(' ').filter(|s| !s.is_empty()).collect::<Vec<_>>()),
        "authorized_at": tokens.and_then(|t| rfc3339(t.authorized_at)),
        "last_refresh_at": tokens.and_then(|t| t.refreshed_at).and_then(rfc3339),
        "reauth_reason": state.reauth_required,
        "pending_revocations": state.pending_revocations.len(),
        "device": state.device.as_ref().filter(|d| d.expires_at > now).map(|d| json!({
            "user_code": d.user_code,
            "verification_url": d.verification_url,
            "expires_in": d.expires_at - now,
            "interval": d.interval,
        })),
        "last_error": last_error.map(|e| json!({"code": e.code, "message": e.message})),
        "version": env!("CARGO_PKG_VERSION"),
    })
}

pub(crate) fn rfc3339(unix: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).ok()?;
    t.format(&time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ClientConfig, Tokens};

    #[test]
    fn authorized_status_has_no_secrets() {
        let state = State {
            version: 1,
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
