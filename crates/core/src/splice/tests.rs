use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::render::Edit;
use crate::rewrite::{rewrite_chunked, Limits, RewriteError};

pub(super) fn plan(edits: &[(&str, Op, &str)]) -> Plan {
    Plan::new(
        edits
            .iter()
            .map(|(slot, op, html)| Edit {
                slot: (*slot).into(),
                op: *op,
                html: Arc::from(*html),
            })
            .collect(),
    )
}

fn streamed(p: &Plan, page: &[u8]) -> Vec<u8> {
    streamed_with(p, page, Limits::default())
}

fn streamed_with(p: &Plan, page: &[u8], limits: Limits) -> Vec<u8> {
    let (out, err) = rewrite_chunked(p.clone(), page, 4096, limits).unwrap();
    assert!(err.is_none(), "{err:?}");
    out
}

fn spliced(p: &Plan, page: &[u8]) -> Vec<u8> {
    record(page, Limits::default(), None)
        .unwrap()
        .splice(page, p)
        .unwrap()
}

pub(super) const OPS: [Op; 6] = [
    Op::Replace,
    Op::Append,
    Op::Prepend,
    Op::Before,
    Op::After,
    Op::Remove,
];

#[test]
fn every_op_matches_the_streaming_rewrite() {
    let page =
        br#"<div><vitrine-slot name="a">old</vitrine-slot><p data-vitrine-slot=b>x</p></div>"#;
    for op in OPS {
        for other in OPS {
            let p = plan(&[("a", op, "<i>A</i>"), ("b", other, "B")]);
            assert_eq!(spliced(&p, page), streamed(&p, page), "{op:?} {other:?}");
        }
    }
}

#[test]
fn adjacent_slots_keep_document_order() {
    let page = b"<vitrine-slot name=a>1</vitrine-slot><vitrine-slot name=b>2</vitrine-slot>";
    let p = plan(&[("a", Op::After, "A"), ("b", Op::Before, "B")]);
    assert_eq!(spliced(&p, page), streamed(&p, page));
    assert_eq!(
        spliced(&p, page),
        b"<vitrine-slot name=a>1</vitrine-slot>AB<vitrine-slot name=b>2</vitrine-slot>"
    );
}

#[test]
fn repeated_slot_name_fills_every_occurrence() {
    let page = b"<vitrine-slot name=a>1</vitrine-slot>|<vitrine-slot name=a>2</vitrine-slot>";
    let p = plan(&[("a", Op::Replace, "X")]);
    assert_eq!(
        spliced(&p, page),
        b"<vitrine-slot name=a>X</vitrine-slot>|<vitrine-slot name=a>X</vitrine-slot>"
    );
}

#[test]
fn empty_plan_gives_the_page_in_one_piece() {
    let page = b"<vitrine-slot name=a>1</vitrine-slot>";
    let t = record(page, Limits::default(), None).unwrap();
    assert_eq!(
        t.parts(&Plan::default()),
        vec![Piece::Literal(0, page.len())]
    );
}

#[test]
fn a_plan_that_fills_nothing_on_a_page_leaves_it_whole() {
    let content = b"<main><p>About us</p></main>";
    let t = record(content, Limits::default(), None).unwrap();
    let fills = plan(&[("a", Op::Replace, "<i>A</i>"), ("b", Op::Remove, "")]);
    assert!(is_whole_page(&t.parts(&fills), t.len()));
    assert!(is_whole_page(&t.parts(&Plan::default()), t.len()));

    let slotted = b"<p>x</p><vitrine-slot name=a>1</vitrine-slot><p>y</p>";
    let t = record(slotted, Limits::default(), None).unwrap();
    // An empty insertion splits the page in two literals that still follow one another.
    let nothing_in = plan(&[("a", Op::Append, "")]);
    assert_eq!(t.parts(&nothing_in).len(), 2);
    assert!(is_whole_page(&t.parts(&nothing_in), t.len()));
    for filled in [
        plan(&[("a", Op::Replace, "X")]),
        plan(&[("a", Op::Remove, "")]),
        plan(&[("a", Op::Replace, "")]),
        plan(&[("a", Op::Before, "X")]),
    ] {
        assert!(!is_whole_page(&t.parts(&filled), t.len()), "{filled:?}");
    }
    // Not the page's length: another page's parts.
    assert!(!is_whole_page(&t.parts(&nothing_in), t.len() + 1));
}

