//! The device flow ("TVs and Limited Input devices" clients): a user code
//! for the administrator, then polls no faster than Google allows.

use crate::clock::now;
use crate::errors::{Error, Result};
use crate::handle::Handle;
use crate::log::log_at;
use crate::oauth::device::{self as device_flow, Poll, Started};
use crate::state::DeviceAuth;
use std::time::Instant;

/// Outcome of one device-flow poll that is not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevicePoll {
    Approved,
    Pending,
}

impl Handle {
    /// Starts the device flow: Google's user code and verification URL
    /// for the admin. Replaces any earlier device authorization.
    pub fn device_start(&mut self) -> Result<Started> {
        let client = self.state.client.clone().ok_or(Error::NotConfigured)?;
        self.online()?;
        self.flush_revocations();
        // Issue 16 A2: on invalid_scope, the next scope set (documented
        // order, `device_flow::scope_sets`); the one accepted is logged and
        // shown in the status (device.scopes), the granted one after approval
        // (granted_scopes).
        let configured = self.config.scopes.clone();
        let sets = device_flow::scope_sets(&configured);
        let mut refused = Vec::new();
        let mut accepted = None;
        for scopes in &sets {
            // Google's device endpoint takes no secret: the form never has one.
            let url = self.config.device_endpoint.clone();
            let reply = self.client_request(&url, &client, |_| device_flow::start_form(&client.client_id, scopes))?;
            match device_flow::parse_start(reply.status, &reply.body) {
                Ok(started) => {
                    accepted = Some((started, scopes.to_string()));
                    break;
                }
                Err(Error::InvalidScope(why)) => {
                    log_at!(self.log, Warn, "device flow: Google refused the scope set \"{scopes}\": {why}");
                    refused.push(scopes.to_string());
                }
                Err(e) => return Err(e),
            }
        }
        let Some((started, scopes)) = accepted else {
            return Err(Error::InvalidScope(format!(
                "Google refused every Calendar scope set for the device flow ({} tried): use a Web \
                 application client and Get Authorization Code instead (the log names each set)",
                refused.len()
            )));
        };
        log_at!(self.log, Info, "device flow: Google accepted the scope set \"{scopes}\"{}",
            if crate::oauth::is_read_only(&scopes) { " (read-only mode: pushes answer GS_GCAL_READ_ONLY_GRANT)" } else { "" });
        let mut next = self.state.clone();
        next.device = Some(DeviceAuth {
            device_code: started.device_code.clone(),
            user_code: started.user_code.clone(),
            verification_url: started.verification_url.clone(),
            expires_at: now() + i64::from(started.expires_in),
            interval: started.interval,
            scopes,
        });
        self.commit(next)?;
        self.auth.last_device_poll = None;
        Ok(started)
    }

    /// At most one poll, never before the interval has passed.
    pub fn device_poll(&mut self) -> Result<DevicePoll> {
        let client = self.state.client.clone().ok_or(Error::NotConfigured)?;
        let dev = self.state.device.clone().ok_or(Error::DeviceNotStarted)?;
        if now() >= dev.expires_at {
            self.forget_device()?;
            return Err(Error::DeviceCodeExpired(
                "the user code expired before it was approved: start again for a new code".into(),
            ));
        }
        let last = self.auth.last_device_poll.map(|t| self.millis(t));
        if !device_flow::poll_due(last, dev.interval, self.millis(Instant::now())) {
            return Ok(DevicePoll::Pending);
        }
        self.online()?;
        self.auth.last_device_poll = Some(Instant::now());
        let reply = self.token_request(&client, |secret| {
            device_flow::poll_form(&client.client_id, secret, dev.device_code.expose())
        })?;
        match device_flow::parse_poll(reply.status, &reply.body) {
            Ok(Poll::Approved(t)) => {
                let next = self.state.clone();
                // The device endpoint accepted this scope set.
                self.adopt_grant(next, t, &dev.scopes, reply.date)?;
                Ok(DevicePoll::Approved)
            }
            Ok(Poll::Pending) => Ok(DevicePoll::Pending),
            Ok(Poll::SlowDown) => {
                let mut next = self.state.clone();
                if let Some(d) = next.device.as_mut() {
                    d.interval += device_flow::SLOW_DOWN_STEP;
                }
                self.commit(next)?;
                Ok(DevicePoll::Pending)
            }
            Err(e @ (Error::AccessDenied(_) | Error::DeviceCodeExpired(_))) => {
                self.forget_device()?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) fn forget_device(&mut self) -> Result<()> {
        let mut next = self.state.clone();
        next.device = None;
        self.auth.last_device_poll = None;
        self.commit(next)
    }
}
