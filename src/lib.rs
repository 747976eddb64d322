//! gs-gcal: the Google Calendar integration of IP-PBX firmware, as a C
//! static library (`include/gs_gcal.h`).
//!
//! One room per capability; dependencies point down this list and never
//! back up or sideways (no circles; `tests/layering.rs` checks every
//! `crate::` path of the code against these layers):
//!
//! 1. `ffi` — the C boundary, split like the rooms; the only `unsafe`
//!    but `sys`. (`fuzzing`: thin entry points for the fuzz targets.)
//! 2. the rooms, each an `impl Handle` over the shared handle:
//!    `writer` (push, cancel, the outbox drained; the host's calendar in
//!    Workspace mode), `reader` (list, sync, busy, replies, presence) and
//!    `backup` (export, import),
//! 3. which use `auth` (code flow, device flow, tokens, revocation, the
//!    service account's JWT grant).
//! 4. `handle` — what every room shares: configuration, the state and its
//!    durable commit, the store, the HTTP agent, zones, log, health;
//!    `calendar` — the Calendar API's requests and answers, over `http`.
//! 5. the edges: `http`, the only network code (with `tls` and `sys`, the
//!    resolver's detached thread: the one `unsafe` outside `ffi`), and
//!    `store`, the only disk code (versioned records ↔ domain types);
//!    beside them `status`, the status document from a snapshot.
//! 6. the domain, pure (values in and out, unit-tested with tables; it
//!    never imports an edge): `options` (the one option table), `state`
//!    (the persistent model) and `presence` (the free/busy directory),
//! 7. over `events` (the read side's events), `oauth` (links, forms,
//!    answers, diagnosis) and `outbox` (coalescing, backoff, circuit, when
//!    to queue),
//! 8. over `meeting` (meeting → event) and `url`.
//! 9. leaves: `errors` (the one error table), `json` (the one JSON reader
//!    and writer: no serde in the product), `clock` (wall time and RFC
//!    3339), `secret`, `log`, `tls`, `sys`.
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
