//! gs-gcal: the Google Calendar integration of IP-PBX firmware, as a C
//! static library (`include/gs_gcal.h`).
//!
//! Data flows one way: `ffi` (checks, copies, panic boundary) → `client`
//! (the handle's operations) → pure `oauth` / `meeting` / `status` →
//! `http` (the only network code) and `store` (the only disk code).
//! Only `ffi` may use `unsafe`.
#![deny(unsafe_code)]

pub mod calendar;
pub mod client;
pub mod config;
pub mod error;
pub mod events;
pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub(crate) mod json;
pub mod log;
pub mod meeting;
pub mod oauth;
pub mod outbox;
pub(crate) mod rfc3339;
pub mod secret;
pub mod status;
pub mod store;
pub mod tls;
