//! The identity stage compiled to wasm32 exactly as in the Worker (same crate, same release
//! profile, `+simd128`), exported as plain C-ABI functions so Node can time them without the
//! Worker runtime: `sh benches/wasm-identity/run.sh`. Each function runs `n` iterations and
//! returns a count that depends on every iteration, so nothing is optimized away.

use vitrine_core::cookie::activity::{self, Activity, Caps};
use vitrine_core::cookie::visitor::{self, Paths, Request, Settings};
use vitrine_core::cookie::{self, ConsentSource, KeyRing, TimePolicy};

const KEYS: &str = "k:ZGVtby1rZXktZm9yLWxvY2FsLXRlc3RzLW9ubHktMzJieXRlcyE";
const ACT_KEYS: &str = "a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
const NOW: u64 = 1_800_000_000;

struct Fixture {
    ring: KeyRing,
    act_ring: KeyRing,
    header: String,
    act_value: String,
    consent: ConsentSource,
}

fn fixture() -> Option<Fixture> {
    let ring = KeyRing::parse(KEYS).ok()?;
    let act_ring = KeyRing::parse(ACT_KEYS).ok()?;
    let token = cookie::mint(
        &serde_json::json!({"sub":"c-123","seg":["loyal","dog_owner"],"attrs":{"tier":"gold"},"iat": NOW - 60,"exp": NOW + 3600}),
        &ring,
    );
    let mut act = Activity::new(NOW - 3600, None);
    for i in 0..20u64 {
        act.record_product_view(&format!("p{i:04}"), NOW - 600 + i);
        act.record_category_view(["dog", "cat", "garden"][i as usize % 3], NOW - 600 + i);
        act.record_impression("loyal-hero", NOW - 600 + i);
    }
    let act_value = activity::seal(&mut act, &act_ring, Caps::default());
    let header = format!(
        "cookieconsent_status=allow; {}={token}; {}={act_value}",
        cookie::PROFILE_COOKIE,
        activity::ACTIVITY_COOKIE
    );
    let consent = ConsentSource::parse("cookie:cookieconsent_status=allow").ok()?;
    Some(Fixture {
        ring,
        act_ring,
        header,
        act_value,
        consent,
    })
}

/// Profile cookie verify (`cookie::identify` over a 3-cookie header), `n` times.
#[no_mangle]
pub extern "C" fn bench_verify(n: u32) -> u32 {
    let Some(f) = fixture() else { return u32::MAX };
    (0..n)
        .filter(|_| {
            cookie::identify(Some(&f.header), &f.ring, NOW, TimePolicy::default())
                .profile()
                .is_some()
        })
        .count() as u32
}

/// Activity cookie open + product view + re-seal, `n` times.
#[no_mangle]
pub extern "C" fn bench_activity(n: u32) -> u32 {
    let Some(f) = fixture() else { return u32::MAX };
    (0..n)
        .map(|_| match activity::open(&f.act_value, &f.act_ring) {
            Ok(mut o) => {
                o.activity.record_product_view("p0042", NOW);
                activity::seal(&mut o.activity, &f.act_ring, Caps::default()).len() as u32
            }
            Err(_) => 0,
        })
        .fold(0u32, u32::wrapping_add)
}

/// Worst case: open + view + re-seal of a cookie trimmed to the 4096-byte bound, `n` times.
#[no_mangle]
pub extern "C" fn bench_activity_4k(n: u32) -> u32 {
    let Some(f) = fixture() else { return u32::MAX };
    let caps = Caps {
        products: 400,
        recent: 400,
        ..Caps::default()
    };
    let mut full = Activity::new(NOW - 3600, None);
    for i in 0..400u64 {
        full.record_product_view(&format!("product-{i:05}"), NOW - 3600 + i);
    }
    let value = activity::seal(&mut full, &f.act_ring, caps);
    (0..n)
        .map(|_| match activity::open(&value, &f.act_ring) {
            Ok(mut o) => {
                o.activity.record_product_view("p0042", NOW);
                activity::seal(&mut o.activity, &f.act_ring, caps).len() as u32
            }
            Err(_) => 0,
        })
        .fold(0u32, u32::wrapping_add)
}

