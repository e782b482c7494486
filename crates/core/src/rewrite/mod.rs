//! Streaming rewrite: fills slots in an HTML byte stream with lol_html, chunk by chunk.
//!
//! Slots are marked with the custom element `<vitrine-slot name="…">` (a tag selector, the
//! fastest kind) or, for markup that cannot change, any element with `data-vitrine-slot="…"`.
//! The rewriter never buffers the page: each input chunk yields its output at once, so the
//! first bytes leave before the upstream body ends, and memory stays flat in page size.
//!
//! Failure never truncates a page. lol_html's memory limit is set and its graceful bail-outs
//! are on: on an error it flushes the unparsed input as-is, and every later chunk passes
//! through untouched ([`SlotStream`] stops using the poisoned rewriter).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use lol_html::errors::RewritingError;
use lol_html::html_content::{ContentType, Element};
use lol_html::{element, AsciiCompatibleEncoding, HtmlRewriter, MemorySettings, Settings};

use crate::render::Plan;
use crate::snapshot::Op;

/// Attribute form of a slot marker.
pub const SLOT_ATTRIBUTE: &str = "data-vitrine-slot";

/// Where a page carries the site's page mark ([`Plan::with_page_mark`]): a `<meta
/// name="vitrine">` that is a child of `<head>`, so the same element in the body (user content
/// a page shows) never counts.
pub const PAGE_MARK_SELECTOR: &str = "head > meta[name=\"vitrine\"]";

/// How one pass over a page parses: resource limits, and which slot forms it matches. The
/// streaming rewrite and the splice recorder take the same value, so they find the same slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// lol_html's cap on its internal buffers, in bytes.
    pub max_memory: usize,
    /// Parser buffer preallocated per rewriter, in bytes.
    pub preallocated: usize,
    /// Whether elements with [`SLOT_ATTRIBUTE`] are slots too (the attribute form), besides
    /// `<vitrine-slot>`. A selector on an attribute alone can match any element, so lol_html
    /// must then read the attributes of every start tag; with the tag form only it decides
    /// from the tag name and skips them, and the rewrite runs about twice as fast
    /// (BENCHMARKS.md, "Slot forms"). On by default; the Worker's `ATTRIBUTE_SLOTS=off`
    /// turns it off.
    pub attribute_slots: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // lol_html buffers only a construct that spans chunks (one tag, its attributes),
            // so 256 KiB is generous for any real tag. The WASM memory a page can add is about
            // three times this cap, whatever the page's size: +0.75 MiB for a page with one
            // 4 MiB attribute at 256 KiB, +1.9 MiB at 512 KiB (BENCHMARKS.md, "Memory in page
            // size"); a page that hits the cap is passed through unchanged.
            max_memory: 256 * 1024,
            preallocated: 4096,
            attribute_slots: true,
        }
    }
}

/// Why a rewrite stopped early (the rest of the page was passed through unchanged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RewriteError {
    /// The page's charset is not one vitrine rewrites ([`encoding_for`]), so the page is
    /// served unchanged.
    #[error("charset {0:?} is not rewritten (only UTF-8 and single-byte encodings are)")]
    UnsupportedCharset(String),
    /// lol_html exceeded [`Limits::max_memory`].
    #[error("rewriter memory limit exceeded")]
    MemoryLimit,
    /// lol_html could not tell how to parse a construct.
    #[error("ambiguous HTML construct: {0}")]
    Ambiguous(String),
    /// A slot handler failed.
    #[error("slot handler failed: {0}")]
    Handler(String),
}

impl RewriteError {
    /// Stable snake_case code for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedCharset(_) => "unsupported_charset",
            Self::MemoryLimit => "rewrite_memory",
            Self::Ambiguous(_) => "rewrite_ambiguous",
            Self::Handler(_) => "rewrite_handler",
        }
    }
}

