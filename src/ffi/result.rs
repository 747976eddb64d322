//! Result codes: fixed-width, grouped in spaced ranges, never renumbered.
//! A retired code stays reserved. Ranges:
//! 0 ok · 1–99 pending-like (not errors) · 100 caller · 200 configuration ·
//! 300 authorization · 400 network · 500 TLS · 600 Google API ·
//! 700 storage · 900 internal.

use crate::error::Error;
use std::ffi::CStr;

/// Every function returns this (not a C `enum`: its width differs with
/// `-fshort-enums` on ARM).
#[allow(non_camel_case_types)]
pub type gs_gcal_result = i32;

/// Success.
pub const GS_GCAL_OK: gs_gcal_result = 0;

/// Not finished yet, not an error: the device-flow user has not approved
/// yet; poll again after the interval.
pub const GS_GCAL_PENDING: gs_gcal_result = 1;

/// Not done yet, not an error: Google could not be reached or refused for
/// now; the push or cancel is stored durably and `gs_gcal_sync` sends it.
/// The reason is in the last error.
pub const GS_GCAL_QUEUED: gs_gcal_result = 2;

/// A required pointer argument was NULL.
pub const GS_GCAL_NULL_ARGUMENT: gs_gcal_result = 100;
/// A string argument was not valid UTF-8.
pub const GS_GCAL_INVALID_UTF8: gs_gcal_result = 101;
/// The caller's buffer is too small; the needed size (with NUL) is reported.
pub const GS_GCAL_BUFFER_TOO_SMALL: gs_gcal_result = 102;
/// An argument has an impossible value (see the last error for which).
pub const GS_GCAL_INVALID_ARGUMENT: gs_gcal_result = 103;
/// A string argument is longer than its documented limit.
pub const GS_GCAL_TOO_LONG: gs_gcal_result = 104;
/// A struct's `struct_size` is not one this library knows.
pub const GS_GCAL_STRUCT_SIZE: gs_gcal_result = 105;
/// A date or time is malformed or impossible (e.g. end before start).
pub const GS_GCAL_INVALID_TIME: gs_gcal_result = 106;
/// A time zone is not an IANA time zone name.
pub const GS_GCAL_INVALID_TIME_ZONE: gs_gcal_result = 107;
/// An e-mail address is malformed.
pub const GS_GCAL_INVALID_EMAIL: gs_gcal_result = 108;

/// `gs_gcal_set_option` was given a key it does not know.
pub const GS_GCAL_UNKNOWN_OPTION: gs_gcal_result = 200;
/// An option value is out of range or malformed.
pub const GS_GCAL_INVALID_OPTION_VALUE: gs_gcal_result = 201;
/// An endpoint URL is not HTTPS and its host is not loopback.
pub const GS_GCAL_INSECURE_URL: gs_gcal_result = 202;
/// The `ca_file` cannot be read or holds no usable certificate.
pub const GS_GCAL_CA_FILE: gs_gcal_result = 203;
/// No OAuth client is configured (call `gs_gcal_set_client` first).
pub const GS_GCAL_NOT_CONFIGURED: gs_gcal_result = 204;
/// The calendar is not in "read_calendars" or has not been synced yet.
pub const GS_GCAL_NOT_SYNCED: gs_gcal_result = 205;

