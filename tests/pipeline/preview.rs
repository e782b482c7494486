//! `vitrine preview` over compiled campaigns: slots filled as the edge fills them, on any page bytes.

use proptest::prelude::*;

use crate::testutil::compiled;
use vitrine_core::cookie::Identity;
use vitrine_core::decide::Context;
use vitrine_core::preview::*;
use vitrine_core::Snapshot;

fn everyone() -> Snapshot {
    let text = "[[campaign]]\nid = \"all\"\nslot = \"hero\"\naudience = \"everyone\"\nhtml = \"<b>filled</b>\"\n";
    compiled(text)
}

fn nobody() -> Snapshot {
    let text = "[[campaign]]\nid = \"l\"\nslot = \"hero\"\nsegments = [\"loyal\"]\nhtml = \"x\"\n";
    compiled(text)
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