impl From<RewritingError> for RewriteError {
    fn from(e: RewritingError) -> Self {
        match e {
            RewritingError::MemoryLimitExceeded(_) => Self::MemoryLimit,
            RewritingError::ParsingAmbiguity(e) => Self::Ambiguous(e.to_string()),
            RewritingError::ContentHandlerError(e) => Self::Handler(e.to_string()),
            // lol_html marks the enum non-exhaustive; a future kind is still a handled stop.
            other => Self::Handler(other.to_string()),
        }
    }
}

/// The output sink type of every lol_html pass (one type, so lol_html is monomorphized once).
pub(crate) type Sink = Box<dyn FnMut(&[u8])>;

/// Selector of the element form of a slot; its name is in [`TAG_NAME_ATTRIBUTE`].
pub const TAG_SELECTOR: &str = "vitrine-slot[name]";
/// Attribute naming a `<vitrine-slot>`.
pub const TAG_NAME_ATTRIBUTE: &str = "name";
/// Selector of the attribute form of a slot; its name is in [`SLOT_ATTRIBUTE`].
pub const ATTRIBUTE_SELECTOR: &str = "[data-vitrine-slot]";

/// The parser settings every pass over a page uses (the streaming rewrite and the splice
/// recorder must parse identically, or their outputs could differ).
pub(crate) fn parser_settings(
    encoding: AsciiCompatibleEncoding,
    limits: Limits,
) -> Settings<'static, 'static> {
    Settings::new()
        .with_encoding(encoding)
        // Non-strict: never refuse a page over an ambiguity we do not care about.
        .with_strict(false)
        .with_memory_settings(
            MemorySettings::new()
                .with_max_allowed_memory_usage(limits.max_memory)
                .with_preallocated_parsing_buffer_size(limits.preallocated)
                .with_graceful_bail_out_on_memory_limit_exceeded(true),
        )
        .with_graceful_bail_out_on_content_handler_error(true)
}

/// The encoding for a `Content-Type` charset label (`None`: UTF-8, lol_html's default too).
///
/// Only UTF-8 and the single-byte encodings (windows-125x, ISO-8859-x, KOI8, …) are rewritten.
/// UTF-16 is not ASCII-compatible, so lol_html cannot parse it. The legacy CJK encodings
/// (Shift_JIS, EUC-JP, ISO-2022-JP, EUC-KR, GBK, gb18030, Big5) are refused on purpose: the
/// .wasm is built without their tables (Cargo.toml, `no-legacy-cjk`), which keeps
/// the artifact far smaller (BENCHMARKS.md, "Artifact size"), and such a page is served unchanged. The check runs on every target,
/// so the CLI's preview and the native tests refuse exactly what the Worker refuses.
pub(crate) fn encoding_for(charset: Option<&str>) -> Result<AsciiCompatibleEncoding, RewriteError> {
    let Some(label) = charset else {
        return Ok(AsciiCompatibleEncoding::utf_8());
    };
    encoding_rs::Encoding::for_label(label.trim().as_bytes())
        .filter(|e| *e == encoding_rs::UTF_8 || e.is_single_byte())
        .and_then(AsciiCompatibleEncoding::new)
        .ok_or_else(|| RewriteError::UnsupportedCharset(label.to_owned()))
}

/// A slot-filling rewrite over a stream of chunks.
pub struct SlotStream {
    rewriter: Option<HtmlRewriter<'static, Sink>>,
    out: Rc<RefCell<Vec<u8>>>,
    error: Option<RewriteError>,
}

