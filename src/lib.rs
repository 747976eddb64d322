//! gs-gcal: the Google Calendar integration of IP-PBX firmware, as a C
//! static library (`include/gs_gcal.h`).
//!
//! One room per capability; dependencies point down this list and never
//! back up (no two modules import each other, no room calls into a room
//! above it):
//!
//! 1. `ffi` — the C boundary, split like the rooms; the only `unsafe`
//!    but `sys`. (`fuzzing`: thin entry points for the fuzz targets.)
//! 2. the rooms, each an `impl Handle` over the shared handle:
//!    `writer` (push, cancel, the outbox drained; the host's calendar in
//!    Workspace mode) and `reader` (list, sync, busy, replies, presence)
//!    use `auth` (code flow, device flow, tokens, revocation, the service
//!    account's JWT grant); `backup` (export, import) stands alone.
//! 3. `handle` — what every room shares: configuration, the state and its
//!    durable commit, the store, the HTTP agent, zones, log, health.
//! 4. pure modules, values in and out, unit-tested with tables: `oauth`,
//!    `meeting`, `outbox` (coalescing, backoff, circuit, when to queue),
//!    `events`, `presence` (the free/busy directory), `calendar`'s
//!    request shapes, `status`, `state` (the domain model), `options` (the
//!    one option table), `errors` (the one error table), `url` (which URLs
//!    may be called), `json` (the one JSON reader and writer: no serde in
//!    the product), `secret`, `log`.
//! 5. edges: `http` (+ `tls`, the only network code), `store` (the only
//!    disk code: versioned records ↔ domain types), `clock` (wall time and
//!    RFC 3339), `sys` (the resolver's detached thread: the one `unsafe`
//!    outside `ffi`).
#![deny(unsafe_code)]

pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;

pub mod auth;
pub mod backup;
pub mod reader;
pub mod writer;

pub mod handle;

pub mod calendar;
pub mod errors;
pub mod events;
pub(crate) mod json;
pub mod log;
pub mod meeting;
pub mod oauth;
pub mod options;
pub mod outbox;
pub mod presence;
pub mod secret;
pub mod state;
pub mod status;
pub mod url;

pub(crate) mod clock;
pub(crate) mod sys;
pub mod http;
pub mod store;
pub mod tls;
