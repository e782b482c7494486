//! Recording a page's slot positions with one lol_html pass, using exactly the streaming
//! rewrite's parser settings and selectors, so both see the same slots at the same bytes.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use lol_html::html_content::Element;
use lol_html::{element, end_tag, AsciiCompatibleEncoding, HtmlRewriter};

use super::{SlotMap, SlotSpan};
use crate::rewrite::{
    self, Limits, RewriteError, Sink, ATTRIBUTE_SELECTOR, SLOT_ATTRIBUTE, TAG_NAME_ATTRIBUTE,
    TAG_SELECTOR,
};

/// Why a page cannot be spliced (it is streamed instead; none of these is a fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotSpliceable {
    /// Only UTF-8 pages are spliced: fragments are inserted as UTF-8 bytes.
    #[error("charset {0:?} is not UTF-8")]
    Charset(String),
    /// A slot element has no end tag (void, self-closing foreign, or implicitly closed).
    #[error("slot {name:?} at byte {at} has no end tag")]
    Unclosed {
        /// The slot's name.
        name: String,
        /// Byte offset of its start tag.
        at: usize,
    },
    /// Two slot elements nest or overlap, or one element is marked as two slots.
    #[error("slot {name:?} at byte {at} overlaps the slot before it")]
    Overlap {
        /// The slot's name.
        name: String,
        /// Byte offset of its start tag.
        at: usize,
    },
    /// The page is larger than the cache records (it is always streamed).
    #[error("page is larger than {limit} bytes")]
    TooBig {
        /// The recording limit in bytes.
        limit: usize,
    },
    /// A marked first view did not carry one marker per slot boundary (the page holds the
    /// marker, or the native rewriter saw slots this recorder would not).
    #[error("found {found} slot markers where {expected} were expected")]
    Marker {
        /// Markers found.
        found: usize,
        /// Markers the slots seen call for.
        expected: usize,
    },
    /// The rewriter stopped early on this page (its streaming output is then not spliceable).
    #[error("rewriter stopped: {0}")]
    Rewrite(#[from] RewriteError),
}

impl NotSpliceable {
    /// Stable snake_case code for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Charset(_) => "splice_charset",
            Self::Unclosed { .. } => "splice_unclosed_slot",
            Self::Overlap { .. } => "splice_overlapping_slots",
            Self::TooBig { .. } => "splice_page_too_big",
            Self::Marker { .. } => "splice_marker_count",
            Self::Rewrite(e) => e.code(),
        }
    }
}

/// Refuses a page whose `Content-Type` charset label (`charset`) is not UTF-8: fragments are
/// spliced in as UTF-8 bytes. A page without a label is spliced (its fragments are ASCII).
pub fn spliceable_charset(charset: Option<&str>) -> Result<(), NotSpliceable> {
    match charset {
        // The label nearly every page sends, told without the label table's lookup.
        Some(label) if label.eq_ignore_ascii_case("utf-8") => Ok(()),
        Some(label)
            if encoding_rs::Encoding::for_label(label.trim().as_bytes())
                != Some(encoding_rs::UTF_8) =>
        {
            Err(NotSpliceable::Charset(label.to_owned()))
        }
        _ => Ok(()),
    }
}

/// A slot seen by the parser; `end` is the end tag's byte range once it was reached.
struct Seen {
    name: String,
    start_tag: Range<usize>,
    end_tag: Option<Range<usize>>,
}

type Log = Rc<RefCell<Vec<Seen>>>;

/// Bytes per write while recording.
const RECORD_CHUNK: usize = 1024;

/// Records where the slots of `page` are. `charset` is the `Content-Type` charset label.
///
/// ```
/// use vitrine_core::splice::record;
/// use vitrine_core::rewrite::Limits;
///
/// let page = br#"<p><vitrine-slot name="hero">default</vitrine-slot></p>"#;
/// let template = record(page, Limits::default(), Some("utf-8")).unwrap();
/// assert_eq!(template.slots()[0].inner, 29..36);
/// ```
pub fn record(
    page: &[u8],
    limits: Limits,
    charset: Option<&str>,
) -> Result<SlotMap, NotSpliceable> {
    let mut recorder = Recorder::new(limits, charset)?;
    recorder.write(page)?;
    recorder.end()
}

