//! Workspace mode, pure: the service account's JSON key file as Google
//! Cloud Console downloads it, the JWT bearer grant (RFC 7523; Google's
//! "Using OAuth 2.0 for Server to Server Applications") signed RS256, the
//! diagnosis of its refusals, which user a meeting impersonates, and the
//! bounded per-user access-token cache. No I/O: time and randomness come in.

use crate::errors::{Error, Result};
use crate::json;
use crate::secret::{Secret, Wiped};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// A downloaded key file is ~2.3 KB (RSA 2048); 4096-bit keys ~3.3 KB.
pub(crate) const MAX_KEY_JSON: usize = 16 * 1024;
/// Lifetime asked for in `exp` (Google's maximum: 1 hour).
pub(crate) const ASSERTION_LIFETIME_SECS: i64 = 3600;
/// Access tokens kept, one per impersonated user (least recently used
/// dropped). An entry holds the user's e-mail and the access token: about
/// 300 bytes with Google's tokens of today, at most ~2.4 KB (Google's
/// documented 2048-byte token limit).
pub(crate) const TOKEN_CACHE_ENTRIES: usize = 256;
/// A user Google said is not in the domain is not asked for again for
/// this long (its meetings go to the default subject meanwhile).
pub(crate) const NOT_A_USER_TTL_MS: u64 = 3600 * 1000;

/// What Google Cloud Console's key file holds (the parts used here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFile {
    pub client_email: String,
    /// The numeric OAuth client ID that domain-wide delegation is granted to.
    pub client_id: String,
    pub private_key_id: String,
    /// The PEM text (PKCS#8 "BEGIN PRIVATE KEY").
    pub private_key: Secret,
    pub token_uri: String,
    pub project_id: Option<String>,
}

/// Reads and checks a key file: a service-account key, whose PEM private
/// key is an RSA key of 2048–4096 bits that ring accepts.
pub fn parse_key_file(json: &str) -> Result<KeyFile> {
    let not_sa = |why: &str| Error::NotServiceAccountKey(why.to_owned());
    if json.len() > MAX_KEY_JSON {
        return Err(Error::TooLong { field: "key_json", max: MAX_KEY_JSON });
    }
    let mut k = json::parse(json.as_bytes()).filter(|k| k.as_object().is_some()).ok_or_else(|| {
        not_sa("key_json is not JSON: pass the whole key file as Google Cloud Console downloaded it (IAM > Service accounts > Keys > Add key > JSON)")
    })?;
    match k["type"].as_str() {
        Some("service_account") => {}
        Some("authorized_user") => return Err(not_sa("this is a user's credential file (type authorized_user), not a service-account key")),
        Some(other) => {
            return Err(not_sa(&format!("the file's type is \"{}\", not \"service_account\"", crate::oauth::printable(other))))
        }
        None if json.contains("\"installed\"") || json.contains("\"web\"") => {
            return Err(not_sa("this is an OAuth client file (client_secret_….json); Workspace mode needs a service account's JSON key"))
        }
        None => return Err(not_sa("the file has no \"type\": \"service_account\"")),
    }
    let field = |name: &'static str| -> Result<String> {
        match k[name].as_str() {
            Some(s)
                if !s.trim().is_empty() && s.len() <= 512 && !s.chars().any(char::is_control) =>
            {
                Ok(s.to_owned())
            }
            _ => Err(not_sa(&format!("the key file lacks a valid \"{name}\""))),
        }
    };
    let client_email = field("client_email")?;
    let client_id = field("client_id")?;
    if !client_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_sa("client_id is not the service account's numeric client ID"));
    }
    let private_key_id = field("private_key_id")?;
    let token_uri = field("token_uri")?;
    crate::url::endpoint("token_uri", &token_uri)?;
    let project_id = k["project_id"].as_str().map(str::to_owned);
    // Moved out of the document, not copied.
    let private_key = match k.take_string("private_key") {
        Ok(Some(p)) if !p.is_empty() => Secret::from(p),
        _ => return Err(not_sa("the key file has no \"private_key\"")),
    };
    load_key(&pkcs8_of(private_key.expose())?.0)?;
    Ok(KeyFile {
        client_email,
        client_id,
        private_key_id,
        private_key,
        token_uri,
        project_id,
    })
}

