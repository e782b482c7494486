//! Criterion benches of the native core on real inputs: rewrite throughput over the committed
//! reference listing pages, recording a page for splicing and splicing it (parse once, splice
//! many), and the per-request decision path (cookie verify + decide + render).
//! Run: `cargo bench --bench core`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use vitrine_compile::{compile, Source};
use vitrine_core::cookie::{self, TimePolicy};
use vitrine_core::rewrite::{rewrite_chunked, Limits};
use vitrine_core::splice::record;
use vitrine_core::{decide, render, KeyRing};

const KEYS: &str = "k:ZGVtby1rZXktZm9yLWxvY2FsLXRlc3RzLW9ubHktMzJieXRlcyE";

fn snapshot() -> vitrine_core::Snapshot {
    let text = std::fs::read_to_string("fixtures/campaigns/demo.toml").unwrap();
    compile(&[Source {
        name: "demo.toml",
        text: &text,
    }])
    .unwrap()
}

fn rewrite(c: &mut Criterion) {
    let snap = snapshot();
    let identity = vitrine_core::Identity::anonymous();
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
    let identity = vitrine_core::Identity::anonymous();
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
    // The same with a clock, a product page, a realistic activity record and a visitor id:
    // the demo's A/B test is bucketed (SHA-256) and its real-time offer evaluated.
    let mut activity = vitrine_core::cookie::activity::Activity::new(1_799_990_000, None);
    for i in 0..20 {
        activity.record_product_view(&format!("p{i:04}"), 1_799_999_000 + i);
    }
    activity.record_product_view("p0001", 1_799_999_500);
    c.bench_function("full_decision_experiments_offer", |b| {
        b.iter(|| {
            let id = cookie::identify(Some(&header), &ring, 1_800_000_000, TimePolicy::default());
            let mut ctx = vitrine_core::Context::new(&id, 1_800_000_000)
                .with_url("/p/p0001", "")
                .with_visitor(Some("u"));
            ctx.activity = &activity;
            ctx.request.product = Some("p0001");
            let d = vitrine_core::decide_in(&snap, &ctx);
            (render(&d), d.exposures.len())
        })
    });
}

