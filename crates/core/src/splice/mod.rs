//! Parse once, splice many: a base page recorded once as literal pieces around its slots, then
//! assembled per request from those pieces and the decided fragments, with no HTML parse.
//!
//! A cached base page is the same bytes for every visitor until it changes. [`record`] runs the
//! same lol_html pass as the streaming rewrite ([`crate::rewrite`]) once over the whole page and
//! keeps where every slot's start tag, content and end tag are, as a [`SlotMap`]. For each
//! request, [`SlotMap::parts`] turns a [`Plan`] into a list of [`Piece`]s, byte ranges of the
//! page and fragments, whose concatenation is **byte-identical** to what the streaming rewrite
//! would have produced for the same page and plan (a property test holds it to that).
//!
//! The template holds positions, not bytes: the caller keeps the page wherever assembling is
//! cheapest (the Worker keeps it on the JS side, so a spliced response never moves the page
//! through WASM memory).
//!
//! Recording refuses any page where splicing could differ from streaming, and such pages keep
//! being streamed: a charset other than UTF-8, a slot without an end tag (void, self-closing
//! foreign or implicitly closed), slots that nest or overlap (one element matched twice, a slot
//! inside another), or a rewriter stop (memory limit, ambiguity).
//!
//! A map made in one isolate can be shared with the others of a colo ([`shared`]): it is only
//! positions, checked against the validator and the length of the bytes it is applied to.

pub mod cache;
mod content;
pub mod marks;
mod record;
pub mod shared;
pub mod stream;

use std::ops::Range;

use crate::render::Plan;
use crate::snapshot::Op;

pub use cache::{
    plan_key, validator, Bodies, FirstViews, Known, PageCache, Recorded, BODIES_AFTER_SERVES,
};
pub use content::ContentHash;
pub use marks::{Boundary, Marked, Marks};
pub use record::{record, spliceable_charset, NotSpliceable, Recorder};
pub use stream::{MarkedSplice, Out};

/// Where one slot sits in the page, in bytes of the original input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotSpan {
    /// The slot's name.
    pub name: Box<str>,
    /// From the start tag's `<` to just after the end tag's `>`.
    pub outer: Range<usize>,
    /// From just after the start tag to the end tag's `<` (the content).
    pub inner: Range<usize>,
}

/// The recorded slot positions of one page: disjoint, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotMap {
    len: usize,
    slots: Vec<SlotSpan>,
}

/// One piece of a spliced response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'p> {
    /// Bytes of the recorded page, never empty.
    Literal(usize, usize),
    /// A decided fragment, never empty, inserted as-is (the page is UTF-8).
    Fragment(&'p str),
}

impl SlotMap {
    /// Length of the recorded page in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the recorded page was empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The recorded slots, in document order.
    pub fn slots(&self) -> &[SlotSpan] {
        &self.slots
    }

    /// Approximate heap bytes held, for cache accounting.
    pub fn weight(&self) -> usize {
        std::mem::size_of::<Self>()
            + self
                .slots
                .iter()
                .map(|s| std::mem::size_of::<SlotSpan>() + s.name.len())
                .sum::<usize>()
    }

    /// The pieces of the response for `plan`, in order; empty pieces are left out. A plan
    /// that waits for a page mark fills nothing here (a map does not record the mark; the
    /// Worker streams such pages), so a splice can never fill an unmarked page.
    pub fn parts<'p>(&self, plan: &'p Plan) -> Vec<Piece<'p>> {
        let mut out = Vec::with_capacity(2 * self.slots.len() + 1);
        let mut cursor = 0;
        let slots = if plan.page_mark().is_some() {
            &[][..]
        } else {
            &self.slots[..]
        };
        for slot in slots {
            let Some(edit) = plan.edit(&slot.name) else {
                continue;
            };
            let (cut, resume) = match edit.op {
                Op::Replace => (slot.inner.start, slot.inner.end),
                Op::Append => (slot.inner.end, slot.inner.end),
                Op::Prepend => (slot.inner.start, slot.inner.start),
                Op::Before => (slot.outer.start, slot.outer.start),
                Op::After => (slot.outer.end, slot.outer.end),
                Op::Remove => (slot.outer.start, slot.outer.end),
            };
            push_literal(&mut out, cursor, cut);
            if edit.op != Op::Remove && !edit.html.is_empty() {
                out.push(Piece::Fragment(&edit.html));
            }
            cursor = resume;
        }
        push_literal(&mut out, cursor, self.len);
        out
    }

    /// Assembles the whole response into one buffer (CLI, tests, and hosts without a cheaper
    /// way to concatenate). `None` if `page` is not the page this template was recorded from
    /// (by length; the caller keys templates by the page's validator).
    pub fn splice(&self, page: &[u8], plan: &Plan) -> Option<Vec<u8>> {
        if page.len() != self.len {
            return None;
        }
        let parts = self.parts(plan);
        let size = parts
            .iter()
            .map(|p| match p {
                Piece::Literal(a, b) => b - a,
                Piece::Fragment(f) => f.len(),
            })
            .sum();
        let mut out = Vec::with_capacity(size);
        for part in parts {
            match part {
                Piece::Literal(a, b) => out.extend_from_slice(page.get(a..b)?),
                Piece::Fragment(f) => out.extend_from_slice(f.as_bytes()),
            }
        }
        Some(out)
    }
}

/// Whether `parts` (of [`SlotMap::parts`]) spell out the page of `len` bytes as it is: no
/// fragment, and literals that follow one another from its first byte to its last. The plan
/// fills nothing on this page (none of its slots is named, or each fill puts nothing in and
/// takes nothing out), so the host can answer with the page's own bytes instead of assembling
/// a copy of them (a page without slots, such as a content page, is the common case). A plan
/// that waits for a page mark fills nothing here either ([`SlotMap::parts`]); the Worker streams
/// such pages and never splices them.
pub fn is_whole_page(parts: &[Piece<'_>], len: usize) -> bool {
    let mut at = 0;
    for part in parts {
        match *part {
            Piece::Literal(a, b) if a == at => at = b,
            _ => return false,
        }
    }
    at == len
}

fn push_literal(out: &mut Vec<Piece<'_>>, from: usize, to: usize) {
    if from < to {
        out.push(Piece::Literal(from, to));
    }
}

#[cfg(test)]
mod tests;
