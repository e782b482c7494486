//! Criterion benches of snapshots at scale: decoding the 100 000-product snapshot's main value,
//! the first use of one catalog shard (attach: hash and header; then the first lookup), every
//! shard (which no request ever does), next to the per-request path that runs on an
//! already-decoded snapshot (a lookup decodes one record). Prints the shard bytes per product
//! and against the CSV exports they come from.
//! Generates the catalog with `scripts/gen_catalog.py` into `target/scale-100000/` when missing.
//! Run: `cargo bench --bench snapshot`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vitrine_compile::{build, Loader, Options, Source};
use vitrine_core::snapshot::catalog::{content_hash, decode_shard, shard_of};
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

/// Bytes of the CSV exports the catalog was compiled from.
fn csv_bytes() -> u64 {
    ["products.csv", "recs.csv", "lists.csv"]
        .iter()
        .map(|f| {
            let path = format!("target/scale-{}/{f}", products());
            std::fs::metadata(path).unwrap().len()
        })
        .sum()
}

/// A product of the catalog, and the shard it lives in.
const ID: &str = "p001234";

fn decoding(c: &mut Criterion) {
    let (main, shards) = scale();
    let snap = decode(&main).unwrap();
    let catalog = snap.body().catalog.clone().unwrap();
    assert_eq!(catalog.products as usize, products());
    let total: usize = shards.iter().map(Vec::len).sum();
    let csv = csv_bytes();
    eprintln!(
        "scale snapshot: main {} bytes, {} shards, {total} shard bytes from {csv} CSV bytes \
         ({:.1} %), {:.1} shard bytes per product (largest shard {} bytes)",
        main.len(),
        shards.len(),
        100.0 * total as f64 / csv as f64,
        total as f64 / products() as f64,
        shards.iter().map(Vec::len).max().unwrap_or(0),
    );
    assert!(
        (total as u64) < csv,
        "shards must be smaller than the exports"
    );
    let mut group = c.benchmark_group("decode_100k");
    group.throughput(Throughput::Bytes(main.len() as u64));
    group.bench_function("main", |b| b.iter(|| decode(&main).unwrap()));
    group.finish();

    // First use of a shard: what a request that needs a product of a shard not yet attached
    // pays (hash check, header, then one record), next to the hash alone.
    let n = shard_of(ID, shards.len());
    let mut group = c.benchmark_group("shard_100k");
    group.throughput(Throughput::Bytes(shards[n].len() as u64));
    group.bench_function("attach", |b| {
        b.iter(|| decode_shard(&shards[n], n, &catalog).unwrap())
    });
    group.bench_function("attach_and_first_lookup", |b| {
        b.iter(|| {
            let shard = decode_shard(&shards[n], n, &catalog).unwrap();
            shard.product(ID).unwrap().map(|p| p.price_cents)
        })
    });
    group.bench_function("content_hash", |b| b.iter(|| content_hash(&shards[n])));
    group.throughput(Throughput::Bytes(total as u64));
    group.sample_size(10);
    group.bench_function("attach_all", |b| {
        b.iter(|| {
            shards
                .iter()
                .enumerate()
                .map(|(i, s)| decode_shard(s, i, &catalog).unwrap().len())
                .sum::<usize>()
        })
    });
    group.finish();

    // The per-request path on the decoded snapshot: no decode of the snapshot, one record per
    // product looked up.
    for (i, s) in shards.iter().enumerate() {
        snap.attach_shard(i, s).unwrap();
    }
    assert_eq!(snap.shard_bytes(), total);
    let anonymous = Identity::anonymous();
    let mut group = c.benchmark_group("per_request_on_decoded_100k");
    group.bench_function("decide_render", |b| {
        b.iter(|| render(&decide(&snap, &anonymous)))
    });
    group.bench_function("product_lookup", |b| {
        b.iter(|| snap.product(ID).map(|p| p.price_cents))
    });
    // What a "related products" recommendation reads: the anchor, then its 10 also-viewed.
    group.bench_function("product_and_10_related", |b| {
        b.iter(|| {
            let anchor = snap.product(ID).unwrap();
            anchor
                .related(0)
                .filter_map(|k| snap.product_at(k))
                .map(|p| p.price_cents)
                .sum::<u64>()
        })
    });
    group.finish();
}

criterion_group!(benches, decoding);
criterion_main!(benches);