impl SlotStream {
    /// Starts a rewrite. `charset` is the `Content-Type` charset label, if the response had one.
    pub fn new(plan: Plan, limits: Limits, charset: Option<&str>) -> Result<Self, RewriteError> {
        let encoding = encoding_for(charset)?;
        let out = Rc::new(RefCell::new(Vec::new()));
        let sink_out = Rc::clone(&out);
        let sink: Sink =
            Box::new(move |bytes: &[u8]| sink_out.borrow_mut().extend_from_slice(bytes));
        // Without a page mark to wait for, every slot may be filled from the start.
        let marked = Rc::new(std::cell::Cell::new(plan.page_mark().is_none()));
        let mut settings = parser_settings(encoding, limits);
        if let Some(mark) = plan.page_mark() {
            let mark: Box<str> = mark.into();
            let seen = Rc::clone(&marked);
            settings =
                settings.append_element_content_handler(element!(PAGE_MARK_SELECTOR, move |el| {
                    if el.get_attribute("content").as_deref() == Some(&*mark) {
                        seen.set(true);
                    }
                    Ok(())
                }));
        }
        let plan = Rc::new(plan);
        let (by_tag, tag_marked) = (Rc::clone(&plan), Rc::clone(&marked));
        settings = settings.append_element_content_handler(element!(TAG_SELECTOR, move |el| {
            if tag_marked.get() {
                apply(&by_tag, el, TAG_NAME_ATTRIBUTE);
            }
            Ok(())
        }));
        if limits.attribute_slots {
            settings =
                settings.append_element_content_handler(element!(ATTRIBUTE_SELECTOR, move |el| {
                    if marked.get() {
                        apply(&plan, el, SLOT_ATTRIBUTE);
                    }
                    Ok(())
                }));
        }
        Ok(Self {
            rewriter: Some(HtmlRewriter::new(settings, sink)),
            out,
            error: None,
        })
    }

    /// Feeds one chunk and returns the output ready so far (possibly empty).
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        match self.rewriter.as_mut() {
            Some(rewriter) => {
                if let Err(e) = rewriter.write(chunk) {
                    // Graceful bail-out already flushed this chunk's rest raw; never touch the
                    // poisoned rewriter again.
                    self.rewriter = None;
                    self.error = Some(e.into());
                }
            }
            None => self.out.borrow_mut().extend_from_slice(chunk),
        }
        self.out.take()
    }

    /// Ends the input; returns the remaining output and the error that stopped rewriting early,
    /// if any (the output is complete either way).
    pub fn finish(mut self) -> (Vec<u8>, Option<RewriteError>) {
        if let Some(rewriter) = self.rewriter.take() {
            if let Err(e) = rewriter.end() {
                self.error.get_or_insert(e.into());
            }
        }
        (self.out.take(), self.error)
    }
}

fn apply(plan: &Plan, el: &mut Element<'_, '_>, attribute: &str) {
    let Some(name) = el.get_attribute(attribute) else {
        return;
    };
    let Some(edit) = plan.edit(&name) else {
        return;
    };
    let html: &str = &edit.html;
    match edit.op {
        Op::Replace => el.set_inner_content(html, ContentType::Html),
        Op::Append => el.append(html, ContentType::Html),
        Op::Prepend => el.prepend(html, ContentType::Html),
        Op::Before => el.before(html, ContentType::Html),
        Op::After => el.after(html, ContentType::Html),
        Op::Remove => el.remove(),
    }
}

/// Rewrites a whole document in one call (CLI preview, tests). Returns the output, which is
/// complete even when rewriting stopped early, and that early-stop error if any.
pub fn rewrite_all(plan: Plan, input: &[u8], limits: Limits) -> Result<Vec<u8>, RewriteError> {
    let mut stream = SlotStream::new(plan, limits, None)?;
    let mut out = stream.feed(input);
    let (rest, _early_stop) = stream.finish();
    out.extend_from_slice(&rest);
    Ok(out)
}

/// Rewrites `input` fed in chunks of `chunk` bytes (test helper for chunk-boundary coverage).
pub fn rewrite_chunked(
    plan: Plan,
    input: &[u8],
    chunk: usize,
    limits: Limits,
) -> Result<(Vec<u8>, Option<RewriteError>), RewriteError> {
    let mut stream = SlotStream::new(plan, limits, None)?;
    let mut out = Vec::with_capacity(input.len());
    for piece in input.chunks(chunk.max(1)) {
        out.extend(stream.feed(piece));
    }
    let (rest, err) = stream.finish();
    out.extend(rest);
    Ok((out, err))
}

/// Shares a fragment for a plan edit (convenience for callers building plans by hand).
pub fn fragment(html: &str) -> Arc<str> {
    Arc::from(html)
}

mod markers;

pub use markers::{MarkerScan, ScanSchedule};

#[cfg(test)]
mod tests;