/// The handle has no tokens: the administrator must authorize.
pub const GS_GCAL_NOT_AUTHORIZED: gs_gcal_result = 300;
/// Authorization expired or was revoked: the administrator must re-authorize.
pub const GS_GCAL_REAUTH_REQUIRED: gs_gcal_result = 301;
/// A pasted redirect URL's `state` matches no link this handle issued.
pub const GS_GCAL_STATE_MISMATCH: gs_gcal_result = 302;
/// The user denied access on Google's consent screen.
pub const GS_GCAL_ACCESS_DENIED: gs_gcal_result = 303;
/// Google rejected the code or grant (`invalid_grant`: wrong, used or expired).
pub const GS_GCAL_INVALID_GRANT: gs_gcal_result = 304;
/// Google does not know the client ID or the secret is wrong (`invalid_client`).
pub const GS_GCAL_INVALID_CLIENT: gs_gcal_result = 305;
/// The OAuth client was deleted in Google Cloud (`deleted_client`).
pub const GS_GCAL_DELETED_CLIENT: gs_gcal_result = 306;
/// The token belongs to another client (`unauthorized_client`).
pub const GS_GCAL_UNAUTHORIZED_CLIENT: gs_gcal_result = 307;
/// The redirect URI is not registered for the client (`redirect_uri_mismatch`).
pub const GS_GCAL_REDIRECT_URI_MISMATCH: gs_gcal_result = 308;
/// Google called the request malformed (`invalid_request`), e.g. a missing secret.
pub const GS_GCAL_OAUTH_INVALID_REQUEST: gs_gcal_result = 309;
/// A Workspace administrator blocks this app or scope (`admin_policy_enforced`).
pub const GS_GCAL_ADMIN_POLICY_ENFORCED: gs_gcal_result = 310;
/// The app is internal to another organization (`org_internal`).
pub const GS_GCAL_ORG_INTERNAL: gs_gcal_result = 311;
/// A requested scope is invalid for this client or flow (`invalid_scope`).
pub const GS_GCAL_INVALID_SCOPE: gs_gcal_result = 312;
/// Google granted access but returned no refresh token.
pub const GS_GCAL_NO_REFRESH_TOKEN: gs_gcal_result = 313;
/// The user did not grant a scope the integration needs.
pub const GS_GCAL_SCOPE_NOT_GRANTED: gs_gcal_result = 314;
/// Any other OAuth error from Google (its code is in the last error).
pub const GS_GCAL_OAUTH_ERROR: gs_gcal_result = 315;
/// This authorization code was already redeemed (codes are single-use).
pub const GS_GCAL_CODE_ALREADY_USED: gs_gcal_result = 316;
/// The device-flow user code expired before approval: start again.
pub const GS_GCAL_DEVICE_CODE_EXPIRED: gs_gcal_result = 317;
/// `gs_gcal_device_poll` without a device authorization in progress.
pub const GS_GCAL_DEVICE_NOT_STARTED: gs_gcal_result = 318;

/// DNS lookup or TCP connect failed.
pub const GS_GCAL_CONNECT_FAILED: gs_gcal_result = 400;
/// A timeout expired (connect or whole call).
pub const GS_GCAL_TIMEOUT: gs_gcal_result = 401;
/// The connection failed while sending or receiving.
pub const GS_GCAL_NETWORK_IO: gs_gcal_result = 402;
/// The server's HTTP was malformed.
pub const GS_GCAL_HTTP_PROTOCOL: gs_gcal_result = 403;
/// A response exceeded the size limit.
pub const GS_GCAL_RESPONSE_TOO_LARGE: gs_gcal_result = 404;

/// The TLS handshake failed.
pub const GS_GCAL_TLS_FAILED: gs_gcal_result = 500;
/// The server's certificate is not trusted (unknown CA, wrong name, expired).
pub const GS_GCAL_CERT_UNTRUSTED: gs_gcal_result = 501;
/// The system clock is not set (earlier than this library's build, or a
/// certificate "not valid yet"): wait for NTP.
pub const GS_GCAL_CLOCK_NOT_SET: gs_gcal_result = 502;

/// Google rejected the request as invalid (HTTP 400).
pub const GS_GCAL_API_BAD_REQUEST: gs_gcal_result = 600;
/// Google rejected the credentials (HTTP 401) even after a token refresh.
pub const GS_GCAL_API_UNAUTHORIZED: gs_gcal_result = 601;
/// Google refused the operation (HTTP 403, not a rate limit).
pub const GS_GCAL_API_FORBIDDEN: gs_gcal_result = 602;
/// Google's rate limits were hit (HTTP 429, or 403 rate-limit reasons).
pub const GS_GCAL_API_RATE_LIMITED: gs_gcal_result = 603;
/// The calendar or event does not exist (HTTP 404).
pub const GS_GCAL_API_NOT_FOUND: gs_gcal_result = 604;
/// The event id is taken by an event this PBX did not create (HTTP 409).
pub const GS_GCAL_API_CONFLICT: gs_gcal_result = 605;
/// Google failed (HTTP 5xx).
pub const GS_GCAL_API_SERVER_ERROR: gs_gcal_result = 606;
/// Google's answer could not be understood.
pub const GS_GCAL_API_BAD_RESPONSE: gs_gcal_result = 607;
/// Google's Calendar usage limits are exhausted (403 quotaExceeded): writes
/// pause for a long while.
pub const GS_GCAL_API_QUOTA_EXCEEDED: gs_gcal_result = 608;
/// The Google Calendar API is not enabled in the OAuth client's Google
/// Cloud project (403 accessNotConfigured): pushes wait in the outbox until
/// the administrator enables it.
pub const GS_GCAL_API_NOT_ENABLED: gs_gcal_result = 609;

