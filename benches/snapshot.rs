//! Criterion benches of snapshots at scale: decoding the 100 000-product snapshot (the main
//! value, one catalog shard, and every shard, which no request ever does), next to the
//! per-request path that runs on an already-decoded snapshot (no decode at all).
//! Generates the catalog with `scripts/gen_catalog.py` into `target/scale-100000/` when missing.
//! Run: `cargo bench --bench snapshot`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vitrine_compile::{build, Loader, Options, Source};
use vitrine_core::snapshot::catalog::{decode_shard, shard_of};
use vitrine_core::snapshot::{decode, encode};
use vitrine_core::{decide, render, Identity};

struct Fs;

impl Loader for Fs {
    fn load(&self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| e.to_string())
    }
}

/// Products in the catalog: 100 000 when benchmarking; a small smoke run under `cargo test`
/// (which runs benches once without `--bench`), so CI stays quick.
fn products() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        2_000
    }
}

fn scale() -> (Vec<u8>, Vec<Vec<u8>>) {
    let dir = format!("target/scale-{}", products());
    let campaign_path = format!("{dir}/campaign.toml");
    let campaign = Path::new(&campaign_path);
    if !campaign.exists() {
        let ok = Command::new("python3")
            .args(["scripts/gen_catalog.py", &dir, &products().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "gen_catalog.py failed");
    }
    let text = std::fs::read_to_string(campaign).unwrap();
    let built = build(
        &[Source {
            name: &campaign_path,
            text: &text,
        }],
        &Fs,
        &Options::default(),
    )
    .unwrap();
    (encode(&built.snapshot), built.shards)
}

fn decoding(c: &mut Criterion) {
    let (main, shards) = scale();
    let snap = decode(&main).unwrap();
    let catalog = snap.body().catalog.clone().unwrap();
    assert_eq!(catalog.products as usize, products());
    let total: usize = shards.iter().map(Vec::len).sum();
    eprintln!(
        "scale snapshot: main {} bytes, {} shards, {total} shard bytes",
        main.len(),
        shards.len()
    );
    let mut group = c.benchmark_group("decode_100k");
    group.throughput(Throughput::Bytes(main.len() as u64));
    group.bench_function("main", |b| b.iter(|| decode(&main).unwrap()));
    let n = shard_of("p001234", shards.len());
    group.throughput(Throughput::Bytes(shards[n].len() as u64));
    group.bench_function("one_shard", |b| {
        b.iter(|| decode_shard(&shards[n], n, &catalog).unwrap())
    });
    group.throughput(Throughput::Bytes(total as u64));
    group.sample_size(10);
    group.bench_function("all_shards", |b| {
        b.iter(|| {
            shards
                .iter()
                .enumerate()
                .map(|(i, s)| decode_shard(s, i, &catalog).unwrap().products.len())
                .sum::<usize>()
        })
    });
    group.finish();

    // The per-request path on the decoded snapshot: no decode, no parse.
    let shard = decode_shard(&shards[n], n, &catalog).unwrap();
    let anonymous = Identity::anonymous();
    c.bench_function("per_request_on_decoded_100k/decide_render", |b| {
        b.iter(|| render(&decide(&snap, &anonymous)))
    });
    c.bench_function("per_request_on_decoded_100k/product_lookup", |b| {
        b.iter(|| shard.product("p001234").map(|p| p.price_cents))
    });
}

criterion_group!(benches, decoding);
criterion_main!(benches);
