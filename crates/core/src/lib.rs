//! # vitrine — edge personalization for cached HTML
//!
//! vitrine runs as a Cloudflare Worker in front of a shop. For every HTML page it takes the
//! **cached** base page (the origin never sees a visitor or their cookies), verifies the
//! visitor's **signed cookie**, loads a **compiled snapshot** of the marketers' campaigns from
//! Workers KV, **decides** what every slot shows and **stream-rewrites** the page to fill the
//! slots. Whatever fails, the visitor gets the unchanged page (fail open).
//!
//! A request flows one way through the pure core, and nothing downstream reaches back upstream.
//! Every module is in this map, and each depends only on modules below it; `tests/layering.rs`
//! fails on any import cycle:
//!
//! ```text
//!   view                      the page view: identity + snapshot + request → plan, events, cookie
//!   preview                   one whole page at once (CLI previews)
//!   ├─ measure                exposures and conversions a page view emits, the event
//!   │                         records (events) and their Analytics Engine layout (sink)
//!   ├─ splice                 record a page once, splice every later request
//!   │    └─ rewrite           stream-rewrite slots (lol_html)
//!   │         └─ render       decision → HTML fragments, escaped per context
//!   │              └─ decide  which candidate fills each slot (experiment, offer, recommend)
//!   ├─ facts · preview_token  request facts (device, country, time); signed previews
//!   ├─ bots                   crawlers and tools: served as anonymous, never counted
//!   └─ cookie · snapshot      identity (signed cookie, consent, activity); the compiled snapshot
//!   delivery · timing · errors   request/response policy, Server-Timing, the error types
//! ```
//!
//! This crate is that core. Two thin shells use it: the Worker (the root package's `src/`,
//! wasm32) and the `vitrine` CLI (`crates/cli`, native), which also links the campaign
//! compiler (`crates/compile`) and the report (`crates/report`). The core depends on neither
//! `worker` nor any CLI crate, so everything here is tested natively and builds for wasm32;
//! Cargo keeps it that way. A snapshot comes from KV already compiled:
//!
//! ```
//! use vitrine_core::snapshot::{decode, encode, Body, Snapshot};
//! use vitrine_core::{decide, render, rewrite, Identity};
//!
//! // In the Worker these bytes are read from KV; the CLI compiled and published them.
//! let published = encode(&Snapshot::new(Body::default()));
//! let snapshot = decode(&published).unwrap();
//! let visitor = Identity::anonymous();
//! let decision = decide(&snapshot, &visitor);
//! let page = r#"<p><vitrine-slot name="hero">default</vitrine-slot></p>"#;
//! let plan = render(&decision);
//! let out = rewrite::rewrite_all(plan, page.as_bytes(), rewrite::Limits::default()).unwrap();
//! // No campaign fills the slot: the page comes back unchanged.
//! assert_eq!(out, page.as_bytes());
//! ```
//!
//! `vitrine_compile`'s crate docs show the same path from a campaign file.

#![forbid(unsafe_code)]

pub mod bots;
pub mod cookie;
pub mod decide;
pub mod delivery;
pub mod errors;
pub mod facts;
pub mod flight;
mod hex;
pub mod measure;
pub mod preview;
pub mod preview_token;
pub mod render;
pub mod rewrite;
pub mod snapshot;
pub mod splice;
pub mod text;
pub mod timing;
pub mod view;

pub use cookie::{Identity, KeyRing, VerifiedProfile};
pub use decide::{decide, decide_in, Context, Decision};
pub use render::{render, Plan};
pub use snapshot::Snapshot;
pub use view::{view, PageRequest, PageView};
