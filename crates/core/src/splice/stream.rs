//! A page's first view, personalized and mapped in one parse: the runtime's rewriter marks
//! every slot boundary of the page (as it does to map a page, [`super::marks`]), and
//! [`MarkedSplice`] turns that marked copy, fed a piece at a time, into the personalized body
//! (the page's bytes with the markers taken out and the plan's fragments put in their place)
//! while it finds the markers that give the page's map. So a page's first view costs the one
//! parse the JS peer pays, and its next view is already a splice.
//!
//! At each marker it does what [`SlotMap::parts`](super::SlotMap::parts) does at that slot
//! boundary: a slot's start tag brings two markers (before it: `before`, `remove` starts;
//! after it: `prepend`, `replace` starts), its end tag two more (before it: `append`, `replace`
//! ends; after it: `after`, `remove` ends). Whenever the map is accepted, the body is
//! byte-identical to the WASM rewrite of the same page and plan: a property test holds it to
//! that on marked copies made by lol_html itself. Where the map is refused (slots that nest or
//! never close) the body may differ (lol_html places an element's own insertions differently
//! from its end tag's when an end tag closes several elements at once), so the caller must not
//! send it: the Worker then has the page streamed by the WASM rewriter. Open slots are kept on
//! a stack all the same, so such a page never makes it misbehave.
//!
//! Bytes are never copied out: [`Out::Bytes`] are ranges of the marked copy, which the caller
//! slices from what it fed (it may let go of what lies before [`MarkedSplice::emitted`]). A
//! marker may be cut across pieces, so the last `marker.len() - 1` bytes fed are held back
//! until the next piece (or the end) tells.

use std::ops::Range;

use super::marks::{Boundary, Marked, Marks};
use super::record::NotSpliceable;
use crate::render::Plan;
use crate::snapshot::Op;

/// A piece of the personalized body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// Bytes of the marked stream (absolute offsets from its start).
    Bytes(Range<usize>),
    /// The HTML of the plan's edit at this index ([`Plan::edits`]).
    Fragment(usize),
}

/// An open slot: its edit (index into the plan's edits and the op), if the plan has one.
#[derive(Debug, Clone, Copy)]
struct Open {
    edit: Option<(usize, Op)>,
    /// Whether this slot is dropping bytes now (a `remove` between its outer markers, a
    /// `replace` between its inner ones).
    drops: bool,
}

/// Splices a marked stream for a plan while finding its markers.
pub struct MarkedSplice {
    marks: Marks,
    plan: Plan,
    /// Markers already acted on.
    done: usize,
    /// What the handlers saw so far, in order.
    seen: Vec<Boundary>,
    /// Offset of the marked stream up to which the output is decided.
    emitted: usize,
    /// Open slots, innermost last.
    open: Vec<Open>,
    /// Open slots that drop what they hold (a `replace` between its inner markers, a
    /// `remove` between its outer ones): bytes are dropped while this is above zero.
    dropping: usize,
}

impl MarkedSplice {
    /// Splices for `plan` a stream marked with `marker` (at least two bytes).
    pub fn new(marker: &[u8], plan: Plan) -> Self {
        Self {
            marks: Marks::new(marker),
            plan,
            done: 0,
            seen: Vec::new(),
            emitted: 0,
            open: Vec::new(),
            dropping: 0,
        }
    }

    /// Offset of the marked stream before which every byte has been emitted or dropped: the
    /// caller may let go of the pieces that end there.
    pub fn emitted(&self) -> usize {
        self.emitted
    }

    /// Bytes fed so far.
    pub fn fed(&self) -> usize {
        self.marks.fed()
    }

