use super::*;
use crate::render::Edit;

fn plan(edits: &[(&str, Op, &str)]) -> Plan {
    Plan::new(
        edits
            .iter()
            .map(|(slot, op, html)| Edit {
                slot: (*slot).into(),
                op: *op,
                html: fragment(html),
            })
            .collect(),
    )
}

fn run(p: Plan, page: &str) -> String {
    String::from_utf8(rewrite_all(p, page.as_bytes(), Limits::default()).unwrap()).unwrap()
}

macro_rules! ops {
    ($($name:ident: $op:expr => $want:expr,)*) => {$(
        #[test]
        fn $name() {
            let page = r#"<div><vitrine-slot name="s">old</vitrine-slot></div>"#;
            assert_eq!(run(plan(&[("s", $op, "<i>new</i>")]), page), $want);
        }
    )*};
}

ops! {
    replace: Op::Replace => r#"<div><vitrine-slot name="s"><i>new</i></vitrine-slot></div>"#,
    append: Op::Append => r#"<div><vitrine-slot name="s">old<i>new</i></vitrine-slot></div>"#,
    prepend: Op::Prepend => r#"<div><vitrine-slot name="s"><i>new</i>old</vitrine-slot></div>"#,
    before: Op::Before => r#"<div><i>new</i><vitrine-slot name="s">old</vitrine-slot></div>"#,
    after: Op::After => r#"<div><vitrine-slot name="s">old</vitrine-slot><i>new</i></div>"#,
    remove: Op::Remove => r#"<div></div>"#,
}

#[test]
fn attribute_form_is_filled() {
    let page = r#"<aside data-vitrine-slot="note">Call us</aside>"#;
    assert_eq!(
        run(plan(&[("note", Op::Replace, "Chat now")]), page),
        r#"<aside data-vitrine-slot="note">Chat now</aside>"#
    );
}

#[test]
fn attribute_form_off_fills_only_the_tag_form() {
    let page =
        r#"<aside data-vitrine-slot="s">keep</aside><vitrine-slot name="s">old</vitrine-slot>"#;
    let off = Limits {
        attribute_slots: false,
        ..Limits::default()
    };
    let p = plan(&[("s", Op::Replace, "new")]);
    let out = rewrite_all(p.clone(), page.as_bytes(), off).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"<aside data-vitrine-slot="s">keep</aside><vitrine-slot name="s">new</vitrine-slot>"#
    );
    assert_eq!(
        run(p, page),
        r#"<aside data-vitrine-slot="s">new</aside><vitrine-slot name="s">new</vitrine-slot>"#,
        "on by default"
    );
}

#[test]
fn unplanned_slots_keep_default() {
    let page = r#"<vitrine-slot name="other">keep</vitrine-slot>"#;
    assert_eq!(run(plan(&[("s", Op::Replace, "x")]), page), page);
}

#[test]
fn empty_plan_is_byte_identical() {
    let page =
        "<!doctype html><p class=a>caf\u{e9} &amp; <vitrine-slot name=s>d</vitrine-slot><!-- c -->";
    assert_eq!(run(Plan::default(), page), page);
}

#[test]
fn output_streams_before_input_ends() {
    let mut s = SlotStream::new(plan(&[("s", Op::Replace, "x")]), Limits::default(), None).unwrap();
    let first = s.feed(&b"<html><body>".repeat(1000));
    assert!(
        !first.is_empty(),
        "the first chunk must produce output before the end"
    );
}

#[test]
fn memory_limit_bails_out_without_truncating() {
    // A start tag split across chunks is buffered; a huge attribute overflows a tiny limit.
    let page = format!(
        "<p>a</p><div title=\"{}\"><vitrine-slot name=\"s\">d</vitrine-slot></div><p>end</p>",
        "x".repeat(10_000)
    );
    let limits = Limits {
        max_memory: 2048,
        preallocated: 1024,
        ..Limits::default()
    };
    let (out, err) = rewrite_chunked(
        plan(&[("s", Op::Replace, "NEW")]),
        page.as_bytes(),
        100,
        limits,
    )
    .unwrap();
    assert_eq!(err, Some(RewriteError::MemoryLimit));
    assert_eq!(
        String::from_utf8(out).unwrap(),
        page,
        "rest of the page passes through unchanged"
    );
}