#[test]
fn wrong_page_is_refused() {
    let t = record(b"<p>x</p>", Limits::default(), None).unwrap();
    assert_eq!(t.splice(b"<p>xy</p>", &Plan::default()), None);
}

macro_rules! refused {
    ($($name:ident: $page:expr, $charset:expr => $code:expr,)*) => {$(
        #[test]
        fn $name() {
            let err = record($page, Limits::default(), $charset).unwrap_err();
            assert_eq!(err.code(), $code, "{err}");
        }
    )*};
}

refused! {
    latin1_page: b"<vitrine-slot name=a>1</vitrine-slot>", Some("iso-8859-1") => "splice_charset",
    utf16_page: b"<vitrine-slot name=a>1</vitrine-slot>", Some("utf-16le") => "splice_charset",
    unclosed_slot: b"<vitrine-slot name=a>1", None => "splice_unclosed_slot",
    implicitly_closed: b"<p data-vitrine-slot=a>1<div>2</div>", None => "splice_unclosed_slot",
    void_slot: b"<img data-vitrine-slot=a><p>x</p>", None => "splice_unclosed_slot",
    nested_slots: b"<div data-vitrine-slot=a><vitrine-slot name=b>1</vitrine-slot></div>", None
        => "splice_overlapping_slots",
    both_forms_on_one_element: b"<vitrine-slot name=a data-vitrine-slot=b>1</vitrine-slot>", None
        => "splice_overlapping_slots",
}

#[test]
fn utf8_label_variants_are_spliced() {
    for label in ["utf-8", "UTF-8", " utf8 ", "unicode-1-1-utf-8"] {
        assert!(
            record(b"<p>x</p>", Limits::default(), Some(label)).is_ok(),
            "{label}"
        );
    }
}

proptest! {
    /// The `utf-8` shortcut agrees with the WHATWG label table for every label.
    #[test]
    fn spliceable_charset_is_the_label_table(label in prop_oneof![
        Just("utf-8".to_owned()),
        "[ \t]{0,2}(?i:utf-?8|utf-8x|utf-?16(le|be)?|utf-?7|unicode-1-1-utf-8|latin1|shift_jis|x|)[ \t]{0,2}",
        "\\PC{0,12}",
    ]) {
        let by_table =
            encoding_rs::Encoding::for_label(label.trim().as_bytes()) == Some(encoding_rs::UTF_8);
        prop_assert_eq!(spliceable_charset(Some(&label)).is_ok(), by_table);
    }
}

#[test]
fn memory_limit_stop_is_not_spliced() {
    // A token bigger than the limit: streaming bails out when a chunk boundary falls inside
    // it, so recording (which feeds small chunks) must refuse the page whatever the chunking.
    let page = format!(
        "<div title=\"{}\"><vitrine-slot name=\"s\">d</vitrine-slot></div>",
        "x".repeat(10_000)
    );
    let limits = Limits {
        max_memory: 2048,
        preallocated: 1024,
        ..Limits::default()
    };
    assert_eq!(
        record(page.as_bytes(), limits, None),
        Err(NotSpliceable::Rewrite(RewriteError::MemoryLimit))
    );
}

/// Every committed page, every op on every slot it has: splice == stream.
#[test]
fn fixture_pages_splice_like_they_stream() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("fixtures");
    let mut pages = vec![];
    for dir in ["pages", "site", "site/c", "site/p"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "html") {
                pages.push(e.path());
            }
        }
    }
    pages.sort();
    pages.truncate(40);
    assert!(pages.len() >= 5, "fixtures missing: {pages:?}");
    let mut slotted = 0;
    for (path, attribute_slots) in pages.iter().flat_map(|p| [(p, true), (p, false)]) {
        let limits = Limits {
            attribute_slots,
            ..Limits::default()
        };
        let page = std::fs::read(path).unwrap();
        let t = record(&page, limits, Some("utf-8")).unwrap();
        slotted += usize::from(!t.slots().is_empty());
        let names: Vec<&str> = t.slots().iter().map(|s| &*s.name).collect();
        for (i, op) in OPS.iter().enumerate() {
            let edits: Vec<_> = names
                .iter()
                .enumerate()
                .map(|(j, n)| (*n, OPS[(i + j) % OPS.len()], "<b class=\"vt\">é</b>"))
                .collect();
            let p = plan(&edits);
            assert!(
                t.splice(&page, &p).unwrap() == streamed_with(&p, &page, limits),
                "{path:?} {op:?} attribute_slots={attribute_slots}"
            );
        }
    }
    assert!(slotted >= 5, "fixture pages have slots");
}

