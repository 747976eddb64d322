//! Workspace mode: a service account with domain-wide delegation.
//!
//! At start the emulator makes an RSA key (its own small RSA key generator
//! over num-bigint, since ring cannot generate RSA keys) and writes the key
//! file, as Google Cloud Console would download it, next to `ca.pem`; plus
//! a 1024-bit RSA key and an EC key (for the "wrong size" / "not RSA"
//! checks). The token endpoint's JWT bearer grant verifies the RS256
//! signature against the public key, the claims and their time window, the
//! delegation table (client ID → scopes) and the user (`sub`) against the
//! domain's users, answering Google's exact error strings. Calendar calls
//! with such a token act on the impersonated user's own calendars.

use std::collections::HashMap;
use std::path::Path;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use num_bigint::BigUint;
use serde_json::{json, Value};

use crate::oauth::{oauth_err, OAuthError};
use crate::state::{random_bytes, Grant, State};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const SA_EMAIL: &str = "gs-gcal-pbx@pbx-project-4711.iam.gserviceaccount.com";
pub const SA_CLIENT_ID: &str = "104711000000000000042";
pub const SA_PROJECT: &str = "pbx-project-4711";
pub const DOMAIN: &str = "mycompanyabc.com";
/// Users of the Workspace domain (besides `DEFAULT_ACCOUNT`).
pub const DOMAIN_USERS: [&str; 4] = [
    "pbx-admin@mycompanyabc.com",
    "john.doe@mycompanyabc.com",
    "jane.roe@mycompanyabc.com",
    "host1000@mycompanyabc.com",
];
pub const CALENDAR_SCOPES: [&str; 5] = [
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.freebusy",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
];
const ACCESS_LIFETIME: i64 = 3599;

/// The service account, its key and the Admin console's delegation table.
pub struct Workspace {
    pub key_id: String,
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    /// Admin console > Domain-wide delegation: client ID → scopes.
    pub delegation: HashMap<String, Vec<String>>,
    /// The key was deleted in Cloud Console: "Invalid JWT Signature.".
    pub key_deleted: bool,
    /// Delegation granted but not in effect yet: Calendar writes with
    /// attendees → 403 forbiddenForServiceAccounts.
    pub not_in_effect: bool,
    /// Assertions seen, by subject (for the tests' "one grant per user").
    pub grants_by_subject: HashMap<String, u64>,
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace {
            key_id: String::new(),
            n: Vec::new(),
            e: Vec::new(),
            delegation: default_delegation(),
            key_deleted: false,
            not_in_effect: false,
            grants_by_subject: HashMap::new(),
        }
    }

    /// Toggles back to defaults (the key stays).
    pub fn reset(&mut self) {
        self.delegation = default_delegation();
        self.key_deleted = false;
        self.not_in_effect = false;
        self.grants_by_subject.clear();
    }
}

fn default_delegation() -> HashMap<String, Vec<String>> {
    let mut d = HashMap::new();
    d.insert(SA_CLIENT_ID.to_string(), CALENDAR_SCOPES.iter().map(|s| s.to_string()).collect());
    d
}

pub fn is_domain_user(email: &str) -> bool {
    email.eq_ignore_ascii_case(crate::state::DEFAULT_ACCOUNT) || DOMAIN_USERS.iter().any(|u| u.eq_ignore_ascii_case(email))
}

// --- key generation -------------------------------------------------------

const SMALL_PRIMES: [u32; 54] = [
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109,
    113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193, 197, 199, 211, 223, 227, 229, 233,
    239, 241, 251, 257,
];

fn random_below(n: &BigUint) -> BigUint {
    let bytes = random_bytes(n.to_bytes_be().len() + 8);
    BigUint::from_bytes_be(&bytes) % n
}

fn probably_prime(n: &BigUint) -> bool {
    for p in SMALL_PRIMES {
        if (n % p) == BigUint::from(0u32) {
            return false;
        }
    }
    let one = BigUint::from(1u32);
    let two = BigUint::from(2u32);
    let n1 = n - &one;
    let mut d = n1.clone();
    let mut r = 0;
    while (&d % 2u32) == BigUint::from(0u32) {
        d >>= 1;
        r += 1;
    }
    'witness: for _ in 0..24 {
        let a = random_below(&(n - 3u32)) + &two;
        let mut x = a.modpow(&d, n);
        if x == one || x == n1 {
            continue;
        }
        for _ in 1..r {
            x = x.modpow(&two, n);
            if x == n1 {
                continue 'witness;
            }
        }
        return false;
    }
    true
}

fn prime(bits: usize) -> BigUint {
    loop {
        let mut b = random_bytes(bits / 8);
        b[0] |= 0xc0; // top two bits: p*q has exactly 2*bits bits
        let last = b.len() - 1;
        b[last] |= 1;
        let c = BigUint::from_bytes_be(&b);
        if probably_prime(&c) {
            return c;
        }
    }
}

fn der_len(out: &mut Vec<u8>, n: usize) {
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let b: Vec<u8> = n.to_be_bytes().iter().copied().skip_while(|&x| x == 0).collect();
        out.push(0x80 | b.len() as u8);
        out.extend(b);
    }
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    der_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

