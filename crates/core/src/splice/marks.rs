//! A page's slot map from a marked copy: the first view of a page is parsed by the runtime's
//! own HTMLRewriter (lol_html compiled natively, the JS peer's cost), which inserts a marker at
//! each slot boundary instead of rewriting; this module finds the markers and turns them into
//! the same [`SlotMap`] the WASM recorder would have made, plus where the original bytes are
//! in the marked copy.
//!
//! The Worker tells it what its handlers saw, in order ([`Boundary`]): a slot's start tag
//! (which inserted a marker before it and one after it) and an end tag (one before, one after).
//! A page is refused (and streamed by the WASM rewriter instead) unless every slot is closed,
//! no two slots nest or overlap, and exactly four markers per slot were found: the marker is
//! 128 random bits per isolate, so a page cannot hold it by chance, and if one did the count
//! would say so.

use std::ops::Range;

use memchr::memmem;

use super::record::NotSpliceable;
use super::{SlotMap, SlotSpan};

/// What the native rewriter's handlers saw, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Boundary {
    /// A slot's start tag (markers inserted before and after it).
    Start(Box<str>),
    /// The end tag of the slot opened last (markers inserted before and after it).
    End,
}

/// Finds every occurrence of a marker in a page fed in pieces of any size.
pub struct Marks {
    finder: memmem::Finder<'static>,
    /// The last `marker.len() - 1` bytes fed, where a marker may begin.
    tail: Vec<u8>,
    /// Bytes fed so far.
    fed: usize,
    /// Where each marker begins, in the marked copy.
    found: Vec<usize>,
}

/// The outcome of a marked copy: the page's slot map, and the ranges of the marked copy that
/// are the original page, in order (the bytes between markers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    /// Where the slots are in the original page.
    pub template: SlotMap,
    /// The original page's bytes within the marked copy.
    pub segments: Vec<Range<usize>>,
}

impl Marks {
    /// Looks for `marker` (at least two bytes).
    pub fn new(marker: &[u8]) -> Self {
        Self {
            finder: memmem::Finder::new(marker).into_owned(),
            tail: Vec::new(),
            fed: 0,
            found: Vec::new(),
        }
    }

    /// The marker's length in bytes.
    pub fn marker_len(&self) -> usize {
        self.finder.needle().len()
    }

    /// Bytes fed so far.
    pub fn fed(&self) -> usize {
        self.fed
    }

    /// Where each marker found so far begins, in the marked copy, in order.
    pub fn found(&self) -> &[usize] {
        &self.found
    }

    /// Feeds the next bytes of the marked copy.
    pub fn feed(&mut self, bytes: &[u8]) {
        let len = self.marker_len();
        let room = len.saturating_sub(1);
        // A marker split across pieces starts in the tail: search the tail joined with the
        // new bytes' start (markers wholly in the new bytes are found below, once).
        let mut joined = std::mem::take(&mut self.tail);
        let base = self.fed - joined.len();
        joined.extend_from_slice(&bytes[..bytes.len().min(room)]);
        for at in self.finder.find_iter(&joined) {
            if base + at < self.fed {
                self.found.push(base + at);
            }
        }
        for at in self.finder.find_iter(bytes) {
            self.found.push(self.fed + at);
        }
        self.fed += bytes.len();
        // The new tail: the last `room` bytes fed, which may reach back into the old tail.
        let old = joined.len() - bytes.len().min(room);
        let from_old = room.saturating_sub(bytes.len()).min(old);
        let mut tail = joined[old - from_old..old].to_vec();
        tail.extend_from_slice(&bytes[bytes.len() - bytes.len().min(room)..]);
        self.tail = tail;
    }