#[test]
fn default_limit_bounds_one_huge_tag() {
    // Regression for the memory bench's 4 MiB attribute (BENCHMARKS.md, "Memory in page
    // size"): under the default limits a tag far over the cap, fed in the worker's 64 KiB
    // slices, stops the rewrite and the page passes through whole, while a tag under the
    // cap is still rewritten around.
    let page = |attr: usize| {
        format!(
            "<div data-blob=\"{}\"></div><vitrine-slot name=\"s\">d</vitrine-slot>",
            "x".repeat(attr)
        )
    };
    let p = plan(&[("s", Op::Replace, "NEW")]);
    let huge = page(4 * 1024 * 1024);
    let (out, err) =
        rewrite_chunked(p.clone(), huge.as_bytes(), 64 * 1024, Limits::default()).unwrap();
    assert_eq!(err, Some(RewriteError::MemoryLimit));
    assert!(out == huge.as_bytes(), "the page passes through unchanged");
    let big = page(128 * 1024);
    let (out, err) = rewrite_chunked(p, big.as_bytes(), 64 * 1024, Limits::default()).unwrap();
    assert_eq!(err, None);
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("NEW") && !out.contains(">d<"),
        "the slot is filled"
    );
}

#[test]
fn latin1_page_gets_encoded_fragment() {
    let p = plan(&[("s", Op::Replace, "caf\u{e9}")]);
    let mut s = SlotStream::new(p, Limits::default(), Some("iso-8859-1")).unwrap();
    let mut out = s.feed(b"<vitrine-slot name=s></vitrine-slot>");
    out.extend(s.finish().0);
    assert_eq!(out, b"<vitrine-slot name=s>caf\xe9</vitrine-slot>");
}

/// One `#[test]` per `Content-Type` charset label: is a page in it rewritten, or refused
/// (served unchanged)? The legacy CJK rows pin `encoding_for`'s refusal, which the .wasm's
/// encoding_rs build without those tables relies on (Cargo.toml, `no-legacy-cjk`).
macro_rules! charsets {
    ($($name:ident: $label:expr => $rewritten:expr,)*) => {$(
        #[test]
        fn $name() {
            let p = plan(&[("s", Op::Replace, "new")]);
            match SlotStream::new(p, Limits::default(), Some($label)) {
                Ok(mut s) => {
                    assert!($rewritten, "{} must be refused", $label);
                    let mut out = s.feed(b"<vitrine-slot name=s>old</vitrine-slot>");
                    out.extend(s.finish().0);
                    assert_eq!(out, b"<vitrine-slot name=s>new</vitrine-slot>");
                }
                Err(e) => {
                    assert!(!$rewritten, "{} must be rewritten, got {e}", $label);
                    assert_eq!(e, RewriteError::UnsupportedCharset($label.into()));
                }
            }
        }
    )*};
}

charsets! {
    charset_utf8: "UTF-8" => true,
    charset_utf8_alias: " unicode-1-1-utf-8 " => true,
    charset_latin1: "iso-8859-1" => true,
    charset_windows_1252: "windows-1252" => true,
    charset_latin2: "ISO-8859-2" => true,
    charset_cyrillic: "windows-1251" => true,
    charset_koi8: "koi8-r" => true,
    charset_greek: "iso-8859-7" => true,
    charset_x_user_defined: "x-user-defined" => true,
    charset_utf16_is_refused: "utf-16le" => false,
    charset_utf16be_is_refused: "utf-16be" => false,
    charset_shift_jis_is_refused: "Shift_JIS" => false,
    charset_sjis_alias_is_refused: "sjis" => false,
    charset_euc_jp_is_refused: "euc-jp" => false,
    charset_iso_2022_jp_is_refused: "iso-2022-jp" => false,
    charset_euc_kr_is_refused: "euc-kr" => false,
    charset_gbk_is_refused: "gbk" => false,
    charset_gb2312_is_refused: "gb2312" => false,
    charset_gb18030_is_refused: "gb18030" => false,
    charset_big5_is_refused: "big5" => false,
    charset_replacement_is_refused: "iso-2022-kr" => false,
    charset_unknown_is_refused: "klingon" => false,
}

