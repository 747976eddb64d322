//! The one error type. Every variant maps to exactly one C result code
//! (`ffi::result`), and its text is what `gs_gcal_last_error` shows: it must
//! help an administrator and must never contain a secret.

use std::fmt;

/// What went wrong, with a human-readable detail.
///
/// Details name fields, URLs without query strings, Google's error codes and
/// descriptions — never client secrets, codes or tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // caller errors
    NullArgument(&'static str),
    InvalidUtf8(&'static str),
    BufferTooSmall { needed: usize },
    InvalidArgument(String),
    TooLong { field: &'static str, max: usize },
    StructSize(String),
    InvalidTime(String),
    InvalidTimeZone(String),
    InvalidEmail(String),
    // configuration
    UnknownOption(String),
    InvalidOptionValue(String),
    InsecureUrl(String),
    CaFile(String),
    NotConfigured,
    NotSynced(String),
    // authorization
    NotAuthorized,
    ReauthRequired(String),
    StateMismatch(String),
    AccessDenied(String),
    InvalidGrant(String),
    InvalidClient(String),
    DeletedClient(String),
    UnauthorizedClient(String),
    RedirectUriMismatch(String),
    OAuthInvalidRequest(String),
    AdminPolicyEnforced(String),
    OrgInternal(String),
    InvalidScope(String),
    NoRefreshToken,
    ScopeNotGranted(String),
    OAuthOther(String),
    CodeAlreadyUsed,
    DeviceCodeExpired(String),
    DeviceNotStarted,
    // network
    Connect(String),
    Timeout(String),
    NetworkIo(String),
    HttpProtocol(String),
    ResponseTooLarge(String),
    // TLS
    Tls(String),
    CertUntrusted(String),
    ClockNotSet(String),
    // Google API
    ApiBadRequest(String),
    ApiUnauthorized(String),
    ApiForbidden(String),
    /// Rate limited; `retry_after` is Google's Retry-After in seconds.
    ApiRateLimited { text: String, retry_after: Option<u64> },
    /// Calendar usage limits (403 quotaExceeded): a long pause, not a retry.
    ApiQuotaExceeded(String),
    /// The Calendar API is not enabled in the client's Cloud project
    /// (403 accessNotConfigured): waits for the administrator.
    ApiNotEnabled(String),
    ApiNotFound(String),
    ApiConflict(String),
    ApiServerError(String),
    ApiBadResponse(String),
    // storage
    StorageIo(String),
    StateCorrupt(String),
    StateLocked(String),
    /// The state directory was written by a newer library version.
    StateTooNew(String),
    BackupMalformed(String),
    BackupUnauthentic,
    OutboxFull(String),
    // internal
    Internal(String),
    /// Not an error: stored in the outbox for `gs_gcal_sync`, because of
    /// the inner error (network, rate limit, authorization...).
    Queued(Box<Error>),
}

pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        match self {
            NullArgument(what) => write!(f, "{what} must not be NULL"),
            InvalidUtf8(what) => write!(f, "{what} is not valid NUL-terminated UTF-8"),
            BufferTooSmall { needed } => write!(f, "buffer too small: {needed} bytes needed"),
            TooLong { field, max } => write!(f, "{field} is longer than {max} bytes"),
            NotConfigured => f.write_str(
                "no OAuth client configured: enter the client ID, client secret and redirect URI first",
            ),
            NotAuthorized => f.write_str(
                "not authorized: open the authorization link, allow access and paste the code",
            ),
            CodeAlreadyUsed => f.write_str(
                "this authorization code was already redeemed (codes are single-use): the PBX is \
                 authorized if that earlier attempt succeeded; otherwise get a new code",
            ),
            DeviceNotStarted => f.write_str(
                "no device authorization in progress: start one first (gs_gcal_device_start)",
            ),
            Queued(why) => write!(f, "queued, gs_gcal_sync will send it: {why}"),
            BackupUnauthentic => f.write_str(
                "the backup cannot be opened: wrong passphrase, or the backup was modified \
                 (the two cannot be told apart); nothing was changed",
            ),
            NoRefreshToken => f.write_str(
                "Google returned no refresh token: remove the app's access in the Google account \
                 (myaccount.google.com/permissions) and authorize again",
            ),
            InvalidArgument(s) | StructSize(s) | InvalidTime(s) | InvalidTimeZone(s)
            | InvalidEmail(s) | UnknownOption(s) | InvalidOptionValue(s) | InsecureUrl(s)
            | CaFile(s) | NotSynced(s) | ReauthRequired(s) | StateMismatch(s) | AccessDenied(s)
            | InvalidGrant(s) | InvalidClient(s) | DeletedClient(s) | UnauthorizedClient(s)
            | RedirectUriMismatch(s) | OAuthInvalidRequest(s) | AdminPolicyEnforced(s)
            | OrgInternal(s) | InvalidScope(s) | ScopeNotGranted(s) | OAuthOther(s)
            | Connect(s) | Timeout(s) | NetworkIo(s) | HttpProtocol(s) | ResponseTooLarge(s)
            | Tls(s) | CertUntrusted(s) | ClockNotSet(s) | DeviceCodeExpired(s)
            | BackupMalformed(s) | OutboxFull(s) | ApiBadRequest(s) | ApiUnauthorized(s)
            | ApiForbidden(s) | ApiRateLimited { text: s, .. } | ApiQuotaExceeded(s)
            | ApiNotEnabled(s) | ApiNotFound(s) | ApiConflict(s)
            | ApiServerError(s) | ApiBadResponse(s) | StorageIo(s) | StateCorrupt(s)
            | StateLocked(s) | StateTooNew(s) | Internal(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for Error {}
