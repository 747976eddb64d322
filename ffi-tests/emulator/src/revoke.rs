//! `POST /revoke`, and the account-wide removal a user does at
//! myaccount.google.com/permissions.

use serde_json::json;

use crate::clock::now_secs;
use crate::http::Request;
use crate::http::Response;
use crate::oauth::{oauth_err, oauth_json, unique_params, OAuthError};
use crate::state::{self, Shared, State};

/// Google: "Revocation removes all OAuth 2.0 scopes previously granted to a project,
/// invalidating any issued access or refresh tokens for all clients registered under
/// that project." All our clients are one project, so every grant of the user goes.
pub fn revoke_user_grants(st: &mut State, user: &str) -> usize {
    let mut n = 0;
    for g in st
        .grants
        .iter_mut()
        .filter(|g| g.user == user && !g.revoked)
    {
        g.revoked = true;
        n += 1;
    }
    n
}

pub fn revoke_endpoint(shared: &Shared, req: &Request) -> Response {
    let mut st = state::lock(shared);
    st.count("revoke");
    match revoke(&mut st, req) {
        Ok(()) => oauth_json(200, &json!({})),
        Err(e) => e.to_json_response(),
    }
}

fn revoke(st: &mut State, req: &Request) -> Result<(), OAuthError> {
    let bad = || oauth_err(400, "invalid_request", "Bad Request");
    if req.method != "POST" {
        return Err(oauth_err(405, "invalid_request", "Invalid request method."));
    }
    // `token` may come as a query parameter (Google's own sample) or in the form body.
    let mut token = unique_params(req.query.as_bytes())?.remove("token");
    if !req.body.is_empty() {
        let ct = req
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        if !ct.starts_with("application/x-www-form-urlencoded")
            || std::str::from_utf8(&req.body).is_err()
        {
            return Err(bad());
        }
        if let Some(t) = unique_params(&req.body)?.remove("token") {
            token = Some(t);
        }
    }
    let token = token.filter(|t| !t.is_empty()).ok_or_else(bad)?;
    if st.toggles.basic_auth_only {
        // Not Google (which takes the token alone): an RFC 7009 server that
        // authenticates confidential clients, by HTTP Basic only.
        if req.header("authorization").is_none() {
            return Err(oauth_err(401, "invalid_client", "Client authentication is required."));
        }
        crate::oauth::authenticate_client(st, req, &Default::default())?;
    }

    let now = now_secs();
    let live_grant = |g: usize| st.grants.get(g).is_some_and(|g| g.live(now));
    let user = if let Some(t) = st.access_tokens.get(&token) {
        (t.expires_at > now && live_grant(t.grant)).then(|| t.user.clone())
    } else if let Some(t) = st.refresh_tokens.get(&token) {
        live_grant(t.grant)
            .then(|| st.grants.get(t.grant).map(|g| g.user.clone()))
            .flatten()
    } else {
        None
    };
    let user = user.ok_or_else(|| oauth_err(400, "invalid_token", "Token expired or revoked"))?;
    revoke_user_grants(st, &user);
    Ok(())
}