fn der_uint(n: &BigUint) -> Vec<u8> {
    let mut b = n.to_bytes_be();
    if b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    der(0x02, &b)
}

/// An RSA key: (PKCS#8 DER, n, e).
pub fn generate_rsa(bits: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let e = BigUint::from(65537u32);
    let one = BigUint::from(1u32);
    loop {
        let (mut p, mut q) = (prime(bits / 2), prime(bits / 2));
        if p == q {
            continue;
        }
        if p < q {
            std::mem::swap(&mut p, &mut q);
        }
        let (p1, q1) = (&p - &one, &q - &one);
        let g = gcd(&p1, &q1);
        let lambda = &p1 * &q1 / g;
        let Some(d) = e.modinv(&lambda) else { continue };
        let n = &p * &q;
        if n.bits() as usize != bits || d.bits() as usize <= bits / 2 {
            continue;
        }
        let qinv = q.modinv(&p).expect("p, q prime");
        let mut seq = der(0x02, &[0]);
        for v in [&n, &e, &d, &p, &q, &(&d % &p1), &(&d % &q1), &qinv] {
            seq.extend(der_uint(v));
        }
        let rsa_private_key = der(0x30, &seq);
        // AlgorithmIdentifier rsaEncryption (1.2.840.113549.1.1.1), NULL.
        let alg = der(0x30, &[&der(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01])[..], &[0x05, 0x00]].concat());
        let info = der(0x30, &[der(0x02, &[0]), alg, der(0x04, &rsa_private_key)].concat());
        return (info, n.to_bytes_be(), e.to_bytes_be());
    }
}

fn gcd(a: &BigUint, b: &BigUint) -> BigUint {
    let (mut a, mut b) = (a.clone(), b.clone());
    while b != BigUint::from(0u32) {
        let t = &a % &b;
        a = b;
        b = t;
    }
    a
}

fn pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut s = String::from("-----BEGIN PRIVATE KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        s.push('\n');
    }
    s.push_str("-----END PRIVATE KEY-----\n");
    s
}

fn key_file(key_id: &str, pem: &str, token_uri: &str) -> Value {
    json!({
        "type": "service_account",
        "project_id": SA_PROJECT,
        "private_key_id": key_id,
        "private_key": pem,
        "client_email": SA_EMAIL,
        "client_id": SA_CLIENT_ID,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": format!("https://www.googleapis.com/robot/v1/metadata/x509/{}", SA_EMAIL.replace('@', "%40")),
        "universe_domain": "googleapis.com",
    })
}

/// Makes the keys, writes the key files into `dir`, and returns the ready
/// line's members.
pub fn setup(ws: &mut Workspace, dir: &Path, token_uri: &str) -> Result<Value, String> {
    let (der, n, e) = generate_rsa(2048);
    ws.key_id = hex(&random_bytes(20));
    ws.n = n;
    ws.e = e;
    let write = |name: &str, v: &Value| -> Result<String, String> {
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_string_pretty(v).unwrap_or_default()).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path.to_string_lossy().into_owned())
    };
    let main = write("service_account.json", &key_file(&ws.key_id, &pem(&der), token_uri))?;
    let (small, _, _) = generate_rsa(1024);
    let small = write("service_account_1024.json", &key_file("small", &pem(&small), token_uri))?;
    let rng = ring::rand::SystemRandom::new();
    let ec = ring::signature::EcdsaKeyPair::generate_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| "EC key generation failed".to_string())?;
    let ec = write("service_account_ec.json", &key_file("ec", &pem(ec.as_ref()), token_uri))?;
    Ok(json!({
        "service_account_key": main,
        "service_account_key_1024": small,
        "service_account_key_ec": ec,
        "service_account_email": SA_EMAIL,
        "service_account_client_id": SA_CLIENT_ID,
        "workspace_domain": DOMAIN,
        "workspace_users": DOMAIN_USERS,
    }))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// --- the JWT bearer grant -------------------------------------------------

fn invalid_grant(desc: &str) -> OAuthError {
    oauth_err(400, "invalid_grant", desc.to_string())
}

const BAD_SIGNATURE: &str = "Invalid JWT Signature.";
const BAD_TIME: &str = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";

