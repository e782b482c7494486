//! Any page the recorder accepts must splice exactly like it streams, for every op; the
//! marked copy a native first view would make of it gives back the same map and bytes, and
//! splicing that marked copy ([`MarkedSplice`]) gives the streamed bytes too. Whatever the
//! bytes and boundaries, neither the marker scan nor the marked splice panics or emits a
//! range outside what it was fed.
#![no_main]
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vitrine_core::render::{Edit, Plan};
use vitrine_core::rewrite::{rewrite_chunked, Limits};
use vitrine_core::snapshot::Op;
use vitrine_core::splice::{record, Boundary, MarkedSplice, Marks, Out};

const MARK: &[u8] = b"\x01vtfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz\x01";

const OPS: [Op; 6] = [
    Op::Replace,
    Op::Append,
    Op::Prepend,
    Op::Before,
    Op::After,
    Op::Remove,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, page)) = data.split_first() else {
        return;
    };
    // Whatever the bytes and boundaries, the marker scan never panics.
    let mut marks = Marks::new(MARK);
    for piece in page.chunks(selector as usize % 41 + 1) {
        marks.feed(piece);
    }
    let seen: Vec<Boundary> = (0..selector % 5)
        .map(|i| match i % 2 {
            0 => Boundary::Start("s".into()),
            _ => Boundary::End,
        })
        .collect();
    let _ = marks.finish(&seen);
    let any_plan = Plan::new(vec![Edit {
        slot: "s".into(),
        op: OPS[selector as usize % OPS.len()],
        html: Arc::from("<i>x</i>"),
    }]);
    let mut splice = MarkedSplice::new(MARK, any_plan);
    let mut outs = Vec::new();
    for piece in page.chunks(selector as usize % 37 + 1) {
        splice.feed(piece, seen.clone(), &mut outs);
    }
    let _ = splice.finish(&mut outs);
    for out in &outs {
        if let Out::Bytes(r) = out {
            assert!(r.start < r.end && r.end <= page.len());
        }
    }
    let Ok(template) = record(page, Limits::default(), None) else {
        return;
    };
    // The marked copy of an accepted page maps back to the recorder's map and the page.
    let mut marked = Vec::new();
    let mut seen = Vec::new();
    let mut from = 0;
    for s in template.slots() {
        for at in [s.outer.start, s.inner.start, s.inner.end, s.outer.end] {
            marked.extend_from_slice(&page[from..at]);
            marked.extend_from_slice(MARK);
            from = at;
        }
        seen.extend([Boundary::Start(s.name.clone()), Boundary::End]);
    }
    marked.extend_from_slice(&page[from..]);
    let mut marks = Marks::new(MARK);
    for piece in marked.chunks(selector as usize % 53 + 1) {
        marks.feed(piece);
    }
    let m = marks.finish(&seen).expect("a marked copy of an accepted page maps");
    assert_eq!(m.template, template);
    let original: Vec<u8> = m.segments.iter().flat_map(|r| marked[r.clone()].to_vec()).collect();
    assert_eq!(original, page);
    let edits = template
        .slots()
        .iter()
        .enumerate()
        .map(|(i, s)| Edit {
            slot: s.name.clone(),
            op: OPS[(selector as usize + i) % OPS.len()],
            html: Arc::from("<b>fuzz</b>"),
        })
        .collect();
    let plan = Plan::new(edits);
    let chunk = selector as usize % 97 + 1;
    if let Ok((streamed, None)) = rewrite_chunked(plan.clone(), page, chunk, Limits::default()) {
        assert_eq!(template.splice(page, &plan), Some(streamed.clone()));
        let mut splice = MarkedSplice::new(MARK, plan.clone());
        let mut outs = Vec::new();
        let mut first = true;
        for piece in marked.chunks(selector as usize % 29 + 1) {
            let new = if first { seen.clone() } else { Vec::new() };
            first = false;
            splice.feed(piece, new, &mut outs);
        }
        if first {
            splice.feed(&[], seen.clone(), &mut outs);
        }
        let map = splice.finish(&mut outs).expect("a marked copy of an accepted page maps");
        assert_eq!(map.template, template);
        let mut body = Vec::new();
        for out in outs {
            match out {
                Out::Bytes(r) => body.extend_from_slice(&marked[r]),
                Out::Fragment(i) => body.extend_from_slice(plan.edits()[i].html.as_bytes()),
            }
        }
        assert_eq!(body, streamed);
    }
});
