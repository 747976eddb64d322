//! gs-gcal: the Google Calendar integration of IP-PBX firmware, as a C
//! static library (`include/gs_gcal.h`).
//!
//! Data flows one way: `ffi` (checks, copies, panic boundary) → `client`
//! (the handle's operations) → pure `oauth` / `meeting` / `status` →
//! `http` (the only network code) and `store` (the only disk code).
//! Only `ffi` may use `unsafe`.
#![deny(unsafe_code)]

pub mod calendar;
pub(crate) mod clock;
pub mod auth;
pub mod backup;
pub mod handle;
pub mod reader;
pub mod writer;
pub mod options;
pub mod errors;
pub mod events;
pub mod ffi;
pub mod http;
pub(crate) mod json;
pub mod log;
pub mod meeting;
pub mod oauth;
pub mod outbox;
pub mod secret;
pub mod state;
pub mod status;
pub mod store;
pub mod tls;