/// A recording fed chunk by chunk, alongside a streaming rewrite, so the page never has to be
/// buffered to be recorded.
pub struct Recorder {
    rewriter: HtmlRewriter<'static, Sink>,
    log: Log,
    len: usize,
}

impl Recorder {
    /// Starts a recording; refuses non-UTF-8 pages at once.
    pub fn new(limits: Limits, charset: Option<&str>) -> Result<Self, NotSpliceable> {
        spliceable_charset(charset)?;
        let log: Log = Rc::default();
        let (by_tag, by_attr) = (Rc::clone(&log), Rc::clone(&log));
        // The same slot forms as the streaming rewrite (`Limits::attribute_slots`).
        let mut settings = rewrite::parser_settings(AsciiCompatibleEncoding::utf_8(), limits)
            .append_element_content_handler(element!(TAG_SELECTOR, move |el| {
                note(&by_tag, el, TAG_NAME_ATTRIBUTE)
            }));
        if limits.attribute_slots {
            settings = settings
                .append_element_content_handler(element!(ATTRIBUTE_SELECTOR, move |el| {
                    note(&by_attr, el, SLOT_ATTRIBUTE)
                }));
        }
        let sink: Sink = Box::new(|_: &[u8]| {});
        Ok(Self {
            rewriter: HtmlRewriter::new(settings, sink),
            log,
            len: 0,
        })
    }

    /// Feeds the next bytes of the page. After an error the recording is over (drop it).
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), NotSpliceable> {
        // Small writes, so a token too big for the memory limit fails here as it would when a
        // streamed chunk boundary falls inside it, whatever the upstream chunking.
        for piece in bytes.chunks(RECORD_CHUNK) {
            self.rewriter.write(piece).map_err(RewriteError::from)?;
        }
        self.len += bytes.len();
        Ok(())
    }

    /// Ends the page: its template, or why it cannot be spliced.
    pub fn end(self) -> Result<SlotMap, NotSpliceable> {
        self.rewriter.end().map_err(RewriteError::from)?;
        let seen = self.log.take();
        spans(seen).map(|slots| SlotMap {
            len: self.len,
            slots,
        })
    }
}

fn note(log: &Log, el: &mut Element<'_, '_>, attribute: &str) -> lol_html::HandlerResult {
    let Some(name) = el.get_attribute(attribute) else {
        return Ok(());
    };
    let index = {
        let mut log = log.borrow_mut();
        log.push(Seen {
            name,
            start_tag: el.source_location().bytes(),
            end_tag: None,
        });
        log.len() - 1
    };
    if el.can_have_content() {
        let log = Rc::clone(log);
        el.on_end_tag(end_tag!(move |end| {
            if let Some(seen) = log.borrow_mut().get_mut(index) {
                seen.end_tag = Some(end.source_location().bytes());
            }
            Ok(())
        }))?;
    }
    Ok(())
}

/// Turns what the parser saw into disjoint spans in document order, or refuses the page.
fn spans(seen: Vec<Seen>) -> Result<Vec<SlotSpan>, NotSpliceable> {
    let mut out: Vec<SlotSpan> = Vec::with_capacity(seen.len());
    for s in seen {
        let Some(end_tag) = s.end_tag else {
            return Err(NotSpliceable::Unclosed {
                name: s.name,
                at: s.start_tag.start,
            });
        };
        let overlaps = out
            .last()
            .is_some_and(|prev| prev.outer.end > s.start_tag.start);
        if overlaps || end_tag.start < s.start_tag.end {
            return Err(NotSpliceable::Overlap {
                name: s.name,
                at: s.start_tag.start,
            });
        }
        out.push(SlotSpan {
            name: s.name.into_boxed_str(),
            outer: s.start_tag.start..end_tag.end,
            inner: s.start_tag.end..end_tag.start,
        });
    }
    Ok(out)
}
