//! Slot maps shared between isolates: what one isolate learned about a page, so that another
//! isolate of the same colo splices the page on its first view there instead of parsing it.
//!
//! An isolate starts knowing no page, and on a shop with a long tail a third of its requests are
//! a page's first view in that isolate (BENCHMARKS.md, "Eighth pass"). A map is a few offsets and
//! never sees a visitor (it is made from the page alone), so it can be shared: the Worker keeps
//! each map it makes in a named Cache API cache, which every isolate of a colo reads, under
//! [`cache_url`] (the page key, the map format and what the map depends on), and an isolate that
//! does not know a page looks there while the page is being fetched.
//!
//! A shared entry is untrusted input, like anything read back from a store: [`decode`] refuses
//! anything that is not exactly a map of this format, **at the validator the source just sent**
//! (so a map is never applied to bytes it was not made from: the validator covers the `ETag` or
//! `Last-Modified`, the length and the type, and the Worker also checks the length of the bytes
//! it splices), with slots that are in order, disjoint and inside the page. Those are the
//! invariants [`SlotMap::parts`] relies on, so a decoded map splices exactly as the map that
//! was encoded (a property test holds it to that).
//!
//! The layout is postcard (varints, length-prefixed strings) after a magic and a format byte:
//! a category page's map is about 60 bytes.

use serde::{Deserialize, Serialize};

use super::{SlotMap, SlotSpan};

/// The first bytes of every encoded map: `vmap` and the format.
const MAGIC: &[u8; 5] = b"vmap\x01";

/// The format of encoded maps, also in [`cache_url`]: a Worker that encodes maps differently
/// reads and writes other entries.
pub const FORMAT: u8 = 1;

/// The largest encoded map read or written (a page with hundreds of slots fits).
pub const MAX_ENCODED: usize = 64 << 10;

/// The path segment under a page's origin that names shared maps in the cache.
const CACHE_PATH: &str = "/__vitrine/map/";

/// A map as it is stored: the validator it was made at, the page length and the slots.
#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    validator: &'a str,
    len: u64,
    #[serde(borrow)]
    slots: Vec<WireSlot<'a>>,
}

/// One slot: its name and its four offsets (outer start, inner start, inner end, outer end).
#[derive(Serialize, Deserialize)]
struct WireSlot<'a> {
    name: &'a str,
    at: [u64; 4],
}

/// Why a shared map was not used. None of these is an error of the request: the page is mapped
/// as if no map had been shared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SharedRefused {
    /// Longer than [`MAX_ENCODED`].
    #[error("shared map of {len} bytes is over the {MAX_ENCODED}-byte limit")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// Not a map of this format (another format, or not a map at all).
    #[error("shared map has no vmap format-{FORMAT} magic")]
    Format,
    /// The bytes after the magic do not decode, or are followed by more.
    #[error("shared map does not decode: {0}")]
    Decode(String),
    /// Made at another validator than the page the source just sent.
    #[error("shared map was made at another validator")]
    OtherValidator,
    /// Its slots are not in order, overlap, or reach past the page.
    #[error("shared map's slot {index} is out of order or outside the page")]
    Slots {
        /// The first slot that is not.
        index: usize,
    },
}

impl SharedRefused {
    /// A short code for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong { .. } => "too_long",
            Self::Format => "format",
            Self::Decode(_) => "decode",
            Self::OtherValidator => "other_validator",
            Self::Slots { .. } => "slots",
        }
    }
}

/// Lookups an isolate makes before it judges whether the colo's cache has its new pages.
pub const LOOKUPS_BEFORE_JUDGING: u32 = 16;

/// Lookups over which hits are counted: past this, both counts are halved, so the judgment
/// follows the colo as its cache fills.
const LOOKUP_WINDOW: u32 = 256;

/// While the colo's cache rarely has a page, one new page in this many is still looked up.
pub const SAMPLE_WHEN_COLD: u32 = 8;