/// The DER bytes of a PEM "PRIVATE KEY" (PKCS#8), wiped when dropped.
pub fn pkcs8_of(pem: &str) -> Result<Wiped> {
    let unreadable = |why: &str| Error::KeyUnreadable(format!("private_key: {why}"));
    for (label, err) in [
        ("RSA PRIVATE KEY", "a PKCS#1 key; Google's key files hold PKCS#8 (convert: openssl pkcs8 -topk8 -nocrypt)"),
        ("ENCRYPTED PRIVATE KEY", "an encrypted key; Google's key files are not encrypted"),
    ] {
        if pem.contains(&format!("-----BEGIN {label}-----")) {
            return Err(unreadable(err));
        }
    }
    if pem.contains("-----BEGIN EC PRIVATE KEY-----") {
        return Err(Error::KeyNotRsa("private_key is an EC key; Google's service-account keys are RSA".into()));
    }
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let body = pem
        .split_once(BEGIN)
        .and_then(|(_, rest)| rest.split_once(END))
        .map(|(b, _)| b)
        .ok_or_else(|| unreadable("no \"-----BEGIN PRIVATE KEY-----\" … \"-----END PRIVATE KEY-----\" block"))?;
    let b64: Wiped = Wiped(body.bytes().filter(|b| !b.is_ascii_whitespace()).collect());
    STANDARD.decode(&b64.0).map(Wiped).map_err(|_| unreadable("the PEM block is not valid base64 (damaged when copied?)"))
}

/// The RSA key for signing, with a clear code for what ring refuses.
pub fn load_key(pkcs8: &[u8]) -> Result<RsaKeyPair> {
    RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| match e.to_string().as_str() {
        "WrongAlgorithm" => Error::KeyNotRsa("private_key is not an RSA key (Google's service-account keys are RSA)".into()),
        "TooSmall" | "TooLarge" | "PrivateModulusLenNotMultipleOf512Bits" => Error::KeySize(
            "private_key: the RSA key must have 2048 to 4096 bits (Google creates 2048-bit keys)".into(),
        ),
        other => Error::KeyUnreadable(format!("private_key is not a usable PKCS#8 RSA key ({other})")),
    })
}

/// The scopes asked for by the grant: the calendar ones of the `scopes`
/// option (openid/email/profile mean nothing to a service account).
pub fn grant_scopes(scopes: &str) -> Vec<&str> {
    scopes.split_whitespace().filter(|s| s.starts_with("https://")).collect()
}

/// The signed assertion: header `{"alg":"RS256","typ":"JWT","kid":…}`,
/// claims iss/scope/aud/iat/exp/sub.
pub fn assertion(key: &KeyFile, signer: &RsaKeyPair, scopes: &[&str], subject: &str, now: i64, rng: &dyn ring::rand::SecureRandom) -> Result<Secret> {
    let mut h = crate::json::Writer::with_capacity(96);
    h.begin_object();
    h.key("alg");
    h.string("RS256");
    h.key("kid");
    h.string(&key.private_key_id);
    h.key("typ");
    h.string("JWT");
    h.end_object();
    let iat = u32::try_from(now).map_err(|_| Error::ClockNotSet("the clock is outside 1970..2106".into()))?;
    let exp = iat.saturating_add(ASSERTION_LIFETIME_SECS as u32);
    let mut c = crate::json::Writer::with_capacity(256);
    c.begin_object();
    c.key("aud");
    c.string(&key.token_uri);
    c.key("exp");
    c.uint(exp.into());
    c.key("iat");
    c.uint(iat.into());
    c.key("iss");
    c.string(&key.client_email);
    c.key("scope");
    c.string(&scopes.join(" "));
    c.key("sub");
    c.string(subject);
    c.end_object();
    let mut input = URL_SAFE_NO_PAD.encode(&h.buf);
    input.push('.');
    input.push_str(&URL_SAFE_NO_PAD.encode(&c.buf));
    let mut sig = vec![0u8; signer.public().modulus_len()];
    signer
        .sign(&RSA_PKCS1_SHA256, rng, input.as_bytes(), &mut sig)
        .map_err(|_| Error::Internal("RSA signing failed".into()))?;
    input.push('.');
    input.push_str(&URL_SAFE_NO_PAD.encode(&sig));
    Ok(Secret::new(input))
}