/// The whole identity stage (profile, consent, activity, Set-Cookie), `n` times.
#[no_mangle]
pub extern "C" fn bench_identity(n: u32) -> u32 {
    let Some(f) = fixture() else { return u32::MAX };
    let settings = Settings {
        profile_keys: &f.ring,
        activity_keys: Some(&f.act_ring),
        time: TimePolicy::default(),
        consent: &f.consent,
        activity_max_age_secs: 30 * 86_400,
        caps: Caps::default(),
        pseudonym_keys: None,
    };
    let paths = Paths {
        product: Some("/p/{id}"),
        category: Some("/c/{id}"),
    };
    let req = Request {
        cookie: Some(&f.header),
        gpc: None,
        path: "/p/p0042",
        now: NOW,
    };
    (0..n)
        .map(|_| {
            visitor::resolve(req, &settings, paths)
                .set_cookie(&settings)
                .map_or(0, |s| s.len() as u32)
        })
        .fold(0u32, u32::wrapping_add)
}

/// The full per-request decision, as the page view (`src/view.rs`, `crates/core/src/view.rs`)
/// runs it: the identity stage (profile verify, consent, activity open + view), then
/// `decide_in` over the demo snapshot (decoded once, outside the loop, as the Worker does per
/// version), the render plan, the impressions counted and the activity cookie re-sealed for
/// `Set-Cookie`; `n` times.
#[no_mangle]
pub extern "C" fn bench_decision(n: u32) -> u32 {
    use vitrine_core::decide::{ActivityCounts as Seen, NoActivity};
    use vitrine_core::{decide_in, render, Context};
    let Some(f) = fixture() else { return u32::MAX };
    let Ok(snap) = vitrine_core::snapshot::decode(DEMO_SNAPSHOT) else {
        return u32::MAX;
    };
    let settings = Settings {
        profile_keys: &f.ring,
        activity_keys: Some(&f.act_ring),
        time: TimePolicy::default(),
        consent: &f.consent,
        activity_max_age_secs: 30 * 86_400,
        caps: Caps::default(),
        pseudonym_keys: None,
    };
    let paths = Paths {
        product: Some("/p/{id}"),
        category: Some("/c/{id}"),
    };
    let req = Request {
        cookie: Some(&f.header),
        gpc: None,
        path: "/c/garden",
        now: NOW,
    };
    (0..n)
        .map(|_| {
            let mut v = visitor::resolve(req, &settings, paths);
            let (fragments, shown) = {
                let seen: &dyn Seen = match &v.activity {
                    Some(a) => a,
                    None => &NoActivity,
                };
                let mut ctx = Context::new(&v.identity, NOW as i64).with_url(req.path, "");
                ctx.activity = seen;
                let decision = decide_in(&snap, &ctx);
                let shown: Vec<String> = decision
                    .fills
                    .iter()
                    .map(|d| d.campaign.to_owned())
                    .collect();
                let plan = render(&decision);
                (plan.edits().len(), shown)
            };
            v.record_impressions(shown.iter().map(String::as_str), NOW);
            let cookie = v.set_cookie(&settings).map_or(0, |s| s.len());
            (fragments + cookie) as u32
        })
        .fold(0u32, u32::wrapping_add)
}

