//! Any bytes read from KV must decode or be refused, never panic: the snapshot itself, and a
//! catalog shard checked against a decoded snapshot's manifest. Whatever decodes must also be
//! decided and rendered without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_core::decide::{explain, Context};

fuzz_target!(|data: &[u8]| {
    if let Ok(snap) = vitrine_core::snapshot::decode(data) {
        let anonymous = vitrine_core::Identity::anonymous();
        let ctx = Context::new(&anonymous, 1_800_000_000).with_url("/c/dog", "utm_source=x");
        let _ = vitrine_core::render(&vitrine_core::decide_in(&snap, &ctx));
        let _ = explain(&snap, &ctx);
        if let Some(catalog) = &snap.body().catalog {
            for n in 0..catalog.shards.len().min(4) {
                let _ = vitrine_core::snapshot::catalog::decode_shard(data, n, catalog);
            }
        }
    }
});
