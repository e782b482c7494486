//! End to end over HTTP: the built Worker under `wrangler dev` with local KV, a loopback origin
//! where a test needs one, and the `vitrine` CLI publishing to the same KV. One module per
//! concern; all share [`support`] (dev servers, publishing, minting, origins).
//!
//! Needs the built worker and the CLI (`make test` builds both) and `wrangler` from
//! `node_modules`: `cargo test -p vitrine --features external --test e2e`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../support/mod.rs"]
mod support;

mod bandit;
mod cuped;
mod decisions;
mod events;
mod experiments;
mod identity;
mod origin;
mod perf;
mod recs;
mod recs_train;
mod security;
mod snapshot;
mod stream;
mod views;