/// The full decision with recommendations on the realistic snapshot (the demo shop: 15
/// campaigns, an A/B test, a real-time offer, two recommendation slots, 120 products in 8
/// shards, all attached as after the Worker's first requests), as the page view
/// (`src/view.rs`, `crates/core/src/view.rs`) runs it for a consenting loyal visitor on a
/// product page: identity stage (profile with `fav_category` and 5 purchased ids, consent,
/// 1.4 KB activity cookie open + view), the check for catalog shards still to load
/// (`missing_shards`), then `decide_in` with clock and visitor id (experiment bucketing,
/// offer, 4 recommended items from also_viewed / recently viewed / picks / trending, dedupe
/// and exclusions), the render plan with every item rendered, impressions counted and the
/// activity cookie re-sealed; `n` times.
#[no_mangle]
pub extern "C" fn bench_decision_recs(n: u32) -> u32 {
    use vitrine_core::decide::{ActivityCounts as Seen, NoActivity};
    use vitrine_core::{decide_in, render, Context};
    let Some(f) = fixture() else { return u32::MAX };
    let Ok(snap) = vitrine_core::snapshot::decode(SHOP_SNAPSHOT) else {
        return u32::MAX;
    };
    for (i, bytes) in SHOP_SHARDS.iter().enumerate() {
        if snap.attach_shard(i, bytes).is_err() {
            return u32::MAX;
        }
    }
    let token = cookie::mint(
        &serde_json::json!({"sub":"c-123","seg":["loyal","dog_owner"],"attrs":{"fav_category":"garden","purchased":["p0043","p0044","p0045","p0010","p0011"]},"iat": NOW - 60,"exp": NOW + 3600}),
        &f.ring,
    );
    let mut act = Activity::new(NOW - 3600, None);
    for i in 0..20u64 {
        act.record_product_view(&format!("p{:04}", 40 + i), NOW - 600 + i);
        act.record_category_view(["dog", "cat", "garden"][i as usize % 3], NOW - 600 + i);
        act.record_impression("loyal-hero", NOW - 600 + i);
    }
    let act_value = activity::seal(&mut act, &f.act_ring, Caps::default());
    let header = format!(
        "cookieconsent_status=allow; {}={token}; {}={act_value}",
        cookie::PROFILE_COOKIE,
        activity::ACTIVITY_COOKIE
    );
    let settings = Settings {
        profile_keys: &f.ring,
        activity_keys: Some(&f.act_ring),
        time: TimePolicy::default(),
        consent: &f.consent,
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
        now: NOW,
    };
    (0..n)
        .map(|_| {
            let mut v = visitor::resolve(req, &settings, paths);
            let (size, shown) = {
                let seen: &dyn Seen = match &v.activity {
                    Some(a) => a,
                    None => &NoActivity,
                };
                let mut ctx = Context::new(&v.identity, NOW as i64)
                    .with_url(req.path, "")
                    .with_visitor(Some("c-123"));
                ctx.activity = seen;
                ctx.request.product = Some("p0042");
                // The Worker asks which shards the recommendations need on every request.
                let missing = vitrine_core::decide::recommend::missing_shards(&snap, &ctx).len();
                let decision = decide_in(&snap, &ctx);
                let shown: Vec<String> = decision
                    .fills
                    .iter()
                    .map(|d| d.campaign.to_owned())
                    .collect();
                let plan = render(&decision);
                let size: usize = plan.edits().iter().map(|e| e.html.len()).sum();
                (size * usize::from(decision.products.len() >= 4 && missing == 0), shown)
            };
            v.record_impressions(shown.iter().map(String::as_str), NOW);
            let cookie = v.set_cookie(&settings).map_or(0, |s| s.len());
            (size + cookie) as u32
        })
        .fold(0u32, u32::wrapping_add)
}

/// The demo shop as `vitrine build` compiles it, and its catalog shards (golden files).
const SHOP_SNAPSHOT: &[u8] = include_bytes!("../../../fixtures/golden/shop.snapshot.json");
const SHOP_SHARDS: [&[u8]; 8] = [
    include_bytes!("../../../fixtures/golden/shop.shards/0.json"),
    include_bytes!("../../../fixtures/golden/shop.shards/1.json"),
    include_bytes!("../../../fixtures/golden/shop.shards/2.json"),
    include_bytes!("../../../fixtures/golden/shop.shards/3.json"),
    include_bytes!("../../../fixtures/golden/shop.shards/4.json"),
    include_bytes!("../../../fixtures/golden/shop.shards/5.json"),
    include_bytes!("../../../fixtures/golden/shop.shards/6.json"),
    include_bytes!("../../../fixtures/golden/shop.shards/7.json"),
];

/// The demo campaign as `vitrine build` compiles it (the golden snapshot).
const DEMO_SNAPSHOT: &[u8] = include_bytes!("../../../fixtures/golden/demo.snapshot.json");
