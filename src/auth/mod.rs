//! Authorization (room `auth`): the OAuth client, the code flow ("Get
//! Authorization Code" and the pasted code or address), re-authorization
//! and "Reset" with revocation. The device flow and token refresh are its
//! two sub-rooms. Decisions (URLs, forms, error diagnosis) are pure, in
//! `oauth`.

pub mod device;
pub mod service_account;
pub mod token;

use crate::clock::now;
use crate::errors::{Error, Result};
use crate::handle::Handle;
use crate::log::log_at;
use crate::http::Reply;
use crate::oauth::{self, ClientAuth, Pasted, TokenResponse};
use crate::secret::{Secret, WipedString};
use crate::state::{ClientConfig, PendingAuth, Revocation, State, Tokens};
use std::time::{Duration, Instant};



/// Authorization links kept outstanding; older ones are forgotten.
pub(crate) const MAX_PENDING: usize = 8;
/// An authorization link older than this is forgotten (Google's codes live
/// minutes; an admin may take a while to sign in).
pub(crate) const PENDING_TTL_SECS: i64 = 3600;
/// Fingerprints of redeemed codes remembered.
pub(crate) const MAX_USED_CODES: usize = 16;
/// Refresh tokens waiting for revocation; the oldest is dropped beyond this
/// (Google retires it anyway past 100 per account and client).
pub(crate) const MAX_PENDING_REVOCATIONS: usize = 8;
/// A revocation Google refused (not "already invalid") is tried again
/// after this long, not before every request.
pub(crate) const REVOKE_RETRY: Duration = Duration::from_secs(3600);
pub(crate) const MAX_CLIENT_ID: usize = 512;
pub(crate) const MAX_CLIENT_SECRET: usize = 512;
pub(crate) const MAX_REDIRECT_URI: usize = 2048;

/// An authorization link not yet remembered (see `remember_link`).
pub struct AuthLink {
    pub url: String,
    pub(crate) pending: PendingAuth,
}

