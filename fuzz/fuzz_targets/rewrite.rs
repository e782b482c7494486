//! Any page must come out complete: with an empty plan, byte-identical.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_core::rewrite::{rewrite_chunked, Limits};

fuzz_target!(|data: &[u8]| {
    let chunk = data.first().map_or(1, |b| *b as usize + 1);
    if let Ok((out, _)) = rewrite_chunked(vitrine_core::Plan::default(), data, chunk, Limits::default())
    {
        assert_eq!(out, data);
    }
});
