use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::ContentType;
use lol_html::{element, end_tag, AsciiCompatibleEncoding, HtmlRewriter};
use proptest::prelude::*;

use super::*;
use crate::rewrite::{self, rewrite_chunked, Limits, Sink, TAG_NAME_ATTRIBUTE, TAG_SELECTOR};
use crate::splice::record;
use crate::splice::tests::{chunk, op, plan, OPS};

const MARK: &str = "\u{1}vt0123456789abcdef0123456789abcdef\u{1}";

/// Tag-form slots only: the Worker splices first views this way only then.
fn limits() -> Limits {
    Limits {
        attribute_slots: false,
        ..Limits::default()
    }
}

/// The marked copy the runtime's rewriter makes of `page` with the Worker's marking handlers
/// (`mark_slots` in the Worker: a marker before and after a slot's start tag, and before and
/// after its end tag when it can have one), made here by lol_html itself, whatever the page:
/// nested and unclosed slots included. `None` when lol_html stops on the page.
fn natively_marked(page: &[u8]) -> Option<(Vec<u8>, Vec<Boundary>)> {
    let seen: Rc<RefCell<Vec<Boundary>>> = Rc::default();
    let at_start = Rc::clone(&seen);
    let settings = rewrite::parser_settings(AsciiCompatibleEncoding::utf_8(), limits())
        .append_element_content_handler(element!(TAG_SELECTOR, move |el| {
            let Some(name) = el.get_attribute(TAG_NAME_ATTRIBUTE) else {
                return Ok(());
            };
            at_start.borrow_mut().push(Boundary::Start(name.into()));
            el.before(MARK, ContentType::Html);
            el.prepend(MARK, ContentType::Html);
            if el.can_have_content() {
                let at_end = Rc::clone(&at_start);
                el.on_end_tag(end_tag!(move |end| {
                    at_end.borrow_mut().push(Boundary::End);
                    end.before(MARK, ContentType::Html);
                    end.after(MARK, ContentType::Html);
                    Ok(())
                }))?;
            }
            Ok(())
        }));
    let out: Rc<RefCell<Vec<u8>>> = Rc::default();
    let sink_out = Rc::clone(&out);
    let sink: Sink = Box::new(move |b: &[u8]| sink_out.borrow_mut().extend_from_slice(b));
    let mut rewriter = HtmlRewriter::new(settings, sink);
    rewriter.write(page).ok()?;
    rewriter.end().ok()?;
    let marked = out.borrow().clone();
    let seen = seen.borrow().clone();
    Some((marked, seen))
}

/// Splices `marked` fed in pieces of `piece` bytes, each with the boundaries its handlers
/// saw (all of them with the first piece: what matters is that none comes late); the body and
/// the map.
fn splice_marked(
    marked: &[u8],
    seen: &[Boundary],
    p: &Plan,
    piece: usize,
) -> (Vec<u8>, Result<Marked, NotSpliceable>) {
    let mut s = MarkedSplice::new(MARK.as_bytes(), p.clone());
    let mut outs = Vec::new();
    let mut body = Vec::new();
    let mut first = true;
    let emit = |outs: &mut Vec<Out>, body: &mut Vec<u8>| {
        for o in outs.drain(..) {
            match o {
                Out::Bytes(r) => body.extend_from_slice(&marked[r]),
                Out::Fragment(i) => body.extend_from_slice(p.edits()[i].html.as_bytes()),
            }
        }
    };
    for chunk in marked.chunks(piece.max(1)) {
        let new = if first { seen.to_vec() } else { Vec::new() };
        first = false;
        s.feed(chunk, new, &mut outs);
        assert!(s.emitted() <= s.fed());
        emit(&mut outs, &mut body);
    }
    if first {
        s.feed(&[], seen.to_vec(), &mut outs);
    }
    let map = s.finish(&mut outs);
    emit(&mut outs, &mut body);
    (body, map)
}

const PAGE: &str = "<p>a<vitrine-slot name=\"hero\">x</vitrine-slot>b<!-- c -->\
    <vitrine-slot name=\"empty\"></vitrine-slot><vitrine-slot name=\"z\">y</vitrine-slot></p>";

