//! Fault injection on the Google port (/control/fault): queued faults that
//! matching requests get instead of (or on top of) Google's normal answer.

use std::time::Duration;

use serde_json::{json, Value};

use crate::calendar::{api_err, auth_error, json_response, ApiError};
use crate::http::{Delivery, Request, Response, MAX_MISBEHAVIOUR};
use crate::oauth::oauth_json;
use crate::state::{self, Shared};

/// Largest `oversized` body: big enough for any size limit, small enough to stream quickly.
const MAX_OVERSIZED: u64 = 256 << 20;

#[derive(Clone, Debug)]
pub enum Kind {
    ResetBefore,
    ResetAfter,
    ResetMidResponse,
    StallHeaders(Duration),
    Trickle(u64),
    NeverFinish(Duration),
    DelayAfterApply(Duration),
    Status {
        code: u16,
        body: Option<String>,
        content_type: Option<String>,
        retry_after: Option<String>,
    },
    RateLimit {
        code: u16,
        reason: &'static str,
        retry_after: Option<String>,
    },
    Unauthorized,
    Body {
        status: u16,
        content_type: String,
        text: String,
    },
    Oversized(u64),
    OAuthError {
        status: u16,
        error: String,
        description: String,
    },
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::ResetBefore => "reset_before",
            Kind::ResetAfter => "reset_after",
            Kind::ResetMidResponse => "reset_mid_response",
            Kind::StallHeaders(_) => "stall_headers",
            Kind::Trickle(_) => "trickle",
            Kind::NeverFinish(_) => "never_finish",
            Kind::DelayAfterApply(_) => "delay_after_apply",
            Kind::Status { .. } => "status",
            Kind::RateLimit { .. } => "rate_limit",
            Kind::Unauthorized => "unauthorized",
            Kind::Body { .. } => "body",
            Kind::Oversized(_) => "oversized",
            Kind::OAuthError { .. } => "oauth_error",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Fault {
    pub path_prefix: String,
    /// Upper-case; None matches every method.
    pub method: Option<String>,
    /// Matching requests still to be hit; None = until cleared.
    pub remaining: Option<u64>,
    /// Answer-replacing kinds: process the request first (the write is applied).
    pub apply: bool,
    pub kind: Kind,
}

impl Fault {
    fn matches(&self, req: &Request) -> bool {
        req.path.starts_with(&self.path_prefix)
            && self
                .method
                .as_ref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&req.method))
    }

    pub fn to_json(&self) -> Value {
        json!({
            "match": {"path_prefix": self.path_prefix, "method": self.method},
            "remaining": self.remaining,
            "apply": self.apply,
            "kind": self.kind.name(),
        })
    }
}

fn seconds(v: &Value) -> Result<Duration, String> {
    match v.get("seconds") {
        None => Ok(MAX_MISBEHAVIOUR),
        Some(s) => s
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Duration::from_secs_f64(s).min(MAX_MISBEHAVIOUR))
            .ok_or_else(|| "\"seconds\" must be a number >= 0".into()),
    }
}

fn opt_str(v: &Value, key: &str) -> Result<Option<String>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        // Retry-After: 7 is as natural in JSON as "7".
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("\"{key}\" must be a string")),
    }
}

fn status_code(v: &Value, key: &str, default: u16) -> Result<u16, String> {
    match v.get(key) {
        None => Ok(default),
        Some(c) => c
            .as_u64()
            .filter(|c| (100..=599).contains(c))
            .map(|c| c as u16)
            .ok_or_else(|| format!("\"{key}\" must be an HTTP status code")),
    }
}