/// The identity stage per request: a consenting visitor with a profile cookie and a
/// realistic activity cookie (open, update, re-seal), and the activity cookie alone.
fn identity(c: &mut Criterion) {
    use vitrine_core::cookie::activity::{self, Activity, Caps};
    use vitrine_core::cookie::visitor::{self, Paths, Request, Settings};
    use vitrine_core::cookie::ConsentSource;

    let ring = KeyRing::parse(KEYS).unwrap();
    let act_ring = KeyRing::parse("a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
    let now = 1_800_000_000;
    let token = cookie::mint(
        &serde_json::json!({"sub":"c-123","seg":["loyal","dog_owner"],"attrs":{"tier":"gold"},"iat": now - 60,"exp": now + 3600}),
        &ring,
    );
    let mut act = Activity::new(now - 3600, None);
    for i in 0..20 {
        act.record_product_view(&format!("p{i:04}"), now - 600 + i);
        act.record_category_view(["dog", "cat", "garden"][i as usize % 3], now - 600 + i);
        act.record_impression("loyal-hero", now - 600 + i);
    }
    let act_value = activity::seal(&mut act, &act_ring, Caps::default());
    let header = format!(
        "cookieconsent_status=allow; {}={token}; {}={act_value}",
        cookie::PROFILE_COOKIE,
        activity::ACTIVITY_COOKIE
    );
    let consent = ConsentSource::parse("cookie:cookieconsent_status=allow").unwrap();
    let settings = Settings {
        profile_keys: &ring,
        activity_keys: Some(&act_ring),
        time: TimePolicy::default(),
        consent: &consent,
        activity_max_age_secs: 30 * 86_400,
        caps: Caps::default(),
        pseudonym_keys: None,
    };
    let paths = Paths {
        product: Some("/p/{id}"),
        category: Some("/c/{id}"),
    };
    let req = Request {
        cookie: Some(&header),
        gpc: None,
        path: "/p/p0042",
        now,
    };
    c.bench_function("activity_open_update_seal", |b| {
        b.iter(|| {
            let mut a = activity::open(&act_value, &act_ring).unwrap().activity;
            a.record_product_view("p0042", now);
            activity::seal(&mut a, &act_ring, Caps::default())
        })
    });
    // Worst case: a cookie trimmed to the 4096-byte bound.
    let mut full = Activity::new(now - 3600, None);
    for i in 0..400 {
        full.record_product_view(&format!("product-{i:05}"), now - 3600 + i);
    }
    let full_value = activity::seal(
        &mut full,
        &act_ring,
        Caps {
            products: 400,
            recent: 400,
            ..Caps::default()
        },
    );
    c.bench_function("activity_open_update_seal_4k", |b| {
        b.iter(|| {
            let mut a = activity::open(&full_value, &act_ring).unwrap().activity;
            a.record_product_view("p0042", now);
            activity::seal(
                &mut a,
                &act_ring,
                Caps {
                    products: 400,
                    recent: 400,
                    ..Caps::default()
                },
            )
        })
    });
    c.bench_function("identity_stage_with_activity", |b| {
        b.iter(|| {
            let mut v = visitor::resolve(req, &settings, paths);
            v.set_cookie(&settings)
        })
    });
}

/// Measurement on the request path: a beacon checked and parsed, a conversion event built for
/// a consenting visitor with an activity cookie, a page's exposures recorded (no consent, so
/// nothing is deduplicated and every exposure becomes an event), each down to its log line.
fn measurement(c: &mut Criterion) {
    use vitrine_core::cookie::activity::Caps;
    use vitrine_core::cookie::visitor::{self, Paths, Request, Settings};
    use vitrine_core::cookie::ConsentSource;
    use vitrine_core::measure::conversion::{self, beacon};
    use vitrine_core::measure::events::Via;
    use vitrine_core::measure::exposure::{self, Seen};

    let text = std::fs::read_to_string("fixtures/campaigns/measure.toml").unwrap();
    let loader = Files;
    let snap = vitrine_compile::build(
        &[Source {
            name: "fixtures/campaigns/measure.toml",
            text: &text,
        }],
        &loader,
        &Default::default(),
    )
    .unwrap()
    .snapshot;
    let goals = &snap.body().conversions;
    let head = beacon::Head {
        method: "POST",
        url: "https://shop.example/__vitrine/event",
        origin: Some("https://shop.example"),
        fetch_site: Some("same-origin"),
        content_type: Some("text/plain;charset=UTF-8"),
        content_length: Some("37"),
    };
    let body = br#"{"event":"add_to_cart","value":12.5}"#;
    c.bench_function("beacon_check_parse", |b| {
        b.iter(|| {
            beacon::check_head(head).unwrap();
            beacon::parse(body, goals).unwrap().value
        })
    });
    let ring = KeyRing::parse(KEYS).unwrap();
    let act_ring = KeyRing::parse("a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
    let consent = ConsentSource::parse("cookie:cookieconsent_status=allow").unwrap();
    let settings = Settings {
        profile_keys: &ring,
        activity_keys: Some(&act_ring),
        time: TimePolicy::default(),
        consent: &consent,
        activity_max_age_secs: 30 * 86_400,
        caps: Caps::default(),
        pseudonym_keys: None,
    };
    let now = 1_800_000_000;
    let req = Request {
        cookie: Some("cookieconsent_status=allow"),
        gpc: None,
        path: "/order/confirmed",
        now,
    };
    let mut v = visitor::resolve(req, &settings, Paths::default());
    if let Some(a) = &mut v.activity {
        a.assign("strip-copy", "shipping", now - 60);
        for campaign in ["welcome-hero", "strip-shipping", "look-again"] {
            a.record_impression(campaign, now - 60);
        }
    }
    c.bench_function("conversion_event_line", |b| {
        b.iter(|| {
            let e = conversion::event(&v, &snap, "purchase", Some(49.9), Via::Url, now);
            vitrine_core::measure::sink::log_line(&e)
        })
    });
    let private = visitor::resolve(
        Request {
            gpc: Some("1"),
            ..req
        },
        &settings,
        Paths::default(),
    );
    let experiments = [vitrine_core::decide::Exposure {
        experiment: "strip-copy",
        arm: "shipping",
        global: false,
        learned: None,
    }];
    let shown = ["welcome-hero", "strip-shipping", "deal-pdp"];
    c.bench_function("exposure_record_page_4_events", |b| {
        b.iter(|| {
            let mut who = private.clone();
            let seen = Seen {
                experiments: &experiments,
                shown: &shown,
                held: &[],
            };
            let events = exposure::record(&mut who, seen, snap.version(), now);
            events
                .iter()
                .map(vitrine_core::measure::sink::log_line)
                .count()
        })
    });
}

/// Reads includes from the file system (measure.toml includes demo.toml).
struct Files;

impl vitrine_compile::Loader for Files {
    fn load(&self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| e.to_string())
    }
}

/// The realistic snapshot: the demo shop as `vitrine build` compiles `fixtures/campaigns/shop.toml`
/// (15 campaigns in 7 slots, an A/B test with holdout, a real-time offer, two recommendation
/// slots, 120 products in 8 shards with also_viewed/also_bought tables and 11 lists), decoded
/// and with every shard attached, as the Worker holds it after the first requests.
fn shop() -> vitrine_core::Snapshot {
    let snap = vitrine_core::snapshot::decode(
        &std::fs::read("fixtures/golden/shop.snapshot.json").unwrap(),
    )
    .unwrap();
    for n in 0..8 {
        let bytes = std::fs::read(format!("fixtures/golden/shop.shards/{n}.json")).unwrap();
        snap.attach_shard(n, &bytes).unwrap();
    }
    snap
}

/// Full decision with recommendations: profile cookie verify (with `fav_category` and 5
/// purchased ids), then `decide_in` with a clock, a 21-view activity record and a visitor id
/// (experiment bucketing, the real-time offer, segment rules) and the recommendations
/// (the per-request check for shards to load, then related + recently viewed + picks +
/// trending on a product page; recently viewed + picks +
/// top sellers + trending on the home page, 4 and 6 items, dedupe and exclusions), and the
/// render plan with every item rendered through its template.
fn recommendations(c: &mut Criterion) {
    let snap = shop();
    let ring = KeyRing::parse(KEYS).unwrap();
    let token = cookie::mint(
        &serde_json::json!({"sub":"u","seg":["loyal","dog_owner"],"attrs":{"fav_category":"garden","purchased":["p0043","p0044","p0045","p0010","p0011"]},"exp": 4_000_000_000u64}),
        &ring,
    );
    let header = format!("a=1; {}={token}; b=2", cookie::PROFILE_COOKIE);
    let mut activity = vitrine_core::cookie::activity::Activity::new(1_799_990_000, None);
    for i in 0..20u64 {
        activity.record_product_view(&format!("p{:04}", 40 + i), 1_799_999_000 + i);
    }
    activity.record_product_view("p0042", 1_799_999_500);
    for (name, path, product) in [
        ("full_decision_recs_product", "/p/p0042", Some("p0042")),
        ("full_decision_recs_home", "/", None),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                let id =
                    cookie::identify(Some(&header), &ring, 1_800_000_000, TimePolicy::default());
                let mut ctx = vitrine_core::Context::new(&id, 1_800_000_000)
                    .with_url(path, "")
                    .with_visitor(Some("u"));
                ctx.activity = &activity;
                ctx.request.product = product;
                // The Worker asks which shards the recommendations need on every request.
                assert!(vitrine_core::decide::recommend::missing_shards(&snap, &ctx).is_empty());
                let d = vitrine_core::decide_in(&snap, &ctx);
                assert!(d.products.len() >= 4);
                (render(&d), d.exposures.len())
            })
        });
    }
}

criterion_group!(
    benches,
    rewrite,
    splice,
    decision,
    identity,
    recommendations,
    measurement
);
criterion_main!(benches);