mod chunking {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Chunk boundaries never change the output.
        #[test]
        fn chunk_size_does_not_change_output(chunk in 1usize..64, pre in "[a-z <>/=\"]{0,40}") {
            let page = format!("{pre}<div><vitrine-slot name=\"s\">old</vitrine-slot></div>{pre}");
            let p = || plan(&[("s", Op::Replace, "<b>n</b>")]);
            let whole = rewrite_all(p(), page.as_bytes(), Limits::default()).unwrap();
            let (chunked, _) = rewrite_chunked(p(), page.as_bytes(), chunk, Limits::default()).unwrap();
            prop_assert_eq!(whole, chunked);
        }

        /// Without edits, any input comes out byte-identical.
        #[test]
        fn empty_plan_is_identity(bytes in proptest::collection::vec(any::<u8>(), 0..400), chunk in 1usize..50) {
            let (out, _) = rewrite_chunked(Plan::default(), &bytes, chunk, Limits::default()).unwrap();
            prop_assert_eq!(out, bytes);
        }
    }
}

/// Issue 14, item 8: a slot planted in user-generated content (`<vitrine-slot>` or
/// `data-vitrine-slot` in a review) was filled like the site's own. With a page mark, only a
/// page whose `<head>` carries `<meta name="vitrine" content="MARK">` is filled.
mod page_mark {
    use super::*;

    const BODY: &str =
        r#"<body><vitrine-slot name="s">old</vitrine-slot><p data-vitrine-slot="s">ugc</p></body>"#;

    fn marked(mark: &str) -> Plan {
        plan(&[("s", Op::Replace, "<i>new</i>")]).with_page_mark(Some(fragment(mark)))
    }

    fn page(head: &str) -> String {
        format!("<!doctype html><html><head><title>t</title>{head}</head>{BODY}</html>")
    }

    #[test]
    fn a_marked_page_is_filled() {
        let page = page(r#"<meta name="vitrine" content="shop-7f3a">"#);
        let out = run(marked("shop-7f3a"), &page);
        assert_eq!(out.matches("<i>new</i>").count(), 2, "{out}");
    }

    #[test]
    fn an_unmarked_page_is_not_filled() {
        for head in [
            "",
            r#"<meta name="vitrine" content="other">"#,
            r#"<meta name="vitrine">"#,
            r#"<meta name="description" content="shop-7f3a">"#,
        ] {
            let page = page(head);
            assert_eq!(run(marked("shop-7f3a"), &page), page, "{head}");
        }
    }

    #[test]
    fn a_mark_in_the_body_is_not_the_pages() {
        let page = format!(
            "<html><head><title>t</title></head><body><div class=review>\
             <meta name=\"vitrine\" content=\"shop-7f3a\">{BODY}</div></body></html>"
        );
        assert_eq!(run(marked("shop-7f3a"), &page), page);
    }

    #[test]
    fn without_a_mark_every_page_is_filled() {
        let out = run(plan(&[("s", Op::Replace, "<i>new</i>")]), &page(""));
        assert_eq!(out.matches("<i>new</i>").count(), 2, "{out}");
    }

    #[test]
    fn a_splice_fills_nothing_for_a_marked_plan() {
        let page = page(r#"<meta name="vitrine" content="shop-7f3a">"#);
        let template =
            crate::splice::record(page.as_bytes(), Limits::default(), Some("utf-8")).unwrap();
        let spliced = template
            .splice(page.as_bytes(), &marked("shop-7f3a"))
            .unwrap();
        assert_eq!(spliced, page.as_bytes());
    }

    proptest::proptest! {
        /// However the page is cut into chunks, the mark decides the same way.
        #[test]
        fn chunking_does_not_change_the_mark(chunk in 1usize..64, with_mark: bool) {
            let head = if with_mark { r#"<meta name="vitrine" content="m">"# } else { "" };
            let page = page(head);
            let whole = run(marked("m"), &page);
            let (out, _) = rewrite_chunked(marked("m"), page.as_bytes(), chunk, Limits::default()).unwrap();
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), whole.clone());
            proptest::prop_assert_eq!(whole.contains("<i>new</i>"), with_mark);
        }
    }
}