/// Reading or writing the state directory failed.
pub const GS_GCAL_STORAGE_IO: gs_gcal_result = 700;
/// The state file is damaged or of an unknown version; it was left untouched.
pub const GS_GCAL_STATE_CORRUPT: gs_gcal_result = 701;
/// Another handle or process already has this state directory open.
pub const GS_GCAL_STATE_LOCKED: gs_gcal_result = 702;
/// The backup blob is not one of ours (truncated, wrong format or version).
pub const GS_GCAL_BACKUP_MALFORMED: gs_gcal_result = 703;
/// Wrong passphrase, or the backup was modified; nothing was changed.
pub const GS_GCAL_BACKUP_UNAUTHENTIC: gs_gcal_result = 704;
/// The outbox is full: the operation was not stored (nothing is dropped
/// silently); let `gs_gcal_sync` drain it first.
pub const GS_GCAL_OUTBOX_FULL: gs_gcal_result = 705;
/// The state directory was written by a newer gs-gcal (a downgrade): it
/// was left untouched; install that version again.
pub const GS_GCAL_STATE_TOO_NEW: gs_gcal_result = 706;

/// A bug in the library (the last error says where); the handle stays usable.
pub const GS_GCAL_INTERNAL: gs_gcal_result = 900;

/// The C code of an error. One arm per variant: adding a variant without a
/// code fails to compile.
pub(crate) fn code_of(e: &Error) -> gs_gcal_result {
    use Error::*;
    match e {
        NullArgument(_) => GS_GCAL_NULL_ARGUMENT,
        InvalidUtf8(_) => GS_GCAL_INVALID_UTF8,
        BufferTooSmall { .. } => GS_GCAL_BUFFER_TOO_SMALL,
        InvalidArgument(_) => GS_GCAL_INVALID_ARGUMENT,
        TooLong { .. } => GS_GCAL_TOO_LONG,
        StructSize(_) => GS_GCAL_STRUCT_SIZE,
        InvalidTime(_) => GS_GCAL_INVALID_TIME,
        InvalidTimeZone(_) => GS_GCAL_INVALID_TIME_ZONE,
        InvalidEmail(_) => GS_GCAL_INVALID_EMAIL,
        UnknownOption(_) => GS_GCAL_UNKNOWN_OPTION,
        InvalidOptionValue(_) => GS_GCAL_INVALID_OPTION_VALUE,
        InsecureUrl(_) => GS_GCAL_INSECURE_URL,
        CaFile(_) => GS_GCAL_CA_FILE,
        NotConfigured => GS_GCAL_NOT_CONFIGURED,
        NotSynced(_) => GS_GCAL_NOT_SYNCED,
        NotAuthorized => GS_GCAL_NOT_AUTHORIZED,
        ReauthRequired(_) => GS_GCAL_REAUTH_REQUIRED,
        StateMismatch(_) => GS_GCAL_STATE_MISMATCH,
        AccessDenied(_) => GS_GCAL_ACCESS_DENIED,
        InvalidGrant(_) => GS_GCAL_INVALID_GRANT,
        InvalidClient(_) => GS_GCAL_INVALID_CLIENT,
        DeletedClient(_) => GS_GCAL_DELETED_CLIENT,
        UnauthorizedClient(_) => GS_GCAL_UNAUTHORIZED_CLIENT,
        RedirectUriMismatch(_) => GS_GCAL_REDIRECT_URI_MISMATCH,
        OAuthInvalidRequest(_) => GS_GCAL_OAUTH_INVALID_REQUEST,
        AdminPolicyEnforced(_) => GS_GCAL_ADMIN_POLICY_ENFORCED,
        OrgInternal(_) => GS_GCAL_ORG_INTERNAL,
        InvalidScope(_) => GS_GCAL_INVALID_SCOPE,
        NoRefreshToken => GS_GCAL_NO_REFRESH_TOKEN,
        ScopeNotGranted(_) => GS_GCAL_SCOPE_NOT_GRANTED,
        OAuthOther(_) => GS_GCAL_OAUTH_ERROR,
        CodeAlreadyUsed => GS_GCAL_CODE_ALREADY_USED,
        DeviceCodeExpired(_) => GS_GCAL_DEVICE_CODE_EXPIRED,
        DeviceNotStarted => GS_GCAL_DEVICE_NOT_STARTED,
        Connect(_) => GS_GCAL_CONNECT_FAILED,
        Timeout(_) => GS_GCAL_TIMEOUT,
        NetworkIo(_) => GS_GCAL_NETWORK_IO,
        HttpProtocol(_) => GS_GCAL_HTTP_PROTOCOL,
        ResponseTooLarge(_) => GS_GCAL_RESPONSE_TOO_LARGE,
        Tls(_) => GS_GCAL_TLS_FAILED,
        CertUntrusted(_) => GS_GCAL_CERT_UNTRUSTED,
        ClockNotSet(_) => GS_GCAL_CLOCK_NOT_SET,
        ApiBadRequest(_) => GS_GCAL_API_BAD_REQUEST,
        ApiUnauthorized(_) => GS_GCAL_API_UNAUTHORIZED,
        ApiForbidden(_) => GS_GCAL_API_FORBIDDEN,
        ApiRateLimited { .. } => GS_GCAL_API_RATE_LIMITED,
        ApiQuotaExceeded(_) => GS_GCAL_API_QUOTA_EXCEEDED,
        ApiNotEnabled(_) => GS_GCAL_API_NOT_ENABLED,
        ApiNotFound(_) => GS_GCAL_API_NOT_FOUND,
        ApiConflict(_) => GS_GCAL_API_CONFLICT,
        ApiServerError(_) => GS_GCAL_API_SERVER_ERROR,
        ApiBadResponse(_) => GS_GCAL_API_BAD_RESPONSE,
        StorageIo(_) => GS_GCAL_STORAGE_IO,
        StateCorrupt(_) => GS_GCAL_STATE_CORRUPT,
        StateLocked(_) => GS_GCAL_STATE_LOCKED,
        BackupMalformed(_) => GS_GCAL_BACKUP_MALFORMED,
        BackupUnauthentic => GS_GCAL_BACKUP_UNAUTHENTIC,
        OutboxFull(_) => GS_GCAL_OUTBOX_FULL,
        StateTooNew(_) => GS_GCAL_STATE_TOO_NEW,
        Internal(_) => GS_GCAL_INTERNAL,
        Queued(_) => GS_GCAL_QUEUED,
    }
}