#[test]
fn every_op_matches_the_rewrite_and_maps_the_page() {
    let (marked, seen) = natively_marked(PAGE.as_bytes()).unwrap();
    let map = record(PAGE.as_bytes(), limits(), None).unwrap();
    for op in OPS {
        let p = plan(&[("hero", op, "<b>H</b>"), ("z", op, "Z"), ("nope", op, "N")]);
        let (want, err) = rewrite_chunked(p.clone(), PAGE.as_bytes(), 7, limits()).unwrap();
        assert!(err.is_none());
        for piece in [
            1,
            3,
            MARK.len() - 1,
            MARK.len(),
            MARK.len() + 1,
            64,
            marked.len(),
        ] {
            let (body, m) = splice_marked(&marked, &seen, &p, piece);
            assert_eq!(
                String::from_utf8_lossy(&body),
                String::from_utf8_lossy(&want),
                "{op:?}, pieces of {piece}"
            );
            assert_eq!(m.unwrap().template, map, "{op:?}, pieces of {piece}");
        }
    }
}

#[test]
fn an_unfilled_page_is_the_page() {
    let (marked, seen) = natively_marked(PAGE.as_bytes()).unwrap();
    let (body, _) = splice_marked(&marked, &seen, &plan(&[]), 5);
    assert_eq!(body, PAGE.as_bytes());
}

#[test]
fn a_page_mark_plan_fills_nothing() {
    let (marked, seen) = natively_marked(PAGE.as_bytes()).unwrap();
    let p = plan(&[("hero", Op::Replace, "H")]).with_page_mark(Some("shop".into()));
    let (body, _) = splice_marked(&marked, &seen, &p, 5);
    assert_eq!(body, PAGE.as_bytes());
}

/// Pages whose slots nest or never close: refused whenever the WASM recorder refuses them (the
/// Worker then streams them with the WASM rewriter), and, where the markers still give a map
/// (an end tag that closes the slot implicitly), filled exactly as the rewrite fills them.
#[test]
fn nested_and_unclosed_slots_are_refused_or_filled_as_the_rewrite_fills_them() {
    for page in [
        "<vitrine-slot name=a>1<vitrine-slot name=b>2</vitrine-slot>3</vitrine-slot>4",
        "<div><vitrine-slot name=a>open</div><p>rest</p>",
        "<vitrine-slot name=b>x</vitrine-slot><vitrine-slot name=a>never closed",
    ] {
        let (marked, seen) = natively_marked(page.as_bytes()).unwrap();
        for op in OPS {
            let p = plan(&[("a", op, "A"), ("b", Op::Replace, "B")]);
            let (want, err) = rewrite_chunked(p.clone(), page.as_bytes(), 3, limits()).unwrap();
            assert!(err.is_none());
            let (body, map) = splice_marked(&marked, &seen, &p, 4);
            if record(page.as_bytes(), limits(), None).is_err() {
                assert!(map.is_err(), "{page}: refused");
            }
            if map.is_ok() {
                assert_eq!(
                    String::from_utf8_lossy(&body),
                    String::from_utf8_lossy(&want),
                    "{page} {op:?}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Whatever the page (markup from the splice tests, with stray end tags), the plan and how
    /// the marked stream is cut: when the markers give a map, the spliced first view is
    /// byte-identical to the WASM rewrite, and when the WASM recorder maps the page, the
    /// markers give exactly its map (so a page the recorder maps is never sent to the WASM
    /// rewriter for nothing).
    #[test]
    fn first_views_splice_like_the_rewrite(
        parts in prop::collection::vec(
            prop_oneof![9 => chunk(), 1 => Just("</vitrine-slot>".to_owned())],
            0..14,
        ),
        a in op(), b in op(),
        fa in "[a-z<>/é]{0,8}", fb in "[a-z<>/]{0,8}",
        piece in 1usize..120,
    ) {
        let page = parts.concat();
        let p = plan(&[("a", a, &fa), ("b", b, &fb)]);
        let Some((marked, seen)) = natively_marked(page.as_bytes()) else {
            return Ok(());
        };
        let (want, err) = rewrite_chunked(p.clone(), page.as_bytes(), 64, limits()).unwrap();
        prop_assume!(err.is_none());
        let (body, map) = splice_marked(&marked, &seen, &p, piece);
        if map.is_ok() {
            prop_assert_eq!(String::from_utf8_lossy(&body), String::from_utf8_lossy(&want));
        }
        if let Ok(recorded) = record(page.as_bytes(), limits(), None) {
            prop_assert_eq!(map.map(|m| m.template), Ok(recorded));
        }
    }
}
