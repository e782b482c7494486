//! The documentation, checked against the code: every fenced code block of `README.md` and
//! `docs/*.md` is compiled, parsed, run or explicitly accounted for, and `docs/reference.md`
//! is compared with what the code reads, accepts and logs, so that neither can drift.
//!
//! - `toml` blocks: each page's blocks are one site's campaign files, compiled together by
//!   `vitrine_compile::build` with no error and no warning (the few files they name but do not
//!   show, such as the catalog exports, are [`blocks::EXAMPLE_FILES`]).
//! - `json` blocks parse; event lines parse as `vitrine_core::events::Event` and re-serialize
//!   to the same fields.
//! - `sh` blocks (and inline `vitrine …` code spans): every program is a known one
//!   ([`shell::PROGRAMS`]); every `vitrine` subcommand exists and every flag is in its `--help`.
//! - `text` and `html` blocks: each is checked for what it shows (the report output is the
//!   report's, the layout names existing paths, the slot markup is filled by the rewriter, …).
//! - `php` and `java` blocks are run by `tests/interop`; the other snippets are listed in
//!   [`blocks::SHOWN_NOT_RUN`] with the reason.
//! - `docs/reference.md` lists exactly the Worker's vars (with their defaults), secrets and
//!   bindings, the CLI's environment, every command and each of its options, the exit codes,
//!   every log line and every code those lines and `x-vitrine` carry.
//! - Repository paths and links named in the docs exist.
//!
//! Needs nothing outside Cargo and takes seconds: `cargo test -p vitrine-cli --test docs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};

mod blocks;
mod reference;
mod shell;
mod source;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// A file of the repository, by its path from the root.
pub fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A documentation page.
pub struct Doc {
    /// Path from the repository root (`docs/marketers.md`).
    pub path: String,
    pub text: String,
}

/// The pages checked: `README.md` and `docs/*.md`.
pub fn docs() -> Vec<Doc> {
    let mut paths = vec!["README.md".to_owned()];
    let mut pages: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    pages.sort();
    paths.extend(pages);
    paths
        .into_iter()
        .map(|path| Doc {
            text: read(&path),
            path,
        })
        .collect()
}

/// A page of the docs by path.
pub fn doc(path: &str) -> Doc {
    docs()
        .into_iter()
        .find(|d| d.path == path)
        .unwrap_or_else(|| panic!("no page {path}"))
}

/// One fenced code block.
#[derive(Clone)]
pub struct Block {
    pub file: String,
    /// Line of the opening fence (1-based).
    pub line: usize,
    pub lang: String,
    /// The lines between the fences.
    pub body: String,
    /// The paragraph right before the fence (`**PHP** (standard library only)`).
    pub label: String,
}

impl Block {
    /// `file:line` of the opening fence.
    pub fn at(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// `file:line` of line `n` (1-based) of the body.
    pub fn at_line(&self, n: usize) -> String {
        format!("{}:{}", self.file, self.line + n)
    }
}

/// Every fenced block of a page.
pub fn blocks_of(doc: &Doc) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(usize, String, Vec<&str>, String)> = None;
    let mut paragraph: Vec<&str> = Vec::new();
    for (i, line) in doc.text.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut open, fence) {
            (None, Some(info)) => {
                let lang = info.split_whitespace().next().unwrap_or("").to_owned();
                open = Some((i + 1, lang, Vec::new(), paragraph.join(" ")));
            }
            (Some(_), Some(_)) => {
                let (line, lang, body, label) = open.take().unwrap();
                out.push(Block {
                    file: doc.path.clone(),
                    line,
                    lang,
                    body: body.join("\n"),
                    label,
                });
            }
            (Some((_, _, body, _)), None) => body.push(line),
            (None, None) => {}
        }
        if line.trim().is_empty() || fence.is_some() {
            paragraph.clear();
        } else if open.is_none() {
            paragraph.push(line.trim());
        }
    }
    if let Some((line, ..)) = open {
        panic!("{}:{line}: the code block is never closed", doc.path);
    }
    out
}

/// Every fenced block of every page.
pub fn all_blocks() -> Vec<Block> {
    docs().iter().flat_map(blocks_of).collect()
}

/// The page's text with every fenced block blanked out (line numbers kept).
pub fn prose(text: &str) -> String {
    let mut fenced = false;
    let mut out = String::new();
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```");
        if !fenced && !fence {
            out.push_str(line);
        }
        if fence {
            fenced = !fenced;
        }
        out.push('\n');
    }
    out
}

/// The text under `heading` (a whole line such as `## Commands`) up to the next heading of the
/// same or a higher level; headings inside code blocks do not count.
pub fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let level = heading.chars().take_while(|&c| c == '#').count();
    let mut fenced = false;
    let mut start = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let here = offset;
        offset += line.len();
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        let is_heading = hashes > 0 && line[hashes..].starts_with(' ');
        match start {
            None if line.trim_end() == heading => start = Some(offset),
            Some(s) if is_heading && hashes <= level => return &text[s..here],
            _ => {}
        }
    }
    match start {
        Some(s) => &text[s..],
        None => panic!("no heading {heading:?}"),
    }
}

/// A Markdown table: its header cells and its rows of cells (trimmed, `\|` unescaped).
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The tables of a piece of Markdown, in order.
pub fn tables(text: &str) -> Vec<Table> {
    let mut out: Vec<Table> = Vec::new();
    let mut current: Option<Table> = None;
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            if let Some(t) = current.take() {
                out.push(t);
            }
            continue;
        }
        let cells = split_row(line);
        if cells
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':'))
        {
            continue;
        }
        match &mut current {
            None => {
                current = Some(Table {
                    header: cells,
                    rows: Vec::new(),
                })
            }
            Some(t) => t.rows.push(cells),
        }
    }
    out.extend(current);
    out
}

fn split_row(line: &str) -> Vec<String> {
    let inner = line.trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells.into_iter().map(|c| c.trim().to_owned()).collect()
}

/// The inline code spans of a piece of Markdown (outside fenced blocks), with the line each
/// starts on; a span broken over lines is joined with a space.
pub fn code_spans(text: &str) -> Vec<(usize, String)> {
    let prose = prose(text);
    let mut out = Vec::new();
    let mut rest = prose.as_str();
    let mut line = 1;
    while let Some(open) = rest.find('`') {
        line += rest[..open].matches('\n').count();
        let after = &rest[open + 1..];
        let Some(close) = after.find('`') else { break };
        let span = &after[..close];
        out.push((line, span.replace('\n', " ")));
        line += span.matches('\n').count();
        rest = &after[close + 1..];
    }
    out
}

/// The backticked words of a piece of Markdown, e.g. the codes in a table cell.
pub fn ticked(text: &str) -> Vec<String> {
    code_spans(text).into_iter().map(|(_, s)| s).collect()
}

/// Whether `path` (from the repository root) exists.
pub fn exists(path: &str) -> bool {
    root().join(path).exists()
}

/// Every file under `dir` (from the root) whose name ends with one of `exts`, recursively.
pub fn files_under(dir: &str, exts: &[&str]) -> Vec<String> {
    fn walk(base: &Path, rel: &str, exts: &[&str], out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(base.join(rel)) else {
            return;
        };
        for e in entries {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let path = format!("{rel}/{name}");
            if e.file_type().unwrap().is_dir() {
                walk(base, &path, exts, out);
            } else if exts.iter().any(|x| name.ends_with(x)) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root(), dir, exts, &mut out);
    out.sort();
    out
}
