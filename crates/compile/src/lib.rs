//! The campaign compiler (native only): human-written TOML campaign files in, a [`Snapshot`]
//! (plus catalog shards) out. Marketer HTML is sanitized here, once; named segments are inlined
//! into compiled expressions; strings are interned. Every problem of a run is collected and
//! reported together, each with file, line, column, field and a hint. Warnings (sensitive
//! targeting, schedules in the past, slots on no sample page, too many variants) are returned
//! separately; the CLI refuses to publish while any is unacknowledged.
//!
//! ```toml
//! include = ["segments.toml"]          # more files, relative to this one
//!
//! [segments.lapsed_loyal]              # a named segment: an expression
//! all = [{ segment = "loyal" }, { attr = "days_since_last_order", gte = 60 }]
//!
//! [[campaign]]
//! id = "loyal-hero"                    # unique across all files
//! slot = "hero"                        # <vitrine-slot name="hero">
//! segments = ["lapsed_loyal"]          # any of; or audience = "anonymous" | "everyone"
//! priority = 10                        # higher wins; ties keep file order
//! html = "<div class='vt-banner'>Welcome back, {{attr.first_name}}</div>"
//! ```
//!
//! The modules, top to bottom: each uses only modules below it (`rows` uses `diagnostic`), and
//! `tests/layering.rs` fails on any import cycle.
//!
//! ```text
//! driver     the order of a run: load, collect across files, compile campaigns, seal
//! campaign · conversion · experiment · recommend · catalog · schedule · template · warn
//!            one job each, as methods of the run (catalog reads `rows`: CSV/JSON exports)
//! expr       targeting expressions
//! run        the run's state: files, interned strings, diagnostics collected so far
//! html · rows · source · diagnostic   the sanitizer (ammonia); catalog rows; the TOML shapes
//!            as authored; errors with file:line:col
//! diff       two snapshots → what changed (for `vitrine publish`)
//! ```
//!
//! From a campaign file to a filled page, through the core:
//!
//! ```
//! use vitrine_compile::{compile, Source};
//! use vitrine_core::{decide, render, rewrite, Identity};
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

mod bandit;
mod campaign;
mod catalog;
mod conversion;
mod diagnostic;
pub mod diff;
pub mod document;
mod driver;
mod experiment;
mod expr;
mod html;
mod recommend;
mod rows;
mod run;
mod schedule;
mod source;
mod template;
mod warn;

pub use bandit::DEFAULT_MIN_SHARE_BP;
pub use diagnostic::{Acknowledgement, CompileError, Level};
pub use expr::{parse_duration, parse_time_window};
pub use html::{check_url, sanitize, Policy};
pub use run::resolve_relative;

use vitrine_core::snapshot::Snapshot;

/// One campaign file's text and the name to report it under.
pub struct Source<'a> {
    /// Path shown in diagnostics (includes resolve relative to it).
    pub name: &'a str,
    /// File content.
    pub text: &'a str,
}

/// Reads files named by includes and `[catalog]` (the CLI reads the file system).
pub trait Loader {
    /// The bytes of `path`, or why they cannot be read.
    fn load(&self, path: &str) -> Result<Vec<u8>, String>;
}

/// A loader with no files: includes and catalogs must come from the given sources.
pub struct NoFiles;

impl Loader for NoFiles {
    fn load(&self, path: &str) -> Result<Vec<u8>, String> {
        Err(format!("{path}: no file access in this context"))
    }
}

/// Settings of one compile run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Unix seconds, to find schedules that are over.
    pub now: i64,
    /// Sample pages (name, bytes): slots on none of them warn. Empty: no check.
    pub pages: Vec<(String, Vec<u8>)>,
    /// Variant count above which a warning is raised.
    pub max_variants: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            now: 0,
            pages: Vec::new(),
            max_variants: 500,
        }
    }
}

/// A compiled snapshot with its catalog shards and the warnings raised.
#[derive(Debug)]
pub struct Build {
    /// The snapshot.
    pub snapshot: Snapshot,
    /// Encoded catalog shards, by shard number.
    pub shards: Vec<Vec<u8>>,
    /// Warnings; the unacknowledged ones block a publish.
    pub warnings: Vec<CompileError>,
    /// The variant count (segments × slots × variants), as checked against the cap.
    pub variants: u64,
}

/// Compiles in-memory campaign files; warnings are ignored. See [`build`].
pub fn compile(sources: &[Source<'_>]) -> Result<Snapshot, Vec<CompileError>> {
    build(sources, &NoFiles, &Options::default()).map(|b| b.snapshot)
}

/// Compiles campaign files (and what they include) into a snapshot, or returns every error.
///
/// ```
/// use vitrine_compile::{build, NoFiles, Options, Source};
///
/// let text = "[[campaign]]\nid = \"a\"\nslot = \"Hero!\"\naudience = \"robots\"\nhtml = \"x\"\n";
/// let errors = build(&[Source { name: "a.toml", text }], &NoFiles, &Options::default()).unwrap_err();
/// let at: Vec<String> = errors.iter().map(|e| format!("{}:{}:{} {}", e.file, e.line, e.column, e.code)).collect();
/// assert_eq!(at, ["a.toml:3:8 slot-name", "a.toml:4:12 audience"]);
/// ```
pub fn build(
    sources: &[Source<'_>],
    loader: &dyn Loader,
    options: &Options,
) -> Result<Build, Vec<CompileError>> {
    run::Run::new(loader, options).build(sources)
}

#[cfg(test)]
mod tests;