/// The token request's form body.
pub fn grant_form(assertion: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", JWT_BEARER)
        .append_pair("assertion", assertion)
        .finish()
}

/// A refused grant, diagnosed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// `invalid_grant` "Invalid email or User ID" (or "Not a valid email"):
    /// the subject is not a user of the domain.
    NotAUser(Error),
    Other(Error),
}

/// What the admin must do, by Google's exact answer to the JWT grant.
pub fn diagnose(status: u16, body: &[u8], client_id: &str, scopes: &[&str]) -> Refused {
    let Some(b) = json::parse(body).filter(|b| b["error"].as_str().is_some()) else {
        return Refused::Other(crate::oauth::classify_token_error(status, body));
    };
    let error = b["error"].as_str().unwrap_or_default();
    let description = b["error_description"].as_str().unwrap_or_default();
    let desc = crate::oauth::printable(description);
    let google = format!("(Google: {} \"{desc}\")", crate::oauth::printable(error));
    match error {
        "invalid_grant" if desc.starts_with("Invalid email or User ID") || desc.starts_with("Not a valid email") => {
            Refused::NotAUser(Error::NotADomainUser(format!("not a user of the Workspace domain {google}")))
        }
        "invalid_grant" if desc.contains("Invalid JWT Signature") => Refused::Other(Error::KeyRejected(format!(
            "the service account key was deleted or disabled: create a new JSON key (IAM > Service accounts > Keys) and enter it {google}"
        ))),
        "invalid_grant" if desc.contains("short-lived token") || desc.contains("reasonable timeframe") => {
            Refused::Other(Error::ClockNotSet(format!(
                "time not synchronized: Google finds the PBX clock off (JWT iat/exp); check NTP {google}"
            )))
        }
        "unauthorized_client" => Refused::Other(Error::DelegationMissing(format!(
            "domain-wide delegation missing: in Admin console > Security > API controls > Domain-wide delegation add client ID {client_id} with scopes {} {google}",
            scopes.join(",")
        ))),
        "disabled_client" => Refused::Other(Error::KeyRejected(format!(
            "the service account or its key is disabled in Google Cloud Console: enable it or create a new key {google}"
        ))),
        "invalid_grant" => Refused::Other(Error::KeyRejected(format!(
            "Google refused the service account's signed request: check the key file (token_uri, client_email) {google}"
        ))),
        _ => Refused::Other(crate::oauth::oauth_error(status, error, description, "")),
    }
}

/// Which user a meeting impersonates: its host when the host's e-mail is
/// in the default subject's domain, else the default subject. The flag
/// says the host was not used (the host stays a plain attendee).
pub fn subject_for<'a>(host_email: Option<&'a str>, default_subject: &'a str) -> (&'a str, bool) {
    let domain = |e: &str| e.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase());
    match host_email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(h) if h.eq_ignore_ascii_case(default_subject) => (default_subject, false),
        Some(h) if domain(h).is_some() && domain(h) == domain(default_subject) => (h, false),
        Some(_) => (default_subject, true),
        None => (default_subject, false),
    }
}

/// Access tokens per impersonated user, least recently used dropped past
/// `TOKEN_CACHE_ENTRIES`; times are monotonic milliseconds. Kept in memory
/// only: a new token costs one RSA signature and one request (see README,
/// "Workspace mode"). Also remembers, per user, the last refusal (for the
/// status page, no secret) and users that are not in the domain.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Vec<Cached>,
    tick: u64,
    /// (user, code, text, unix time) of the last refusal per user, newest last.
    pub failures: Vec<(String, i32, String, i64)>,
    /// Users Google said are not in the domain, until (monotonic ms).
    not_users: Vec<(String, u64)>,
}

#[derive(Debug)]
struct Cached {
    subject: String,
    token: Secret,
    deadline_ms: u64,
    used: u64,
}

/// Refusals remembered for the status page.
const MAX_FAILURES: usize = 16;

impl TokenCache {
    /// A token of `subject` with more than `margin_ms` left.
    pub fn get(&mut self, subject: &str, now_ms: u64, margin_ms: u64) -> Option<Secret> {
        self.tick += 1;
        let tick = self.tick;
        let e = self.entries.iter_mut().find(|e| e.subject.eq_ignore_ascii_case(subject))?;
        if e.deadline_ms <= now_ms.saturating_add(margin_ms) {
            return None;
        }
        e.used = tick;
        Some(e.token.clone())
    }