/// Parses a `/control/fault` body.
pub fn parse(body: &Value) -> Result<Fault, String> {
    let m = body.get("match").cloned().unwrap_or(json!({}));
    let path_prefix = match m.get("path_prefix") {
        None => "/".to_string(),
        Some(Value::String(p)) if p.starts_with('/') => p.clone(),
        Some(_) => return Err("match.path_prefix must start with '/'".into()),
    };
    let method = opt_str(&m, "method")?.map(|s| s.to_ascii_uppercase());
    let remaining = match body.get("count") {
        None => Some(1),
        Some(c) => match c.as_u64() {
            Some(0) => None,
            Some(n) => Some(n),
            None => return Err("count must be a number >= 0".into()),
        },
    };
    let apply = body
        .get("apply")
        .or_else(|| body.get("fault").and_then(|f| f.get("apply")))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let f = body.get("fault").ok_or("missing \"fault\"")?;
    let kind = match f.get("kind").and_then(Value::as_str).unwrap_or("") {
        "reset_before" => Kind::ResetBefore,
        "reset_after" => Kind::ResetAfter,
        "reset_mid_response" => Kind::ResetMidResponse,
        "stall_headers" => Kind::StallHeaders(seconds(f)?),
        "never_finish" => Kind::NeverFinish(seconds(f)?),
        "delay_after_apply" => Kind::DelayAfterApply(seconds(f)?),
        "trickle" => Kind::Trickle(
            f.get("bytes_per_second")
                .and_then(Value::as_u64)
                .filter(|b| *b > 0)
                .ok_or("trickle needs \"bytes_per_second\" > 0")?,
        ),
        "status" => Kind::Status {
            code: status_code(f, "code", 500)?,
            body: opt_str(f, "body")?,
            content_type: opt_str(f, "content_type")?,
            retry_after: opt_str(f, "retry_after")?,
        },
        "rate_limit" => {
            let reason = match opt_str(f, "reason")?
                .as_deref()
                .unwrap_or("rateLimitExceeded")
            {
                "rateLimitExceeded" => "rateLimitExceeded",
                "userRateLimitExceeded" => "userRateLimitExceeded",
                "quotaExceeded" => "quotaExceeded",
                "forbidden" => "forbidden",
                _ => {
                    return Err("reason must be rateLimitExceeded, userRateLimitExceeded, \
                                quotaExceeded or forbidden"
                        .into())
                }
            };
            Kind::RateLimit {
                code: status_code(f, "code", 403)?,
                reason,
                retry_after: opt_str(f, "retry_after")?,
            }
        }
        "unauthorized" => Kind::Unauthorized,
        "body" => Kind::Body {
            status: status_code(f, "status", 200)?,
            content_type: opt_str(f, "content_type")?
                .unwrap_or_else(|| "application/json; charset=UTF-8".into()),
            text: opt_str(f, "text")?.ok_or("body needs \"text\"")?,
        },
        "oversized" => Kind::Oversized(
            f.get("bytes")
                .and_then(Value::as_u64)
                .filter(|b| *b <= MAX_OVERSIZED)
                .ok_or("oversized needs \"bytes\" <= 268435456")?,
        ),
        "oauth_error" => Kind::OAuthError {
            status: status_code(f, "status", 400)?,
            error: opt_str(f, "error")?.unwrap_or_else(|| "invalid_grant".into()),
            description: opt_str(f, "description")?
                .unwrap_or_else(|| "Token has been expired or revoked.".into()),
        },
        other => return Err(format!("unknown fault kind {other:?}")),
    };
    Ok(Fault {
        path_prefix,
        method,
        remaining,
        apply,
        kind,
    })
}

/// Takes the first queued fault matching `req` (counting it as fired), with its `apply`.
fn take(shared: &Shared, req: &Request) -> Option<(Kind, bool)> {
    let mut st = state::lock(shared);
    let i = st.faults.iter().position(|f| f.matches(req))?;
    let f = &mut st.faults[i];
    let taken = (f.kind.clone(), f.apply);
    match &mut f.remaining {
        Some(n) if *n <= 1 => {
            st.faults.remove(i);
        }
        Some(n) => *n -= 1,
        None => {}
    }
    st.count(&format!("fault.{}", taken.0.name()));
    Some(taken)
}