impl Handle {
    /// Stores the admin's OAuth client. An empty redirect URI is allowed
    /// for a "TVs and Limited Input devices" client (device flow only). A
    /// different client ID invalidates tokens and links of the old one.
    pub fn set_client(&mut self, client_id: &str, secret: &str, redirect_uri: &str) -> Result<()> {
        check_client(client_id, secret, redirect_uri)?;
        let mut next = self.state.clone();
        // Setting a client leaves Workspace mode (one mode at a time).
        self.forget_service_account(&mut next);
        if next.client.as_ref().map(|c| c.client_id.as_str()) != Some(client_id) {
            // The old tokens are dropped, not revoked: the new client may
            // belong to the same Google project, and revoking the user's
            // grant to the project would also undo the coming authorization.
            next.tokens = None;
            next.account = None;
            next.pending.clear();
            next.device = None;
            next.reauth_required = None;
            self.auth.access_deadline = None;
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
        let reply = self.token_request(&client, |secret| {
            oauth::code_exchange_form(&client.client_id, secret, &client.redirect_uri, &code, pending.code_verifier.expose())
        })?;
        let t = oauth::parse_token_response(reply.status, &reply.body)?;
        let mut next = self.state.clone();
        next.pending.retain(|p| p.state != pending.state);
        next.used_codes.push(fingerprint);
        let excess = next.used_codes.len().saturating_sub(MAX_USED_CODES);
        next.used_codes.drain(..excess);
        // The link asked for the configured scopes.
        let requested = self.config.scopes.clone();
        self.adopt_grant(next, t, &requested, reply.date)
    }

    /// A token-endpoint request with the client's credentials, sent the way
    /// the endpoint last took them (at first in the form, as Google
    /// documents). Refused as `invalid_client`, it goes once more the other
    /// way (RFC 6749 §2.3.1: a server may take only HTTP Basic); taken so,
    /// the handle keeps to it. `form` builds the body with the secret, or
    /// without it (None) for Basic.
    pub(crate) fn token_request(&mut self, client: &ClientConfig, form: impl Fn(Option<&str>) -> String) -> Result<Reply> {
        let url = self.config.token_endpoint.clone();
        self.client_request(&url, client, form)
    }

    /// `token_request` to any of the authorization server's endpoints
    /// (the device endpoint too: RFC 8628 §3.1 lets it authenticate the
    /// client; Google's takes the `client_id` alone).
    pub(crate) fn client_request(&mut self, url: &str, client: &ClientConfig, form: impl Fn(Option<&str>) -> String) -> Result<Reply> {
        let how = self.auth.client_auth;
        let reply = self.send_client_request(url, client, how, &form)?;
        if !oauth::refuses_client(reply.status, &reply.body) {
            return Ok(reply);
        }
        let again = self.send_client_request(url, client, how.other(), &form)?;
        if oauth::refuses_client(again.status, &again.body) {
            // Refused both ways: the first answer's words are the diagnosis.
            return Ok(reply);
        }
        log_at!(self.log, Warn, "{url} refused the client's credentials sent as {how:?} and took them as {:?}: sent so from now on", how.other());
        self.auth.client_auth = how.other();
        Ok(again)
    }

    fn send_client_request(&self, url: &str, client: &ClientConfig, how: ClientAuth, form: &impl Fn(Option<&str>) -> String) -> Result<Reply> {
        let secret = client.client_secret.expose();
        match how {
            ClientAuth::Form => self.http()?.post_form(url, &WipedString(form(Some(secret))).0, None),
            ClientAuth::Basic => {
                let basic = WipedString(oauth::basic_credentials(&client.client_id, secret));
                self.http()?.post_form(url, &WipedString(form(None)).0, Some(&basic.0))
            }
        }
    }

    /// Takes a new grant (code exchange or device flow): checks it, stores
    /// it durably, and revokes the grant it replaces. `requested`: the
    /// scopes asked for, which the grant is when the answer names none.
    pub(crate) fn adopt_grant(&mut self, mut next: State, t: TokenResponse, requested: &str, google_now: Option<i64>) -> Result<()> {
        let refresh_token = t.refresh_token.clone().ok_or(Error::NoRefreshToken)?;
        let mut account = t.id_token.as_ref().and_then(|t| oauth::email_from_id_token(t.expose()));
        let scope = t.scope.unwrap_or_else(|| requested.to_owned());
        if let Err(e) = oauth::check_granted(&scope) {
            self.revoke_partial_grant(refresh_token, account);
            return Err(e);
        }
        if account.is_none() {
            // No `email` in the ID token (scope `email` not requested or
            // not granted, or no ID token at all): the primary calendar's
            // id is the account's address (calendarList, best effort).
            account = self.account_from_calendar_list(t.access_token.expose());
        }
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
            scope,
            authorized_at: now(),
            authorized_at_google: google_now,
            refreshed_at: None,
        });
        next.reauth_required = None;
        next.device = None;
        self.commit(next)?;
        self.auth.access_deadline = Some(Instant::now() + Duration::from_secs(t.expires_in as u64));
        self.flush_revocations();
        Ok(())
    }

    /// A grant without the calendar permission is not kept: it is revoked
    /// (so the next consent screen asks for everything again), unless the
    /// handle holds a working authorization of the same or an unknown
    /// account, which revoking would undo too (Google revokes a user's
    /// whole grant to the project).
    fn revoke_partial_grant(&mut self, token: Secret, account: Option<String>) {
        let same = self.state.tokens.is_some()
            && (account.is_none() || self.state.account.is_none() || account == self.state.account);
        if same {
            log_at!(self.log, Warn, "partial grant not revoked: it would also revoke the working authorization of the same account");
            return;
        }
        let mut next = self.state.clone();
        next.pending_revocations.push(Revocation { refresh_token: token, account });
        let excess = next.pending_revocations.len().saturating_sub(MAX_PENDING_REVOCATIONS);
        next.pending_revocations.drain(..excess);
        if self.commit(next).is_ok() {
            self.auth.revocation_refused_at = None;
            self.flush_revocations();
        }
    }

    /// The account's address from the primary calendar's id (needs the
    /// calendarlist scope, part of the defaults); None when unknown.
    fn account_from_calendar_list(&mut self, access_token: &str) -> Option<String> {
        let http = self.http().ok()?;
        let mut page_token: Option<String> = None;
        for _ in 0..4 {
            let page = crate::calendar::calendar_list(http, &self.config.calendar_api_base, access_token, page_token.as_deref()).ok()?;
            if let Some(id) = page.items.iter().find(|c| c["primary"].as_bool() == Some(true)).and_then(|c| c["id"].as_str()) {
                let id = oauth::printable(id);
                return (id.len() <= 320 && id.contains('@')).then_some(id);
            }
            page_token = page.next_page;
            page_token.as_ref()?;
        }
        None
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
        self.auth.access_deadline = None;
        self.auth.last_device_poll = None;
        // The admin's explicit Reset tries again now, refused earlier or not.
        self.auth.revocation_refused_at = None;
        if self.online().is_ok() {
            self.flush_revocations();
        }
        Ok(())
    }

    /// Tries the waiting revocations. One counts as done only when Google
    /// says so (200) or says the token is already dead (400
    /// `invalid_token`); a 401 `invalid_client` is tried once more with the
    /// client's credentials; any other answer (400 `invalid_request`, 5xx,
    /// ...) keeps it waiting, is logged, and is
    /// tried again after `REVOKE_RETRY` (not before every request). Stops
    /// at the first transport failure (Google unreachable).
    pub(crate) fn flush_revocations(&mut self) {
        if self.state.pending_revocations.is_empty() || self.http.is_none() {
            return;
        }
        if self.auth.revocation_refused_at.is_some_and(|t| t.elapsed() < REVOKE_RETRY) {
            return;
        }
        let mut done = Vec::new();
        let mut refused = false;
        for r in &self.state.pending_revocations {
            let Ok(http) = self.http() else { break };
            let form = WipedString(oauth::revoke_form(r.refresh_token.expose()));
            let mut reply = http.post_form(&self.config.revoke_endpoint, &form.0, None);
            // Google takes the token alone; an RFC 7009 server may want the
            // client authenticated (by HTTP Basic, which every one takes).
            if let (Ok(first), Some(c)) = (&reply, &self.state.client) {
                if oauth::refuses_client(first.status, &first.body) {
                    let basic = WipedString(oauth::basic_credentials(&c.client_id, c.client_secret.expose()));
                    reply = http.post_form(&self.config.revoke_endpoint, &form.0, Some(&basic.0));
                }
            }
            match reply {
                Ok(reply) => match oauth::revocation_outcome(reply.status, &reply.body) {
                    Ok(()) => done.push(r.clone()),
                    Err(why) => {
                        log_at!(self.log, Warn, "revocation refused, kept waiting (pending_revocations): {why}");
                        refused = true;
                    }
                },
                Err(_) => break,
            }
        }
        self.auth.revocation_refused_at = refused.then(Instant::now);
        if !done.is_empty() {
            let mut next = self.state.clone();
            next.pending_revocations.retain(|r| !done.contains(r));
            // A failed save only means a repeated revocation later.
            let _ = self.commit(next);
        }
    }

    pub(crate) fn forget_pending(&mut self, state: Option<&str>) -> Result<()> {
        let Some(s) = state else { return Ok(()) };
        if !self.state.pending.iter().any(|p| p.state == s) {
            return Ok(());
        }
        let mut next = self.state.clone();
        next.pending.retain(|p| p.state != s);
        self.commit(next)
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
pub(crate) fn check_client(client_id: &str, secret: &str, redirect_uri: &str) -> Result<()> {
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