pub(super) fn op() -> impl Strategy<Value = Op> {
    prop::sample::select(OPS.to_vec())
}

/// Random markup around slots: text, comments, other tags, scripts, attribute quoting.
pub(super) fn chunk() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z &;<>]{0,12}",
        Just("<!-- <vitrine-slot name=a>x</vitrine-slot> -->".to_owned()),
        Just("<script>let s='<vitrine-slot name=a>';</script>".to_owned()),
        Just("<div class='x'>".to_owned()),
        Just("</div>".to_owned()),
        Just("<br/>".to_owned()),
        Just("<svg><vitrine-slot name=b/></svg>".to_owned()),
        "[ab]".prop_map(|n| format!("<vitrine-slot name=\"{n}\">d{n}</vitrine-slot>")),
        "[ab]".prop_map(|n| format!("<section data-vitrine-slot={n}><p>s</p></section>")),
        "[ab]".prop_map(|n| format!("<VITRINE-SLOT NAME={n}>u</Vitrine-Slot>")),
        "[ab]".prop_map(|n| format!("<vitrine-slot name={n}>")),
        Just("<textarea><vitrine-slot name=a></textarea>".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whenever a generated page is recorded, splicing equals streaming for any plan, with
    /// or without the attribute form.
    #[test]
    fn generated_pages_splice_like_they_stream(
        parts in prop::collection::vec(chunk(), 0..14),
        a in op(), b in op(),
        fa in "[a-z<>/é]{0,8}", fb in "[a-z<>/]{0,8}",
        chunk_size in 1usize..200,
        attribute_slots in any::<bool>(),
    ) {
        let page = parts.concat();
        let p = plan(&[("a", a, &fa), ("b", b, &fb)]);
        let limits = Limits { attribute_slots, ..Limits::default() };
        if let Ok(t) = record(page.as_bytes(), limits, None) {
            let (want, err) = rewrite_chunked(p.clone(), page.as_bytes(), chunk_size, limits).unwrap();
            prop_assert!(err.is_none());
            prop_assert_eq!(t.splice(page.as_bytes(), &p).unwrap(), want.clone());
            let pieces = t.parts(&p);
            let no_fragment = pieces.iter().all(|piece| matches!(piece, Piece::Literal(..)));
            // The page's own bytes stand in for the splice exactly when nothing is put in and
            // the splice is the page.
            prop_assert_eq!(
                is_whole_page(&pieces, t.len()),
                no_fragment && want.as_slice() == page.as_bytes()
            );
        }
    }

    /// Well-formed pages (disjoint, closed slots) are always recorded, so the property above
    /// is not satisfied by refusing everything.
    #[test]
    fn well_formed_pages_are_recorded(names in prop::collection::vec("[ab]", 0..6), text in "[a-z ]{0,10}") {
        let page: String = names
            .iter()
            .map(|n| format!("<p>{text}</p><vitrine-slot name={n}>{text}</vitrine-slot>"))
            .collect();
        let t = record(page.as_bytes(), Limits::default(), None).unwrap();
        prop_assert_eq!(t.slots().len(), names.len());
    }
}

proptest! {
    /// Recording chunk by chunk gives the template recording the whole page gives.
    #[test]
    fn chunked_recording_equals_whole(parts in prop::collection::vec(chunk(), 0..10), size in 1usize..300) {
        let page = parts.concat();
        let whole = record(page.as_bytes(), Limits::default(), None);
        let mut rec = Recorder::new(Limits::default(), None).unwrap();
        let mut fed = Ok(());
        for piece in page.as_bytes().chunks(size) {
            fed = fed.and_then(|()| rec.write(piece));
        }
        let chunked = fed.and_then(|()| rec.end());
        prop_assert_eq!(whole, chunked);
    }
}