    /// The slot map, given what the handlers saw; or why the page cannot be spliced.
    pub fn finish(self, seen: &[Boundary]) -> Result<Marked, NotSpliceable> {
        let len = self.marker_len();
        let mut names = Vec::new();
        let mut open: Option<(Box<str>, usize)> = None;
        for (i, b) in seen.iter().enumerate() {
            match (b, open.take()) {
                (Boundary::Start(name), None) => open = Some((name.clone(), i)),
                (Boundary::Start(name), Some(_)) => {
                    return Err(NotSpliceable::Overlap {
                        name: name.to_string(),
                        at: self.found.get(2 * i).copied().unwrap_or(0),
                    })
                }
                (Boundary::End, Some((name, _))) => names.push(name),
                // An end tag with no open slot: the handlers saw something this map cannot
                // describe.
                (Boundary::End, None) => {
                    return Err(NotSpliceable::Marker {
                        found: self.found.len(),
                        expected: 4 * names.len(),
                    })
                }
            }
        }
        if let Some((name, i)) = open {
            return Err(NotSpliceable::Unclosed {
                name: name.to_string(),
                at: self.found.get(2 * i).copied().unwrap_or(0),
            });
        }
        if self.found.len() != 4 * names.len() {
            return Err(NotSpliceable::Marker {
                found: self.found.len(),
                expected: 4 * names.len(),
            });
        }
        // Markers never overlap one another (each was inserted whole between two bytes of the
        // page), so the j-th marker stands at original offset `found[j] - j * len`.
        let at: Vec<usize> = self
            .found
            .iter()
            .enumerate()
            .map(|(j, p)| p.saturating_sub(j * len))
            .collect();
        let page_len = self.fed.saturating_sub(self.found.len() * len);
        let mut slots: Vec<SlotSpan> = Vec::with_capacity(names.len());
        for (name, b) in names.into_iter().zip(at.chunks_exact(4)) {
            let (outer_start, inner_start, inner_end, outer_end) = (b[0], b[1], b[2], b[3]);
            let ordered = outer_start < inner_start
                && inner_start <= inner_end
                && inner_end < outer_end
                && outer_end <= page_len
                && slots.last().is_none_or(|p| p.outer.end <= outer_start);
            if !ordered {
                return Err(NotSpliceable::Overlap {
                    name: name.into(),
                    at: outer_start,
                });
            }
            slots.push(SlotSpan {
                name,
                outer: outer_start..outer_end,
                inner: inner_start..inner_end,
            });
        }
        let mut segments = Vec::with_capacity(self.found.len() + 1);
        let mut from = 0;
        for &p in &self.found {
            if p < from {
                return Err(NotSpliceable::Marker {
                    found: self.found.len(),
                    expected: self.found.len(),
                });
            }
            if p > from {
                segments.push(from..p);
            }
            from = p + len;
        }
        if self.fed > from {
            segments.push(from..self.fed);
        }
        Ok(Marked {
            template: SlotMap {
                len: page_len,
                slots,
            },
            segments,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rewrite::Limits;
    use crate::splice::record;
    use proptest::prelude::*;

    const MARK: &[u8] = b"\x01vt0123456789abcdef0123456789abcdef\x01";

    /// The marked copy the native rewriter makes of `page`, given its recorded map.
    fn marked(page: &[u8], map: &SlotMap) -> (Vec<u8>, Vec<Boundary>) {
        let mut at = Vec::new();
        let mut seen = Vec::new();
        for s in map.slots() {
            at.extend([s.outer.start, s.inner.start, s.inner.end, s.outer.end]);
            seen.extend([Boundary::Start(s.name.clone()), Boundary::End]);
        }
        let mut out = Vec::new();
        let mut from = 0;
        for p in at {
            out.extend_from_slice(&page[from..p]);
            out.extend_from_slice(MARK);
            from = p;
        }
        out.extend_from_slice(&page[from..]);
        (out, seen)
    }

    fn scan(copy: &[u8], piece: usize, seen: &[Boundary]) -> Result<Marked, NotSpliceable> {
        let mut marks = Marks::new(MARK);
        for chunk in copy.chunks(piece.max(1)) {
            marks.feed(chunk);
        }
        marks.finish(seen)
    }

    fn original(copy: &[u8], m: &Marked) -> Vec<u8> {
        m.segments
            .iter()
            .flat_map(|r| copy[r.clone()].iter().copied())
            .collect()
    }

    const PAGE: &[u8] = b"<p>a<vitrine-slot name=\"hero\">x</vitrine-slot>b<!-- c -->\
        <vitrine-slot name=\"empty\"></vitrine-slot><vitrine-slot name=\"z\">y</vitrine-slot></p>";

    #[test]
    fn markers_give_the_recorded_map_and_the_original_bytes() {
        let map = record(PAGE, Limits::default(), None).unwrap();
        assert_eq!(map.slots().len(), 3);
        let (copy, seen) = marked(PAGE, &map);
        for piece in [1, 2, 7, MARK.len() - 1, MARK.len(), 64, copy.len()] {
            let m = scan(&copy, piece, &seen).unwrap();
            assert_eq!(m.template, map, "piece {piece}");
            assert_eq!(original(&copy, &m), PAGE, "piece {piece}");
        }
    }

    #[test]
    fn a_page_without_slots_is_one_segment() {
        let page = b"<p>nothing here</p>";
        let m = scan(page, 5, &[]).unwrap();
        assert_eq!(m.template.len(), page.len());
        assert!(m.template.slots().is_empty());
        assert_eq!(m.segments, vec![0..page.len()]);
    }

    #[test]
    fn unclosed_nested_and_miscounted_pages_are_refused() {
        let map = record(PAGE, Limits::default(), None).unwrap();
        let (copy, mut seen) = marked(PAGE, &map);
        // The page itself holds the marker: one marker too many.
        let mut extra = copy.clone();
        extra.extend_from_slice(MARK);
        assert!(matches!(
            scan(&extra, 9, &seen),
            Err(NotSpliceable::Marker {
                found: 13,
                expected: 12
            })
        ));
        // A slot whose end tag never came.
        seen.pop();
        assert!(matches!(
            scan(&copy, 9, &seen),
            Err(NotSpliceable::Unclosed { .. })
        ));
        // A slot inside another.
        let nested = [
            Boundary::Start("a".into()),
            Boundary::Start("b".into()),
            Boundary::End,
            Boundary::End,
        ];
        assert!(matches!(
            scan(&copy, 9, &nested),
            Err(NotSpliceable::Overlap { .. })
        ));
        assert!(matches!(
            scan(&copy, 9, &[Boundary::End]),
            Err(NotSpliceable::Marker { .. })
        ));
    }

    proptest! {
        /// Whatever the page and however the marked copy is cut, the markers give back exactly
        /// the map the WASM recorder makes, and the segments exactly the page.
        #[test]
        fn markers_agree_with_the_recorder(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("<vitrine-slot name=\"s\">in</vitrine-slot>".to_owned()),
                    Just("<vitrine-slot name=\"t\"></vitrine-slot>".to_owned()),
                    Just("<!-- <vitrine-slot name=\"no\"> -->".to_owned()),
                    Just("<script>var a='<vitrine-slot name=\"no\">';</script>".to_owned()),
                    "[a-z<>/ =\"]{0,12}",
                ],
                0..12,
            ),
            piece in 1usize..80,
        ) {
            let page = parts.concat();
            if let Ok(map) = record(page.as_bytes(), Limits::default(), None) {
                let (copy, seen) = marked(page.as_bytes(), &map);
                let m = scan(&copy, piece, &seen).unwrap();
                prop_assert_eq!(&m.template, &map);
                prop_assert_eq!(original(&copy, &m), page.as_bytes());
            }
        }
    }
}
