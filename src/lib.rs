//! # vitrine — edge personalization for cached HTML
//!
//! vitrine runs as a Cloudflare Worker in front of a shop. For every HTML page it takes the
//! **cached** base page (the origin never sees a visitor or their cookies), verifies the
//! visitor's **signed cookie**, loads a **compiled snapshot** of the marketers' campaigns from
//! Workers KV, **decides** what every slot shows and **stream-rewrites** the page to fill the
//! slots. Whatever fails, the visitor gets the unchanged page (fail open).
//!
//! A request flows one way through the pure core, and nothing downstream reaches back upstream:
//!
//! ```text
//! request → cookie (identity) → snapshot → decide → render → rewrite → response
//!              ▲ delivery: which requests are personalized, which headers go where
//! ```
//!
//! This crate is that core plus two thin shells: the Worker (`src/edge/`, wasm32 only) and the
//! `vitrine` CLI (`src/bin/vitrine/`, native only). The core never imports `worker` or `clap`,
//! so everything here is tested natively.
//!
//! ```
//! use vitrine::snapshot::compile::{compile, Source};
//! use vitrine::{decide, render, rewrite, Identity};
//!
//! let campaign = r#"
//! [[campaign]]
//! id = "welcome"
//! slot = "hero"
//! audience = "anonymous"
//! html = "<b>Welcome!</b>"
//! "#;
//! let snapshot = compile(&[Source { name: "demo.toml", text: campaign }]).unwrap();
//! let visitor = Identity::anonymous();
//! let decision = decide(&snapshot, &visitor);
//! let plan = render(&decision);
//! let page = r#"<p><vitrine-slot name="hero">default</vitrine-slot></p>"#;
//! let out = rewrite::rewrite_all(plan, page.as_bytes(), rewrite::Limits::default()).unwrap();
//! assert_eq!(out, br#"<p><vitrine-slot name="hero"><b>Welcome!</b></vitrine-slot></p>"#);
//! ```

#![forbid(unsafe_code)]

pub mod conversion;
pub mod cookie;
pub mod decide;
pub mod delivery;
pub mod errors;
pub mod events;
pub mod exposure;
pub mod facts;
mod hex;
pub mod preview;
pub mod preview_token;
pub mod render;
#[cfg(not(target_arch = "wasm32"))]
pub mod report;
pub mod rewrite;
pub mod sink;
pub mod snapshot;
pub mod splice;
pub mod timing;

#[cfg(target_arch = "wasm32")]
mod edge;

pub use cookie::{Identity, KeyRing, VerifiedProfile};
pub use decide::{decide, decide_in, Context, Decision};
pub use render::{render, Plan};
pub use snapshot::Snapshot;