/// Static text for a code; unknown codes get a generic text, never NULL.
pub(crate) fn strerror(code: gs_gcal_result) -> &'static CStr {
    match code {
        GS_GCAL_OK => c"success",
        GS_GCAL_PENDING => c"pending: not approved yet, poll again later",
        GS_GCAL_QUEUED => c"queued: stored, gs_gcal_sync will send it",
        GS_GCAL_NULL_ARGUMENT => c"a required argument was NULL",
        GS_GCAL_INVALID_UTF8 => c"a string argument is not valid UTF-8",
        GS_GCAL_BUFFER_TOO_SMALL => c"the output buffer is too small",
        GS_GCAL_INVALID_ARGUMENT => c"invalid argument",
        GS_GCAL_TOO_LONG => c"a string argument is too long",
        GS_GCAL_STRUCT_SIZE => c"unknown struct_size: header and library do not match",
        GS_GCAL_INVALID_TIME => c"invalid date or time",
        GS_GCAL_INVALID_TIME_ZONE => c"invalid time zone name",
        GS_GCAL_INVALID_EMAIL => c"invalid e-mail address",
        GS_GCAL_UNKNOWN_OPTION => c"unknown option",
        GS_GCAL_INVALID_OPTION_VALUE => c"invalid option value",
        GS_GCAL_INSECURE_URL => c"endpoint must use https (http only for loopback)",
        GS_GCAL_CA_FILE => c"CA file unreadable or without certificates",
        GS_GCAL_NOT_CONFIGURED => c"OAuth client not configured",
        GS_GCAL_NOT_SYNCED => c"calendar not synced yet",
        GS_GCAL_NOT_AUTHORIZED => c"not authorized with Google",
        GS_GCAL_REAUTH_REQUIRED => c"Google authorization expired or revoked: authorize again",
        GS_GCAL_STATE_MISMATCH => c"the pasted link does not belong to this authorization",
        GS_GCAL_ACCESS_DENIED => c"access was denied on Google's consent screen",
        GS_GCAL_INVALID_GRANT => c"Google rejected the authorization code (wrong, used or expired)",
        GS_GCAL_INVALID_CLIENT => c"Google rejected the OAuth client ID or secret",
        GS_GCAL_DELETED_CLIENT => c"the OAuth client was deleted in Google Cloud",
        GS_GCAL_UNAUTHORIZED_CLIENT => c"the token belongs to another OAuth client",
        GS_GCAL_REDIRECT_URI_MISMATCH => c"the redirect URI is not registered for this client",
        GS_GCAL_OAUTH_INVALID_REQUEST => c"Google called the OAuth request invalid",
        GS_GCAL_ADMIN_POLICY_ENFORCED => c"blocked by the Google Workspace administrator",
        GS_GCAL_ORG_INTERNAL => c"the app is internal to another organization",
        GS_GCAL_INVALID_SCOPE => c"a requested scope is invalid",
        GS_GCAL_NO_REFRESH_TOKEN => c"Google returned no refresh token",
        GS_GCAL_SCOPE_NOT_GRANTED => c"a required permission was not granted",
        GS_GCAL_OAUTH_ERROR => c"Google OAuth error",
        GS_GCAL_CODE_ALREADY_USED => c"this authorization code was already used",
        GS_GCAL_DEVICE_CODE_EXPIRED => c"the device code expired: start again",
        GS_GCAL_DEVICE_NOT_STARTED => c"no device authorization in progress",
        GS_GCAL_CONNECT_FAILED => c"could not connect",
        GS_GCAL_TIMEOUT => c"timed out",
        GS_GCAL_NETWORK_IO => c"network error",
        GS_GCAL_HTTP_PROTOCOL => c"malformed HTTP response",
        GS_GCAL_RESPONSE_TOO_LARGE => c"response too large",
        GS_GCAL_TLS_FAILED => c"TLS handshake failed",
        GS_GCAL_CERT_UNTRUSTED => c"server certificate not trusted",
        GS_GCAL_CLOCK_NOT_SET => c"time not synchronized: the system clock is not set",
        GS_GCAL_API_BAD_REQUEST => c"Google rejected the request",
        GS_GCAL_API_UNAUTHORIZED => c"Google rejected the credentials",
        GS_GCAL_API_FORBIDDEN => c"Google refused the operation",
        GS_GCAL_API_RATE_LIMITED => c"Google rate limit exceeded",
        GS_GCAL_API_NOT_FOUND => c"calendar or event not found",
        GS_GCAL_API_CONFLICT => c"event id already used by another event",
        GS_GCAL_API_SERVER_ERROR => c"Google server error",
        GS_GCAL_API_BAD_RESPONSE => c"unexpected response from Google",
        GS_GCAL_API_QUOTA_EXCEEDED => c"Google Calendar usage limits exceeded",
        GS_GCAL_API_NOT_ENABLED => c"Google Calendar API not enabled in the Cloud project",
        GS_GCAL_STORAGE_IO => c"state directory read/write failed",
        GS_GCAL_STATE_CORRUPT => c"state file damaged or of unknown version",
        GS_GCAL_STATE_LOCKED => c"state directory in use by another handle",
        GS_GCAL_BACKUP_MALFORMED => c"not a gs-gcal backup, or damaged",
        GS_GCAL_BACKUP_UNAUTHENTIC => c"wrong passphrase or modified backup",
        GS_GCAL_OUTBOX_FULL => c"outbox full: operation not stored",
        GS_GCAL_STATE_TOO_NEW => c"state directory written by a newer gs-gcal: left untouched",
        GS_GCAL_INTERNAL => c"internal error",
        _ => c"unknown result code",
    }
}
