//! Any bytes read from KV must decode or be refused, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(snap) = vitrine::snapshot::decode(data) {
        let _ = vitrine::decide(&snap, &vitrine::Identity::anonymous());
    }
});
