//! Criterion benches of the native core on real inputs: rewrite throughput over the committed
//! reference listing pages, recording a page for splicing and splicing it (parse once, splice
//! many), and the per-request decision path (cookie verify + decide + render).
//! Run: `cargo bench --bench core`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use vitrine::cookie::{self, TimePolicy};
use vitrine::rewrite::{rewrite_chunked, Limits};
use vitrine::snapshot::compile::{compile, Source};
use vitrine::splice::record;
use vitrine::{decide, render, KeyRing};

const KEYS: &str = "k:ZGVtby1rZXktZm9yLWxvY2FsLXRlc3RzLW9ubHktMzJieXRlcyE";

fn snapshot() -> vitrine::Snapshot {
    let text = std::fs::read_to_string("fixtures/campaigns/demo.toml").unwrap();
    compile(&[Source {
        name: "demo.toml",
        text: &text,
    }])
    .unwrap()
}

fn rewrite(c: &mut Criterion) {
    let snap = snapshot();
    let identity = vitrine::Identity::anonymous();
    let mut group = c.benchmark_group("rewrite");
    for page in ["listing-10k", "listing-136k", "listing-1m"] {
        let html = std::fs::read(format!("fixtures/pages/{page}.html")).unwrap();
        group.throughput(Throughput::Bytes(html.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(page), &html, |b, html| {
            b.iter(|| {
                let plan = render(&decide(&snap, &identity));
                // 16 KiB chunks, as a streamed body arrives.
                rewrite_chunked(plan, html, 16 * 1024, Limits::default()).unwrap()
            })
        });
    }
    group.finish();
}

fn splice(c: &mut Criterion) {
    let snap = snapshot();
    let identity = vitrine::Identity::anonymous();
    let mut group = c.benchmark_group("splice");
    for page in ["listing-10k", "listing-136k", "listing-1m"] {
        let html = std::fs::read(format!("fixtures/pages/{page}.html")).unwrap();
        group.throughput(Throughput::Bytes(html.len() as u64));
        group.bench_with_input(BenchmarkId::new("record", page), &html, |b, html| {
            b.iter(|| record(html, Limits::default(), Some("utf-8")).unwrap())
        });
        let template = record(&html, Limits::default(), Some("utf-8")).unwrap();
        // What the Worker does per request: the parts list (the page itself stays on the JS
        // side and is never copied in WASM).
        group.bench_with_input(BenchmarkId::new("parts", page), &html, |b, _| {
            b.iter(|| {
                let plan = render(&decide(&snap, &identity));
                template.parts(&plan).len()
            })
        });
        // Assembling the whole body in one buffer (CLI/native hosts).
        group.bench_with_input(BenchmarkId::new("assemble", page), &html, |b, html| {
            b.iter(|| {
                let plan = render(&decide(&snap, &identity));
                template.splice(html, &plan).unwrap()
            })
        });
    }
    group.finish();
}

fn decision(c: &mut Criterion) {
    let snap = snapshot();
    let ring = KeyRing::parse(KEYS).unwrap();
    let token = cookie::mint(
        &serde_json::json!({"sub":"u","seg":["loyal","dog_owner"],"exp": 4_000_000_000u64}),
        &ring,
    );
    let header = format!("a=1; {}={token}; b=2", cookie::PROFILE_COOKIE);
    c.bench_function("cookie_verify", |b| {
        b.iter(|| cookie::identify(Some(&header), &ring, 1_800_000_000, TimePolicy::default()))
    });
    c.bench_function("full_decision", |b| {
        b.iter(|| {
            let id = cookie::identify(Some(&header), &ring, 1_800_000_000, TimePolicy::default());
            render(&decide(&snap, &id))
        })
    });
}

criterion_group!(benches, rewrite, splice, decision);
criterion_main!(benches);
