//! Any page the recorder accepts must splice exactly like it streams, for every op.
#![no_main]
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vitrine_core::render::{Edit, Plan};
use vitrine_core::rewrite::{rewrite_chunked, Limits};
use vitrine_core::snapshot::Op;
use vitrine_core::splice::record;

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
    let Ok(template) = record(page, Limits::default(), None) else {
        return;
    };
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
        assert_eq!(template.splice(page, &plan), Some(streamed));
    }
});