    /// Feeds the next piece of the marked stream, with what the handlers saw since the last
    /// piece (`seen`: a handler runs before the markers it inserts are written); appends what
    /// is decided of the body to `out`.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        seen: impl IntoIterator<Item = Boundary>,
        out: &mut Vec<Out>,
    ) {
        self.seen.extend(seen);
        self.marks.feed(bytes);
        self.act(out);
        let hold = self.marks.marker_len().saturating_sub(1);
        let safe = self.marks.fed().saturating_sub(hold);
        self.emit_to(safe, out);
    }

    /// The end of the stream: appends the rest of the body to `out`, and gives the page's map
    /// (or why it has none).
    pub fn finish(mut self, out: &mut Vec<Out>) -> Result<Marked, NotSpliceable> {
        self.act(out);
        let end = self.marks.fed();
        self.emit_to(end, out);
        self.marks.finish(&self.seen)
    }

    fn emit_to(&mut self, to: usize, out: &mut Vec<Out>) {
        if to > self.emitted {
            if self.dropping == 0 {
                push_bytes(out, self.emitted..to);
            }
            self.emitted = to;
        }
    }

    /// Acts on every marker found and not yet acted on.
    fn act(&mut self, out: &mut Vec<Out>) {
        let len = self.marks.marker_len();
        while let Some(&at) = self.marks.found().get(self.done) {
            let j = self.done;
            self.done += 1;
            self.emit_to(at, out);
            self.emitted = self.emitted.max(at + len);
            let second = j % 2 == 1;
            match (self.seen.get(j / 2), second) {
                (Some(Boundary::Start(name)), false) => {
                    let edit = if self.plan.page_mark().is_some() {
                        None
                    } else {
                        self.plan
                            .edits()
                            .iter()
                            .position(|e| *e.slot == **name)
                            .map(|i| (i, self.plan.edits()[i].op))
                    };
                    let mut slot = Open { edit, drops: false };
                    match edit {
                        Some((i, Op::Before)) => self.fragment(i, out),
                        Some((_, Op::Remove)) => slot.drops = true,
                        _ => {}
                    }
                    if slot.drops {
                        self.dropping += 1;
                    }
                    self.open.push(slot);
                }
                (Some(Boundary::Start(_)), true) => {
                    let Some(slot) = self.open.last_mut() else {
                        continue;
                    };
                    match slot.edit {
                        Some((i, Op::Prepend)) => self.fragment(i, out),
                        Some((i, Op::Replace)) => {
                            self.fragment(i, out);
                            if let Some(slot) = self.open.last_mut() {
                                slot.drops = true;
                            }
                            self.dropping += 1;
                        }
                        _ => {}
                    }
                }
                (Some(Boundary::End), false) => {
                    let Some(slot) = self.open.last().copied() else {
                        continue;
                    };
                    match slot.edit {
                        Some((_, Op::Replace)) if slot.drops => {
                            self.dropping = self.dropping.saturating_sub(1);
                            if let Some(slot) = self.open.last_mut() {
                                slot.drops = false;
                            }
                        }
                        Some((i, Op::Append)) => self.fragment(i, out),
                        _ => {}
                    }
                }
                (Some(Boundary::End), true) => {
                    let Some(slot) = self.open.pop() else {
                        continue;
                    };
                    match slot.edit {
                        Some((_, Op::Remove)) if slot.drops => {
                            self.dropping = self.dropping.saturating_sub(1);
                        }
                        Some((i, Op::After)) => self.fragment(i, out),
                        _ => {}
                    }
                }
                // A marker no handler accounts for (the page held the marker): its map is
                // refused at the end; here its bytes are simply taken out.
                (None, _) => {}
            }
        }
    }

    fn fragment(&self, i: usize, out: &mut Vec<Out>) {
        let empty = self.plan.edits().get(i).is_none_or(|e| e.html.is_empty());
        if self.dropping == 0 && !empty {
            out.push(Out::Fragment(i));
        }
    }
}

fn push_bytes(out: &mut Vec<Out>, range: Range<usize>) {
    if range.is_empty() {
        return;
    }
    if let Some(Out::Bytes(last)) = out.last_mut() {
        if last.end == range.start {
            last.end = range.end;
            return;
        }
    }
    out.push(Out::Bytes(range));
}

#[cfg(test)]
mod tests;
