//! What one visitor would see, in one call: decide, render and rewrite a whole page with the
//! same core the worker streams through. Used by `vitrine preview` and by tests.
//!
//! When no slot is filled the page is returned as the very same bytes, whatever its markup or
//! encoding: nothing parses it. When slots are filled, lol_html leaves every byte outside the
//! filled slots as it was.

use crate::decide::{decide_in, Context, Decision};
use crate::render::render;
use crate::rewrite::{Limits, RewriteError, SlotStream};
use crate::snapshot::Snapshot;

/// The page as the visitor in `ctx` would get it, and the decision behind it.
pub fn preview<'s>(
    snapshot: &'s Snapshot,
    ctx: &Context<'s>,
    page: &[u8],
    charset: Option<&str>,
) -> Result<(Vec<u8>, Decision<'s>), RewriteError> {
    let decision = decide_in(snapshot, ctx);
    let plan = render(&decision);
    if plan.is_empty() {
        return Ok((page.to_vec(), decision));
    }
    let mut stream = SlotStream::new(plan, Limits::default(), charset)?;
    let mut out = stream.feed(page);
    let (rest, _complete_even_if_stopped_early) = stream.finish();
    out.extend_from_slice(&rest);
    Ok((out, decision))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::cookie::Identity;
    use crate::snapshot::compile::{compile, Source};

    fn everyone() -> Snapshot {
        let text = "[[campaign]]\nid = \"all\"\nslot = \"hero\"\naudience = \"everyone\"\nhtml = \"<b>filled</b>\"\n";
        compile(&[Source {
            name: "t.toml",
            text,
        }])
        .unwrap()
    }

    fn nobody() -> Snapshot {
        let text =
            "[[campaign]]\nid = \"l\"\nslot = \"hero\"\nsegments = [\"loyal\"]\nhtml = \"x\"\n";
        compile(&[Source {
            name: "t.toml",
            text,
        }])
        .unwrap()
    }

    #[test]
    fn fills_slots() {
        let snap = everyone();
        let id = Identity::anonymous();
        let page = b"<p><vitrine-slot name=\"hero\">d</vitrine-slot></p>";
        let (out, d) = preview(&snap, &Context::new(&id, 0), page, None).unwrap();
        assert_eq!(
            out,
            b"<p><vitrine-slot name=\"hero\"><b>filled</b></vitrine-slot></p>"
        );
        assert_eq!(d.summary(), "hero=all");
    }

    fn page() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"<p class=x>".to_vec()),
            Just(b"</p>".to_vec()),
            Just(b"<!-- c -->".to_vec()),
            Just(b"<script>if (a < b) {}</script>".to_vec()),
            Just(b"<meta charset=\"windows-1252\">".to_vec()),
            Just(b"\xe9\xff\xfe\x00".to_vec()),
            Just("héllo ✓".as_bytes().to_vec()),
            Just(b"<textarea><b></textarea>".to_vec()),
            Just(b"<div data-other=\"vitrine-slot\">".to_vec()),
            Just(b"&amp;&#x1F600;&bogus;".to_vec()),
            prop::collection::vec(any::<u8>(), 0..16),
        ];
        prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// A page without slots comes out byte-identical even when a campaign targets everyone.
        #[test]
        fn page_without_slots_is_byte_identical(page in page()) {
            prop_assume!(!page.windows(12).any(|w| w.eq_ignore_ascii_case(b"vitrine-slot")));
            let snap = everyone();
            let id = Identity::anonymous();
            let (out, _) = preview(&snap, &Context::new(&id, 0), &page, None).unwrap();
            prop_assert_eq!(out, page);
        }

        /// A visitor nothing targets gets the page byte-identical, slots or not.
        #[test]
        fn untargeted_visitor_gets_identical_bytes(page in page()) {
            let page = [page.as_slice(), b"<vitrine-slot name=\"hero\">d</vitrine-slot>"].concat();
            let snap = nobody();
            let id = Identity::anonymous();
            let (out, d) = preview(&snap, &Context::new(&id, 0), &page, Some("windows-1252")).unwrap();
            prop_assert!(d.fills.is_empty());
            prop_assert_eq!(out, page);
        }
    }
}