/// Whether to ask the colo's cache for pages new to this isolate. A lookup that misses costs a
/// subrequest's CPU for nothing (BENCHMARKS.md, "Tenth pass", has what a miss costs and a hit
/// saves), and in a colo whose cache does not have the isolate's new pages (a new deployment,
/// a long tail no other isolate has seen, `workers.dev`) most would miss. So an isolate looks
/// up every new page while at least one lookup in four finds a map (and for its first
/// [`LOOKUP_BEFORE_JUDGING`] lookups), and otherwise one new page in [`SAMPLE_WHEN_COLD`],
/// which keeps measuring the hit rate so it looks up every page again once the cache fills.
/// Maps are shared whatever this says: sharing is what fills the cache.
///
/// [`LOOKUP_BEFORE_JUDGING`]: LOOKUPS_BEFORE_JUDGING
#[derive(Debug, Clone, Default)]
pub struct Lookups {
    asked: u32,
    found: u32,
    skipped: u32,
}

impl Lookups {
    /// Whether to look up the next page new to this isolate; a `true` must be followed by
    /// [`Lookups::answered`].
    pub fn ask(&mut self) -> bool {
        if self.worth_asking() || self.skipped + 1 >= SAMPLE_WHEN_COLD {
            self.skipped = 0;
            return true;
        }
        self.skipped += 1;
        false
    }

    /// Whether lookups find maps often enough to look up every new page.
    pub fn worth_asking(&self) -> bool {
        self.asked < LOOKUPS_BEFORE_JUDGING || self.found.saturating_mul(4) >= self.asked
    }

    /// Counts a lookup's answer: whether it found a map this isolate could use.
    pub fn answered(&mut self, found: bool) {
        self.asked += 1;
        self.found += u32::from(found);
        if self.asked >= LOOKUP_WINDOW {
            self.asked /= 2;
            self.found /= 2;
        }
    }
}

/// The `SHARED_MAPS` setting: `on` (or unset) or `off`; anything else is refused, with the
/// message to log (`on` is used).
pub fn setting(value: Option<&str>) -> Result<bool, String> {
    let Some(value) = value else {
        return Ok(true);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "1" | "true" | "" => Ok(true),
        "off" | "0" | "false" => Ok(false),
        _ => Err(format!(
            "SHARED_MAPS {:?} is not on or off; on is used",
            value.trim()
        )),
    }
}

/// `map`, made at `validator`, as it is shared; `None` if it would be longer than
/// [`MAX_ENCODED`] (it is then not shared).
pub fn encode(validator: &str, map: &SlotMap) -> Option<Vec<u8>> {
    let wire = Wire {
        validator,
        len: map.len as u64,
        slots: map
            .slots
            .iter()
            .map(|s| WireSlot {
                name: &s.name,
                at: [s.outer.start, s.inner.start, s.inner.end, s.outer.end].map(|n| n as u64),
            })
            .collect(),
    };
    let out = postcard::to_extend(&wire, MAGIC.to_vec()).ok()?;
    (out.len() <= MAX_ENCODED).then_some(out)
}