    pub fn put(&mut self, subject: &str, token: Secret, deadline_ms: u64) {
        self.tick += 1;
        self.forget(subject);
        if self.entries.len() >= TOKEN_CACHE_ENTRIES {
            if let Some(i) = self.entries.iter().enumerate().min_by_key(|(_, e)| e.used).map(|(i, _)| i) {
                self.entries.swap_remove(i);
            }
        }
        self.entries.push(Cached { subject: subject.to_owned(), token, deadline_ms, used: self.tick });
        self.failures.retain(|f| !f.0.eq_ignore_ascii_case(subject));
    }

    pub fn forget(&mut self, subject: &str) {
        self.entries.retain(|e| !e.subject.eq_ignore_ascii_case(subject));
    }

    pub fn clear(&mut self) {
        *self = TokenCache::default();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn note_failure(&mut self, subject: &str, code: i32, text: String, at: i64) {
        self.failures.retain(|f| !f.0.eq_ignore_ascii_case(subject));
        self.failures.push((subject.to_owned(), code, text, at));
        let excess = self.failures.len().saturating_sub(MAX_FAILURES);
        self.failures.drain(..excess);
    }

    pub fn note_not_a_user(&mut self, subject: &str, now_ms: u64) {
        self.not_users.retain(|(s, until)| !s.eq_ignore_ascii_case(subject) && *until > now_ms);
        self.not_users.push((subject.to_owned(), now_ms + NOT_A_USER_TTL_MS));
        let excess = self.not_users.len().saturating_sub(TOKEN_CACHE_ENTRIES);
        self.not_users.drain(..excess);
    }

    pub fn is_not_a_user(&self, subject: &str, now_ms: u64) -> bool {
        self.not_users.iter().any(|(s, until)| s.eq_ignore_ascii_case(subject) && *until > now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A 2048-bit RSA test key (PKCS#8), made for these tests only.
    const TEST_KEY: &str = include_str!("../../tests/fixtures/sa_test_key.pem");

    fn key_json(pem: &str) -> String {
        serde_json::json!({
            "type": "service_account", "project_id": "pbx-123",
            "private_key_id": "abc123", "private_key": pem,
            "client_email": "pbx@pbx-123.iam.gserviceaccount.com", "client_id": "112233445566778899001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
        })
        .to_string()
    }

    #[test]
    fn key_files_are_checked() {
        let k = parse_key_file(&key_json(TEST_KEY)).unwrap();
        assert_eq!(k.client_id, "112233445566778899001");
        assert!(format!("{k:?}").contains("redacted") || !format!("{k:?}").contains("BEGIN"));
        let code = |j: &str| parse_key_file(j).unwrap_err().code();
        use crate::errors::*;
        assert_eq!(code("{"), GS_GCAL_NOT_SERVICE_ACCOUNT_KEY);
        assert_eq!(code(r#"{"type":"authorized_user"}"#), GS_GCAL_NOT_SERVICE_ACCOUNT_KEY);
        assert_eq!(code(r#"{"web":{"client_id":"x"}}"#), GS_GCAL_NOT_SERVICE_ACCOUNT_KEY);
        assert_eq!(code(&key_json("junk")), GS_GCAL_KEY_UNREADABLE);
        assert_eq!(code(&key_json(&TEST_KEY.replace("MII", "M*I"))), GS_GCAL_KEY_UNREADABLE);
        assert_eq!(code(&key_json("-----BEGIN RSA PRIVATE KEY-----\nAA\n-----END RSA PRIVATE KEY-----")), GS_GCAL_KEY_UNREADABLE);
        // An EC P-256 key in PKCS#8.
        let rng = ring::rand::SystemRandom::new();
        let ec = ring::signature::EcdsaKeyPair::generate_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", STANDARD.encode(ec.as_ref()));
        assert_eq!(code(&key_json(&pem)), GS_GCAL_KEY_NOT_RSA);
    }

    #[test]
    fn assertion_is_a_verifiable_rs256_jwt() {
        let k = parse_key_file(&key_json(TEST_KEY)).unwrap();
        let signer = load_key(&pkcs8_of(k.private_key.expose()).unwrap().0).unwrap();
        let rng = ring::rand::SystemRandom::new();
        let scopes = grant_scopes(crate::oauth::DEFAULT_SCOPES);
        assert_eq!(scopes.len(), 3);
        let a = assertion(&k, &signer, &scopes, "ann@example.com", 1_700_000_000, &rng).unwrap();
        let parts: Vec<&str> = a.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header, serde_json::json!({"alg":"RS256","typ":"JWT","kid":"abc123"}));
        let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "pbx@pbx-123.iam.gserviceaccount.com");
        assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
        assert_eq!(claims["sub"], "ann@example.com");
        assert_eq!(claims["iat"], 1_700_000_000);
        assert_eq!(claims["exp"], 1_700_003_600);
        assert_eq!(claims["scope"], scopes.join(" "));
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let public = ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, signer.public().as_ref());
        public.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig).unwrap();
        assert!(grant_form("a.b.c").starts_with("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c"));
    }

    #[test]
    fn refusals_are_diagnosed_with_googles_strings() {
        use crate::errors::*;
        let d = |e: &str, desc: &str| diagnose(400, format!(r#"{{"error":"{e}","error_description":"{desc}"}}"#).as_bytes(), "1122", &["https://www.googleapis.com/auth/calendar.events", "https://www.googleapis.com/auth/calendar.readonly"]);
        assert!(matches!(d("invalid_grant", "Invalid email or User ID"), Refused::NotAUser(_)));
        let code = |r: Refused| match r { Refused::Other(e) | Refused::NotAUser(e) => (e.code(), e.to_string()) };
        assert_eq!(code(d("invalid_grant", "Invalid JWT Signature.")).0, GS_GCAL_KEY_REJECTED);
        assert_eq!(code(d("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")).0, GS_GCAL_CLOCK_NOT_SET);
        let (c, text) = code(d("unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."));
        assert_eq!(c, GS_GCAL_DELEGATION_MISSING);
        assert!(text.contains("client ID 1122 with scopes https://www.googleapis.com/auth/calendar.events,https://www.googleapis.com/auth/calendar.readonly"), "{text}");
        assert!(text.len() < 400);
        assert_eq!(code(d("disabled_client", "The OAuth client was disabled.")).0, GS_GCAL_KEY_REJECTED);
        assert_eq!(code(d("invalid_scope", "Invalid OAuth scope or ID token audience provided.")).0, GS_GCAL_INVALID_SCOPE);
    }

    #[test]
    fn hosts_in_the_domain_are_impersonated() {
        let d = "pbx-admin@mycompany.com";
        assert_eq!(subject_for(Some("Ann@MyCompany.com"), d), ("Ann@MyCompany.com", false));
        assert_eq!(subject_for(Some("bob@partner.example"), d), (d, true));
        assert_eq!(subject_for(None, d), (d, false));
        assert_eq!(subject_for(Some(" "), d), (d, false));
    }

    #[test]
    fn the_cache_is_bounded_lru_and_refreshes_early() {
        let mut c = TokenCache::default();
        c.put("a@x.com", Secret::new("ta"), 10_000);
        assert_eq!(c.get("A@x.com", 0, 1000).map(|s| s.expose().to_owned()), Some("ta".into()));
        assert!(c.get("a@x.com", 9_500, 1000).is_none(), "refreshed early");
        for i in 0..TOKEN_CACHE_ENTRIES {
            c.put(&format!("u{i}@x.com"), Secret::new("t"), 10_000);
            if i == 0 {
                c.get("a@x.com", 0, 0);
            }
        }
        assert_eq!(c.len(), TOKEN_CACHE_ENTRIES);
        assert!(c.get("a@x.com", 0, 0).is_some(), "recently used stays");
        assert!(c.get("u0@x.com", 0, 0).is_none(), "least recently used went");
        assert!(c.get("u1@x.com", 0, 0).is_some());
        c.note_not_a_user("z@x.com", 0);
        assert!(c.is_not_a_user("Z@x.com", 1));
        assert!(!c.is_not_a_user("z@x.com", NOT_A_USER_TTL_MS + 1));
    }
}