/// Google's body for a 5xx: JSON from the API, an HTML page from the front end (502).
fn server_error(code: u16) -> Response {
    match code {
        502 => Response::new(
            502,
            "text/html; charset=UTF-8",
            "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  \
             <title>Error 502 (Server Error)!!1</title>\n  \
             <p><b>502.</b> <ins>That\u{2019}s an error.</ins>\n  \
             <p>The server encountered a temporary error and could not complete your request.\
             <p>Please try again in 30 seconds.  <ins>That\u{2019}s all we know.</ins>\n",
        ),
        503 => json_response(
            503,
            &api_err(
                503,
                "global",
                "backendError",
                "The service is currently unavailable.",
            )
            .to_value(),
        ),
        c => json_response(
            c,
            &api_err(c, "global", "backendError", "Backend Error").to_value(),
        ),
    }
}

fn rate_limit(code: u16, reason: &'static str) -> Response {
    let (domain, message) = match reason {
        "rateLimitExceeded" => ("usageLimits", "Rate Limit Exceeded"),
        "userRateLimitExceeded" => ("usageLimits", "User Rate Limit Exceeded"),
        "quotaExceeded" => ("usageLimits", "Calendar usage limits exceeded."),
        _ => ("global", "Forbidden"),
    };
    let e: ApiError = api_err(code, domain, reason, message);
    json_response(code, &e.to_value())
}

/// Runs `handler` on `req` unless a queued fault says otherwise.
pub fn intercept(
    shared: &Shared,
    req: &Request,
    handler: impl Fn(&Request) -> Response,
) -> Response {
    let Some((kind, apply)) = take(shared, req) else {
        return handler(req);
    };
    let name = kind.name();
    let processed = |delivery: Delivery| {
        let mut r = handler(req);
        r.delivery = delivery;
        r
    };
    let mut resp = match kind {
        Kind::ResetBefore => {
            let mut r = Response::new(0, "text/plain", "");
            r.delivery = Delivery::Drop;
            r
        }
        Kind::ResetAfter => processed(Delivery::Drop),
        Kind::ResetMidResponse => processed(Delivery::Cut),
        Kind::StallHeaders(d) => processed(Delivery::Stall(d)),
        Kind::Trickle(bps) => processed(Delivery::Trickle(bps)),
        Kind::NeverFinish(d) => processed(Delivery::NeverFinish(d)),
        Kind::DelayAfterApply(d) => processed(Delivery::Delay(d)),
        replacing => {
            if apply {
                // The write happens; only its answer is replaced.
                let _ = handler(req);
            }
            match replacing {
                Kind::Status {
                    code,
                    body,
                    content_type,
                    retry_after,
                } => {
                    let mut r = match body {
                        None => server_error(code),
                        Some(b) => {
                            let ct = content_type.unwrap_or_else(|| {
                                if serde_json::from_str::<Value>(&b).is_ok() {
                                    "application/json; charset=UTF-8".into()
                                } else {
                                    "text/html; charset=UTF-8".into()
                                }
                            });
                            Response::new(code, &ct, b)
                        }
                    };
                    if let Some(ra) = retry_after {
                        r = r.with_header("Retry-After", &ra);
                    }
                    r
                }
                Kind::RateLimit {
                    code,
                    reason,
                    retry_after,
                } => {
                    let r = rate_limit(code, reason);
                    match retry_after {
                        Some(ra) => r.with_header("Retry-After", &ra),
                        None => r,
                    }
                }
                Kind::Unauthorized => auth_error().into_response(),
                Kind::Body {
                    status,
                    content_type,
                    text,
                } => Response::new(status, &content_type, text),
                Kind::Oversized(n) => {
                    let mut r = Response::new(200, "application/json; charset=UTF-8", "");
                    r.delivery = Delivery::Oversized(n);
                    r
                }
                Kind::OAuthError {
                    status,
                    error,
                    description,
                } => oauth_json(
                    status,
                    &json!({"error": error, "error_description": description}),
                ),
                // The connection-level kinds were handled above.
                _ => server_error(500),
            }
        }
    };
    resp.fault = Some(name);
    resp
}
