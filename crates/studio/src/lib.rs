//! `vitrine studio`: the marketers' workbench in the browser. A local web app (axum, HTML from
//! maud, plain forms, no script) over the same code the CLI runs: the compiler and its
//! diagnostics (`vitrine check`), the core's preview and decision trace, the snapshot diff,
//! and, through [`Backend`], the CLI's own publish, rollback and report paths. The campaign
//! files stay the source of truth: every page reads them again, and a save rewrites one
//! campaign in place ([`rewrite_campaign`]), keeping the file's comments and formatting.
//!
//! Security: binds where the CLI says (loopback unless `--listen`); every response has a strict
//! Content-Security-Policy with no script; the shop's pages, which are third-party content
//! here, render only in sandboxed iframes with a policy of their own; every POST needs the
//! session's CSRF token; no key or token of the shop is ever put in a page.
//!
//! ```text
//! server       routes and the listener (thin: each route calls one page function)
//! campaigns · edit · compare · publish · results    one page each
//! security     Host check, sessions, CSRF, security headers
//! layout       the shared frame and stylesheet
//! personas · persona_form          personas and `personas.toml`; the compare page's Add form
//! acknowledge · done                accepted warnings written to the files; a done step's notice
//! workspace · rewrite               the files on disk and their compile; the TOML rewrite
//! state · backend                   the server's state; the CLI's publish and report paths
//! ```

mod acknowledge;
mod backend;
mod campaigns;
mod compare;
mod done;
mod edit;
mod layout;
mod persona_form;
mod personas;
mod publish;
mod results;
mod rewrite;
mod security;
mod server;
mod state;
mod workspace;

pub use backend::Backend;
pub use personas::{Persona, Viewed};
pub use rewrite::{campaign_toml, replace_campaign, rewrite_campaign, Edit, RewriteError};
pub use server::{router, serve, ServeError};
pub use state::{AppState, Config};