/// The map in `bytes` if it is a map of this format made at `validator`, with slots that are
/// in order, disjoint and inside the page.
pub fn decode(bytes: &[u8], validator: &str) -> Result<SlotMap, SharedRefused> {
    if bytes.len() > MAX_ENCODED {
        return Err(SharedRefused::TooLong { len: bytes.len() });
    }
    let body = bytes.strip_prefix(MAGIC).ok_or(SharedRefused::Format)?;
    let (wire, rest): (Wire<'_>, &[u8]) =
        postcard::take_from_bytes(body).map_err(|e| SharedRefused::Decode(e.to_string()))?;
    if !rest.is_empty() {
        return Err(SharedRefused::Decode(format!(
            "{} bytes after the map",
            rest.len()
        )));
    }
    if wire.validator != validator {
        return Err(SharedRefused::OtherValidator);
    }
    let len = usize::try_from(wire.len).map_err(|_| SharedRefused::Slots { index: 0 })?;
    let mut slots: Vec<SlotSpan> = Vec::with_capacity(wire.slots.len());
    let mut cursor = 0usize;
    for (index, slot) in wire.slots.iter().enumerate() {
        let refused = SharedRefused::Slots { index };
        let mut at = [0usize; 4];
        for (to, from) in at.iter_mut().zip(slot.at) {
            *to = usize::try_from(from).map_err(|_| refused.clone())?;
        }
        let [outer_start, inner_start, inner_end, outer_end] = at;
        // In document order, disjoint, the content inside the element, all inside the page.
        let ordered = cursor <= outer_start
            && outer_start <= inner_start
            && inner_start <= inner_end
            && inner_end <= outer_end
            && outer_end <= len;
        if !ordered {
            return Err(refused);
        }
        cursor = outer_end;
        slots.push(SlotSpan {
            name: slot.name.into(),
            outer: outer_start..outer_end,
            inner: inner_start..inner_end,
        });
    }
    Ok(SlotMap { len, slots })
}

/// The cache URL the map of the page `page_key` (an absolute `http(s)` URL) is shared under:
/// the page's own origin, a path of vitrine's, the map format, whether the attribute form of
/// slots was on (it changes which elements are slots), then the page's path and query. `None`
/// for a page key that is not an absolute `http(s)` URL.
pub fn cache_url(page_key: &str, attribute_slots: bool) -> Option<String> {
    let scheme_end = page_key.find("://")?;
    let scheme = &page_key[..scheme_end];
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let after = scheme_end + 3;
    let host_end = page_key[after..]
        .find(['/', '?', '#'])
        .map_or(page_key.len(), |i| after + i);
    if host_end == after {
        return None;
    }
    let rest = &page_key[host_end..];
    let rest = rest.split('#').next().unwrap_or_default();
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let form = if attribute_slots { 'a' } else { 't' };
    Some(format!(
        "{}{CACHE_PATH}{FORMAT}{form}/{rest}",
        &page_key[..host_end]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rewrite::Limits;
    use crate::snapshot::Op;
    use crate::splice::record;
    use crate::splice::tests::plan;
    use proptest::prelude::*;

    const PAGE: &str = "<html><body><vitrine-slot name=\"hero\"><p>x</p></vitrine-slot>\
                        <p>between</p><vitrine-slot name=\"recs\"></vitrine-slot></body></html>";

    fn map_of(page: &str) -> SlotMap {
        record(page.as_bytes(), Limits::default(), None).expect("the test page records")
    }

    #[test]
    fn a_map_comes_back_as_it_was_shared() {
        let map = map_of(PAGE);
        let bytes = encode("\"v1\"\n\n120\ntext/html", &map).expect("small");
        assert!(bytes.starts_with(MAGIC));
        assert_eq!(decode(&bytes, "\"v1\"\n\n120\ntext/html"), Ok(map));
    }

    #[test]
    fn a_map_made_at_another_validator_is_refused() {
        let bytes = encode("\"v1\"", &map_of(PAGE)).expect("small");
        assert_eq!(decode(&bytes, "\"v2\""), Err(SharedRefused::OtherValidator));
        assert_eq!(decode(&bytes, ""), Err(SharedRefused::OtherValidator));
    }

    #[test]
    fn other_formats_and_trailing_bytes_are_refused() {
        let bytes = encode("v", &map_of(PAGE)).expect("small");
        let mut other = bytes.clone();
        other[4] = 2;
        assert_eq!(decode(&other, "v"), Err(SharedRefused::Format));
        assert_eq!(decode(b"", "v"), Err(SharedRefused::Format));
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer, "v").map_err(|e| e.code()), Err("decode"));
        let cut = &bytes[..bytes.len() - 1];
        assert_eq!(decode(cut, "v").map_err(|e| e.code()), Err("decode"));
        let huge = vec![0u8; MAX_ENCODED + 1];
        assert_eq!(
            decode(&huge, "v"),
            Err(SharedRefused::TooLong {
                len: MAX_ENCODED + 1
            })
        );
    }

    /// A wire map with the given slots, encoded as a Worker of this format would.
    fn raw(len: u64, slots: &[[u64; 4]]) -> Vec<u8> {
        let wire = Wire {
            validator: "v",
            len,
            slots: slots.iter().map(|&at| WireSlot { name: "s", at }).collect(),
        };
        postcard::to_extend(&wire, MAGIC.to_vec()).expect("encodes")
    }

    #[test]
    fn slots_out_of_order_overlapping_or_past_the_page_are_refused() {
        assert!(decode(&raw(100, &[[0, 5, 10, 20], [20, 25, 30, 40]]), "v").is_ok());
        let bad: &[(&[[u64; 4]], usize)] = &[
            (&[[0, 5, 10, 20], [19, 25, 30, 40]], 1), // overlaps the first
            (&[[10, 5, 10, 20]], 0),                  // content before the start tag
            (&[[0, 12, 10, 20]], 0),                  // content ends before it starts
            (&[[0, 5, 25, 20]], 0),                   // content past the end tag
            (&[[0, 5, 10, 101]], 0),                  // past the page
            (&[[50, 55, 60, 70], [0, 5, 10, 20]], 1), // out of order
            (&[[0, 5, 10, u64::MAX]], 0),             // past any page
        ];
        for (slots, index) in bad {
            assert_eq!(
                decode(&raw(100, slots), "v"),
                Err(SharedRefused::Slots { index: *index }),
                "{slots:?}"
            );
        }
    }

    #[test]
    fn a_map_too_long_to_share_is_not_encoded() {
        let slots = (0..MAX_ENCODED / 8)
            .map(|i| SlotSpan {
                name: "slot-with-a-long-enough-name".into(),
                outer: i * 10..i * 10 + 9,
                inner: i * 10 + 1..i * 10 + 8,
            })
            .collect();
        let map = SlotMap {
            len: MAX_ENCODED * 2,
            slots,
        };
        assert_eq!(encode("v", &map), None);
    }

    #[test]
    fn every_new_page_is_looked_up_while_lookups_find_maps() {
        let mut l = Lookups::default();
        for _ in 0..1000 {
            assert!(l.ask());
            l.answered(true);
        }
        // One hit in four is enough.
        let mut l = Lookups::default();
        for i in 0..1000 {
            assert!(l.ask(), "lookup {i}");
            l.answered(i % 4 == 0);
        }
    }

    #[test]
    fn a_cold_colo_is_sampled_then_looked_up_again_once_it_fills() {
        let mut l = Lookups::default();
        for _ in 0..LOOKUPS_BEFORE_JUDGING {
            assert!(l.ask());
            l.answered(false);
        }
        let asked = (0..80)
            .filter(|_| {
                let ask = l.ask();
                if ask {
                    l.answered(false);
                }
                ask
            })
            .count();
        assert_eq!(asked, 80 / SAMPLE_WHEN_COLD as usize);
        // The cache fills: the sampled lookups hit, and soon every page is looked up again.
        let mut until_every = 0;
        while !l.worth_asking() {
            if l.ask() {
                l.answered(true);
            }
            until_every += 1;
            assert!(until_every < 1000, "never looks up every page again");
        }
        // 26 lookups and no hit so far: 9 sampled hits make one in four, 9 samples apart.
        assert_eq!(until_every, 9 * SAMPLE_WHEN_COLD);
    }

    proptest! {
        /// Whatever the answers, a lookup is never skipped more than `SAMPLE_WHEN_COLD - 1`
        /// times in a row, never while lookups are worth it, and the counts stay in the window.
        #[test]
        fn lookups_are_sampled_never_stopped(answers in proptest::collection::vec(any::<bool>(), 0..2000)) {
            let mut l = Lookups::default();
            let mut skipped_in_a_row = 0;
            let mut answers = answers.into_iter();
            for _ in 0..4000 {
                let worth = l.worth_asking();
                if l.ask() {
                    skipped_in_a_row = 0;
                    let Some(found) = answers.next() else { break };
                    l.answered(found);
                } else {
                    prop_assert!(!worth);
                    skipped_in_a_row += 1;
                    prop_assert!(skipped_in_a_row < SAMPLE_WHEN_COLD);
                }
                prop_assert!(l.asked < LOOKUP_WINDOW && l.found <= l.asked);
            }
        }
    }

    #[test]
    fn the_setting_is_on_unless_turned_off() {
        for on in [
            None,
            Some("on"),
            Some(" ON "),
            Some("1"),
            Some("true"),
            Some(""),
        ] {
            assert_eq!(setting(on), Ok(true), "{on:?}");
        }
        for off in ["off", "Off", "0", "false"] {
            assert_eq!(setting(Some(off)), Ok(false), "{off}");
        }
        let refused = setting(Some("maybe")).unwrap_err();
        assert!(
            refused.contains("\"maybe\"") && refused.contains("on is used"),
            "{refused}"
        );
    }

    #[test]
    fn cache_urls_keep_the_page_origin_and_name_format_and_form() {
        assert_eq!(
            cache_url("https://shop.example/p/1?page=2", false).as_deref(),
            Some("https://shop.example/__vitrine/map/1t/p/1?page=2")
        );
        assert_eq!(
            cache_url("http://127.0.0.1:8787", true).as_deref(),
            Some("http://127.0.0.1:8787/__vitrine/map/1a/")
        );
        assert_eq!(
            cache_url("https://shop.example/#top", false).as_deref(),
            Some("https://shop.example/__vitrine/map/1t/")
        );
        assert_ne!(
            cache_url("https://shop.example/a", false),
            cache_url("https://shop.example/a", true)
        );
        for not in ["/p/1", "ftp://x/y", "https:///p", "", "https://"] {
            assert_eq!(cache_url(not, false), None, "{not}");
        }
    }

    fn page() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("<p>text</p>".to_owned()),
            Just("<!-- <vitrine-slot name=\"c\"> -->".to_owned()),
            Just("<script>var s = \"</vitrine-slot>\";</script>".to_owned()),
            "[a-z ]{0,12}".prop_map(|s| s),
            ("[a-z]{1,6}", "[a-z<> ]{0,12}").prop_map(|(name, inner)| format!(
                "<vitrine-slot name=\"{name}\">{inner}</vitrine-slot>"
            )),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|p| p.concat())
    }

    proptest! {
        /// A decoded map splices every plan exactly as the map that was shared.
        #[test]
        fn a_shared_map_splices_as_the_original(page in page(), fills in "[a-z]{0,8}") {
            let Ok(map) = record(page.as_bytes(), Limits::default(), None) else {
                return Ok(());
            };
            let bytes = encode("v", &map).expect("small");
            let back = decode(&bytes, "v").expect("decodes");
            let names: Vec<String> = map.slots().iter().map(|s| s.name.to_string()).collect();
            let ops = [Op::Replace, Op::Append, Op::Before, Op::Remove];
            let edits: Vec<(&str, Op, &str)> = names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_str(), ops[i % ops.len()], fills.as_str()))
                .collect();
            let plan = plan(&edits);
            prop_assert_eq!(
                back.splice(page.as_bytes(), &plan),
                map.splice(page.as_bytes(), &plan)
            );
            prop_assert_eq!(back, map);
        }

        /// Whatever bytes a cache gives back, decoding never panics, and a map it accepts
        /// keeps the invariants splicing relies on.
        #[test]
        fn any_bytes_decode_to_a_sound_map_or_a_refusal(
            tail in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            // The magic and a validator of "v", so the random bytes are the length and slots.
            let mut bytes = MAGIC.to_vec();
            bytes.extend_from_slice(&[1, b'v']);
            bytes.extend_from_slice(&tail);
            if let Ok(map) = decode(&bytes, "v") {
                let mut cursor = 0;
                for s in map.slots() {
                    prop_assert!(cursor <= s.outer.start);
                    prop_assert!(s.outer.start <= s.inner.start);
                    prop_assert!(s.inner.start <= s.inner.end);
                    prop_assert!(s.inner.end <= s.outer.end);
                    prop_assert!(s.outer.end <= map.len());
                    cursor = s.outer.end;
                }
            }
        }
    }
}
