//! Finds the attribute form's marker in a page that is rewritten without it.
//!
//! With `Limits::attribute_slots` off, `data-vitrine-slot` elements are not slots, and a page
//! that still uses them keeps their default content. That is the site owner's choice, but a
//! silent one: [`MarkerScan`] looks for the attribute's name in the raw bytes as they stream
//! (memchr's SIMD substring search, a small fraction of the parse), so the Worker can say so
//! in its log. A hit in text or a comment is a false alarm, never a missed slot.
//!
//! The scan reads every byte of the page, as much again as finding vitrine's own markers in a
//! mapped page, only to log one line per isolate. So an isolate scans the first
//! [`ScanSchedule::FIRST`] times it looks (a page mapped, or streamed by the WASM rewriter; a
//! page whose map is refused and that is then streamed is looked at twice), and one time in
//! [`ScanSchedule::EVERY`] after that: a site whose pages use the attribute form is still
//! noticed early, while the long tail of a shop's pages is not scanned again and again for it.

use memchr::memmem;

use super::SLOT_ATTRIBUTE;

/// Looks for [`SLOT_ATTRIBUTE`] across the chunks of one page, also where a chunk boundary
/// splits it.
#[derive(Debug, Default)]
pub struct MarkerScan {
    /// The last bytes seen, one fewer than the marker (a split marker ends in the next chunk).
    tail: Vec<u8>,
    found: bool,
}

impl MarkerScan {
    /// Scans the next chunk; `true` only the first time the marker is seen.
    pub fn feed(&mut self, chunk: &[u8]) -> bool {
        if self.found {
            return false;
        }
        let marker = SLOT_ATTRIBUTE.as_bytes();
        let keep = marker.len() - 1;
        let mut seam = std::mem::take(&mut self.tail);
        seam.extend_from_slice(&chunk[..chunk.len().min(keep)]);
        self.found = memmem::find(&seam, marker).is_some() || memmem::find(chunk, marker).is_some();
        if chunk.len() >= keep {
            seam.clear();
            seam.extend_from_slice(&chunk[chunk.len() - keep..]);
        } else {
            let drop = seam.len().saturating_sub(keep);
            seam.drain(..drop);
        }
        self.tail = seam;
        self.found
    }
}

/// Which pages an isolate scans with [`MarkerScan`]: the first [`Self::FIRST`] it is asked
/// about, then one in [`Self::EVERY`].
#[derive(Debug, Default, Clone, Copy)]
pub struct ScanSchedule {
    /// Pages asked about so far (wrapping: after 2^32 asks it starts over).
    asked: u32,
}

impl ScanSchedule {
    /// Pages scanned before the schedule samples.
    pub const FIRST: u32 = 32;
    /// One page in this many is scanned after the first [`Self::FIRST`].
    pub const EVERY: u32 = 16;

    /// Whether the next page is scanned (counts it).
    pub fn scan_next(&mut self) -> bool {
        let n = self.asked;
        self.asked = n.wrapping_add(1);
        n < Self::FIRST || (n - Self::FIRST).is_multiple_of(Self::EVERY)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn finds_the_marker_once() {
        let mut scan = MarkerScan::default();
        assert!(!scan.feed(b"<div class=x>"));
        assert!(scan.feed(b"<aside data-vitrine-slot=\"note\">"));
        assert!(
            !scan.feed(b"<aside data-vitrine-slot=\"again\">"),
            "reported once"
        );
    }

    #[test]
    fn the_first_pages_are_scanned_then_one_in_sixteen() {
        let mut schedule = ScanSchedule::default();
        let scanned: Vec<u32> = (0..100).filter(|_| schedule.scan_next()).collect();
        let mut want: Vec<u32> = (0..32).collect();
        want.extend([32, 48, 64, 80, 96]);
        assert_eq!(scanned, want);
        // Past the first pages, exactly one page in every sixteen, however many it has seen.
        for asked in [1_000, 123_456_789, u32::MAX - 200] {
            let mut schedule = ScanSchedule { asked };
            let scanned: Vec<bool> = (0..160).map(|_| schedule.scan_next()).collect();
            for w in scanned.windows(16) {
                assert_eq!(w.iter().filter(|s| **s).count(), 1, "{asked}");
            }
        }
        // After 2^32 asks it starts over, with its first pages.
        let mut schedule = ScanSchedule {
            asked: u32::MAX - 40,
        };
        let scanned: Vec<bool> = (0..80).map(|_| schedule.scan_next()).collect();
        assert!(scanned[41..73].iter().all(|s| *s));
        assert_eq!(scanned[..41].iter().filter(|s| **s).count(), 2);
    }

    #[test]
    fn tag_form_alone_is_not_the_marker() {
        let mut scan = MarkerScan::default();
        assert!(!scan.feed(b"<vitrine-slot name=\"hero\">d</vitrine-slot> data-vitrine-slo"));
        assert!(!scan.feed(b"x"));
    }

    proptest! {
        /// However the page is cut (one-byte chunks included), the marker is found exactly
        /// when the page contains it.
        #[test]
        fn chunking_does_not_hide_the_marker(
            before in "[a-z <>=\"-]{0,40}",
            with in any::<bool>(),
            cuts in proptest::collection::vec(0usize..80, 0..8),
        ) {
            let page = format!("{before}{}{before}", if with { SLOT_ATTRIBUTE } else { "" });
            let bytes = page.as_bytes();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            cuts.push(0);
            cuts.push(bytes.len());
            cuts.sort_unstable();
            let mut scan = MarkerScan::default();
            let hits = cuts.windows(2).filter(|w| scan.feed(&bytes[w[0]..w[1]])).count();
            let expected = usize::from(memmem::find(bytes, SLOT_ATTRIBUTE.as_bytes()).is_some());
            prop_assert_eq!(hits, expected);
        }
    }
}
