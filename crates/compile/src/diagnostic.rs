//! A located problem in a campaign file, and how spans become line and column.

use std::ops::Range;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Nothing is built.
    Error,
    /// Built, but not publishable unless acknowledged in `[acknowledge]`.
    Warning,
}

/// A problem found while compiling, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {field}: {message}\n  hint: {hint}")]
#[non_exhaustive]
pub struct CompileError {
    /// Error or warning.
    pub level: Level,
    /// Stable code (`syntax`, `unknown-segment`, `sensitive-targeting`, …).
    pub code: &'static str,
    /// File the problem is in.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Byte span in the file (for snippets).
    pub span: Range<usize>,
    /// The field (for example `campaign[loyal-hero].html`).
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
    /// For a warning, the `[acknowledge]` entry that accepts it ([`crate::acknowledge`]).
    pub acknowledge: Option<Acknowledgement>,
}

/// The `[acknowledge]` entry that accepts one warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acknowledgement {
    /// `sensitive = ["<campaign id>"]`.
    Sensitive(String),
    /// `past_schedule = ["<campaign id>"]`.
    PastSchedule(String),
    /// `unused_slots = ["<slot>"]`.
    UnusedSlot(String),
    /// `max_variants = <count>`.
    MaxVariants(u64),
}

/// Builds a [`CompileError`] located at `span` of `text`.
pub(super) fn located(
    level: Level,
    code: &'static str,
    (file, text): (&str, &str),
    span: Range<usize>,
    field: &str,
    message: String,
    hint: &str,
) -> CompileError {
    let start = floor_char_boundary(text, span.start);
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    CompileError {
        level,
        code,
        file: file.to_owned(),
        line,
        column,
        span: start..span.end.max(start).min(text.len()),
        field: field.to_owned(),
        message,
        hint: hint.to_owned(),
        acknowledge: None,
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
