//! What the studio was started with and what it keeps between requests: the configuration,
//! the KV backend and the sessions. Nothing else is kept: campaign files and personas are
//! re-read on every request.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::backend::Backend;

/// How `vitrine studio` was started.
pub struct Config {
    /// The campaign files (their includes are found from them).
    pub files: Vec<PathBuf>,
    /// `--pages DIR`: the site's pages as files (`/c/dog` is `DIR/c/dog.html` or
    /// `DIR/c/dog/index.html`).
    pub pages: Option<PathBuf>,
    /// `--site URL`: the live site to fetch pages from.
    pub site: Option<String>,
    /// Variant count above which `check` warns.
    pub max_variants: u64,
}

/// The server's state.
pub struct AppState {
    /// The configuration.
    pub config: Config,
    /// Where versions are published.
    pub backend: Box<dyn Backend>,
    /// `http://127.0.0.1:7878`: the studio's own origin (CSP, Host check).
    pub origin: String,
    /// The `Host` header values accepted (DNS rebinding defence).
    pub hosts: Vec<String>,
    /// Session id → CSRF token.
    pub sessions: Mutex<HashMap<String, String>>,
}

/// The request's session: its CSRF token, for the forms of the page.
#[derive(Clone)]
pub struct Session {
    /// The token every state-changing form must send back.
    pub csrf: String,
}
