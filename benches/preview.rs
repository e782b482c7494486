//! Criterion benches of what previews and request facts add per request: the device class
//! of a real user agent, the facts a snapshot needs (once per version), verifying a preview
//! token, and building `x-vitrine-explain` for the demo snapshot (previews only).
//! Run: `cargo bench --bench preview`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use vitrine_compile::{compile, Source};
use vitrine_core::decide::{decide_in, explain_header, Context};
use vitrine_core::facts::{device_class, Needs};
use vitrine_core::preview_token::{self, Preview};
use vitrine_core::KeyRing;

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const NOW: u64 = 1_800_000_000;

fn snapshot() -> vitrine_core::Snapshot {
    let text = std::fs::read_to_string("fixtures/campaigns/demo.toml").unwrap();
    compile(&[Source {
        name: "demo.toml",
        text: &text,
    }])
    .unwrap()
}

fn facts(c: &mut Criterion) {
    c.bench_function("device_class/iphone", |b| {
        b.iter(|| device_class(Some(std::hint::black_box(IPHONE))))
    });
    c.bench_function("device_class/windows", |b| {
        b.iter(|| device_class(Some(std::hint::black_box(WINDOWS))))
    });
    let snap = snapshot();
    c.bench_function("needs/demo_snapshot", |b| b.iter(|| Needs::of(&snap)));
}

fn preview(c: &mut Criterion) {
    let ring = KeyRing::parse("pv:cHJldmlldy1rZXktZm9yLWxvY2FsLXRlc3RzLW9ubHk").unwrap();
    let forcing = Preview {
        segments: Some(vec!["dog_owner".into()]),
        variants: vec![("strip-copy".into(), "shipping".into())],
        at: Some(1_798_106_400),
        ..Preview::default()
    };
    let token = preview_token::mint(&forcing, ring.current(), NOW, 900).unwrap();
    c.bench_function("preview_token/verify", |b| {
        b.iter(|| preview_token::verify(std::hint::black_box(&token), &ring, NOW).unwrap())
    });
    let snap = snapshot();
    let own = vitrine_core::Identity::anonymous();
    let identity = forcing.identity(&own).unwrap();
    let mut ctx = Context::new(&identity, 1_798_106_400).with_url("/", "");
    ctx.forced_arms = &forcing.variants;
    c.bench_function("explain_header/demo", |b| {
        b.iter(|| {
            let d = decide_in(&snap, &ctx);
            explain_header(&snap, &ctx, &d.exposures)
        })
    });
}

criterion_group!(benches, facts, preview);
criterion_main!(benches);