/// `POST /token` with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`.
pub fn grant(st: &mut State, p: &HashMap<String, String>) -> Result<Value, OAuthError> {
    st.count("token.jwt");
    let assertion = p.get("assertion").map(String::as_str).unwrap_or("");
    let parts: Vec<&str> = assertion.split('.').collect();
    if parts.len() != 3 {
        return Err(invalid_grant("Invalid JWT format."));
    }
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).ok();
    let header: Value = decode(parts[0]).and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(|| invalid_grant("Invalid JWT format."))?;
    let claims: Value = decode(parts[1]).and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(|| invalid_grant("Invalid JWT format."))?;
    let sig = decode(parts[2]).ok_or_else(|| invalid_grant(BAD_SIGNATURE))?;
    let ws = &st.workspace;
    // A wrong iss, an unknown or deleted key, a bad signature: all the same to Google.
    if header["alg"] != "RS256" || claims["iss"] != SA_EMAIL || header["kid"] != ws.key_id.as_str() || ws.key_deleted {
        return Err(invalid_grant(BAD_SIGNATURE));
    }
    let public = ring::signature::RsaPublicKeyComponents { n: &ws.n, e: &ws.e };
    let signed = format!("{}.{}", parts[0], parts[1]);
    if public.verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &sig).is_err() {
        return Err(invalid_grant(BAD_SIGNATURE));
    }
    let token_uri = format!("https://127.0.0.1:{}/token", st.https_port);
    if claims["aud"] != token_uri.as_str() {
        return Err(invalid_grant("Invalid JWT: Failed audience check."));
    }
    let now = crate::clock::now_secs();
    let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
        return Err(invalid_grant(BAD_TIME));
    };
    // Google allows a few minutes of clock skew (UNVERIFIED: 5 min assumed).
    if exp <= iat || exp - iat > 3600 || iat > now + 300 || exp < now - 300 {
        return Err(invalid_grant(BAD_TIME));
    }
    let scopes: Vec<String> = claims["scope"].as_str().unwrap_or("").split_whitespace().map(str::to_string).collect();
    if scopes.is_empty() {
        return Err(oauth_err(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided."));
    }
    let Some(sub) = claims["sub"].as_str().map(str::to_string) else {
        return Err(invalid_grant("Invalid email or User ID"));
    };
    if !sub.contains('@') {
        return Err(invalid_grant("Not a valid email."));
    }
    let delegated = ws.delegation.get(SA_CLIENT_ID);
    if !delegated.is_some_and(|d| scopes.iter().all(|s| d.contains(s))) {
        return Err(oauth_err(
            401,
            "unauthorized_client",
            "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
        ));
    }
    if !is_domain_user(&sub) {
        return Err(invalid_grant("Invalid email or User ID"));
    }
    let sub = sub.to_ascii_lowercase();
    *st.workspace.grants_by_subject.entry(sub.clone()).or_insert(0) += 1;
    st.ensure_user_calendar(&sub);
    st.grants.push(Grant {
        client_id: SA_CLIENT_ID.into(),
        user: sub.clone(),
        scopes: scopes.clone(),
        created: now,
        expires_at: None,
        revoked: false,
        refresh_token_sha256: None,
    });
    let grant = st.grants.len() - 1;
    let token = format!("ya29.c.{}", crate::state::random_token(160));
    st.remember_secret(&token);
    st.access_tokens.insert(
        token.clone(),
        crate::state::AccessToken { client_id: SA_CLIENT_ID.into(), user: sub, scopes, expires_at: now + ACCESS_LIFETIME, grant },
    );
    // Google's service-account answer: no refresh token, no scope echo.
    Ok(json!({"access_token": token, "expires_in": ACCESS_LIFETIME, "token_type": "Bearer"}))
}

/// Calendar writes by a service account whose delegation is not in effect
/// and that invite attendees: Google's 403.
pub fn check_write(st: &State, token_user_client: Option<&str>, body: &[u8]) -> Option<(u16, &'static str, &'static str)> {
    if token_user_client != Some(SA_CLIENT_ID) || !st.workspace.not_in_effect {
        return None;
    }
    let v: Value = serde_json::from_slice(body).ok()?;
    if v["attendees"].as_array().is_some_and(|a| !a.is_empty()) {
        return Some((403, "forbiddenForServiceAccounts", "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority."));
    }
    None
}

/// `/control/workspace`: {"delegation": [scopes] | null, "key_deleted": bool, "not_in_effect": bool}.
pub fn control(st: &mut State, body: &Value) -> Value {
    if let Some(d) = body.get("delegation") {
        match d.as_array() {
            Some(list) => {
                st.workspace.delegation.insert(SA_CLIENT_ID.into(), list.iter().filter_map(|s| s.as_str().map(str::to_string)).collect());
            }
            None => {
                st.workspace.delegation.remove(SA_CLIENT_ID);
            }
        }
    }
    if let Some(b) = body["key_deleted"].as_bool() {
        st.workspace.key_deleted = b;
    }
    if let Some(b) = body["not_in_effect"].as_bool() {
        st.workspace.not_in_effect = b;
    }
    json!({
        "delegation": st.workspace.delegation.get(SA_CLIENT_ID),
        "key_deleted": st.workspace.key_deleted,
        "not_in_effect": st.workspace.not_in_effect,
        "grants_by_subject": st.workspace.grants_by_subject,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_keys_are_accepted_by_ring_and_verify() {
        let (der, n, e) = super::generate_rsa(2048);
        let kp = ring::signature::RsaKeyPair::from_pkcs8(&der).expect("ring takes the key");
        let rng = ring::rand::SystemRandom::new();
        let mut sig = vec![0; kp.public().modulus_len()];
        kp.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, b"msg", &mut sig).unwrap();
        let public = ring::signature::RsaPublicKeyComponents { n: &n, e: &e };
        public.verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, b"msg", &sig).unwrap();
    }
}
