//! Any `Cookie` header must yield an identity, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine::cookie::{identify, KeyRing, TimePolicy};

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else { return };
    let Ok(ring) = KeyRing::parse("k:ZGVtby1rZXktZm9yLWxvY2FsLXRlc3RzLW9ubHktMzJieXRlcyE") else { return };
    let _ = identify(Some(header), &ring, 1_800_000_000, TimePolicy::default());
    let _ = KeyRing::parse(header);
});
