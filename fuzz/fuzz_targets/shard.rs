//! Any bytes read from KV as a catalog shard must be refused or read without panic: the header
//! when the shard is attached, then every record a lookup can reach (by id, by place, and its
//! related tables). The first byte picks the shard number (`>> 2`) and the catalog's table
//! count (`& 3`) the manifest names; the manifest lists the rest's own hash, so the fuzzer gets
//! past the hash check to the layout. Seeds: that byte, then a real shard.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_core::snapshot::catalog::{content_hash, decode_shard, Catalog};
use vitrine_core::snapshot::Sym;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let (n, tables) = (usize::from(pick >> 2), usize::from(pick & 3));
    let mut shards = vec![String::new(); n];
    shards.push(content_hash(bytes));
    let catalog = Catalog {
        products: 0,
        shards,
        tables: vec![Sym(0); tables],
        lists: vec![],
    };
    let Ok(shard) = decode_shard(bytes, n, &catalog) else {
        return;
    };
    for slot in 0..shard.len().min(256) as u32 {
        if let Ok(p) = shard.product_at(slot) {
            for t in 0..=tables {
                let _ = p.related(t).take(64).count();
            }
            let _ = (p.name.to_str(), p.url.to_str(), p.image.to_str());
            let _ = (p.category.to_string(), shard.product(p.id));
        }
    }
    let _ = (shard.product("p0042"), shard.product_at(u32::MAX));
});
