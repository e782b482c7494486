//! Recommendations end to end over `wrangler dev`: the demo shop (`fixtures/campaigns/shop.toml`,
//! with its catalog in 8 KV shards) is published with the CLI; a visitor's product views go
//! into the activity cookie and come back as "also viewed" items on product pages and as
//! "recently viewed" items on the home page, without products they bought. Real workerd,
//! real local KV: the worker reads the shards the recommended products live in.

use crate::support;

use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use support::*;
use vitrine_core::cookie::activity::ACTIVITY_COOKIE;

const CONSENT: &str = "cookieconsent_status=allow";

/// Products linked from the slot `name`, in page order.
fn items(page: &str, name: &str) -> Vec<String> {
    let open = format!("<vitrine-slot name=\"{name}\">");
    let start = page.find(&open).unwrap_or_else(|| panic!("no {name} slot"));
    let end = start + page[start..].find("</vitrine-slot>").unwrap();
    page[start..end]
        .split("href=\"/p/")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

/// `table` of `product` from the shop's export.
fn export(product: &str, table: &str) -> Vec<String> {
    let csv = std::fs::read_to_string(root().join("fixtures/catalog/recommendations.csv")).unwrap();
    let line = csv
        .lines()
        .find(|l| l.starts_with(&format!("{product},{table},")))
        .unwrap();
    let ids = line.rsplit(',').next().unwrap();
    ids.split(' ').map(str::to_owned).collect()
}

/// A profile cookie with segments and attributes.
fn profile(segments: &[&str], attrs: serde_json::Value) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ring = vitrine_core::KeyRing::parse(KEYS).unwrap();
    let claims =
        serde_json::json!({"sub": "shopper", "seg": segments, "attrs": attrs, "exp": now + 600});
    format!(
        "{}={}",
        vitrine_core::cookie::PROFILE_COOKIE,
        vitrine_core::cookie::mint(&claims, &ring)
    )
}

/// The new activity cookie (`name=value`) a response sets.
fn activity(got: &Got) -> String {
    let sc = got.header("set-cookie").expect("an activity cookie");
    let pair = sc.split(';').next().unwrap();
    assert!(pair.starts_with(ACTIVITY_COOKIE), "{sc}");
    pair.to_owned()
}

fn publish_shop(state: &std::path::Path) {
    let ok = Command::new(support::cli())
        .current_dir(root())
        .args([
            "publish",
            "fixtures/campaigns/shop.toml",
            "--local",
            "--persist-to",
        ])
        .arg(state)
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "publish shop.toml");
}

#[test]
fn viewed_products_come_back_as_recommendations() {
    let state = state_dir("recs");
    publish_shop(&state);
    let dev = start(
        state,
        &[
            ("VITRINE_ACTIVITY_KEYS", ACTIVITY_KEYS),
            ("CONSENT", "cookie:cookieconsent_status=allow"),
        ],
    );
    let loyal = profile(&["loyal"], serde_json::json!({}));

    // A product page: what others also viewed, from the shards of those products.
    let first = get(&dev, "/p/p0050", Some(&format!("{CONSENT}; {loyal}")));
    let also = export("p0050", "also_viewed");
    assert_eq!(
        items(&first.text(), "recommendations"),
        also[..4],
        "{}",
        first.text()
    );
    let xv = first.header("x-vitrine").unwrap_or_default();
    assert!(xv.contains("recommendations=pdp-recs"), "{xv}");
    let cookie = activity(&first);

    // A second product page, then the home page: recently viewed, newest first, then the
    // loyal segment's hand-picked products.
    let second = get(
        &dev,
        "/p/p0090",
        Some(&format!("{CONSENT}; {loyal}; {cookie}")),
    );
    let also90 = export("p0090", "also_viewed");
    let shown = items(&second.text(), "recommendations");
    assert_eq!(shown, also90[..4]);
    let cookie = activity(&second);
    let home = get(&dev, "/", Some(&format!("{CONSENT}; {loyal}; {cookie}")));
    let picks = items(&home.text(), "home-picks");
    assert_eq!(picks.len(), 6, "{picks:?}");
    assert_eq!(picks[..2], ["p0090", "p0050"], "{picks:?}");
    assert!(home.text().contains("Picked for you"));

    // Products the visitor bought are never recommended; the next ones fill in.
    let buyer = profile(
        &["loyal"],
        serde_json::json!({"purchased": [also[0], also[2]]}),
    );
    let got = get(&dev, "/p/p0050", Some(&buyer));
    let want: Vec<&String> = also
        .iter()
        .filter(|id| **id != also[0] && **id != also[2])
        .take(4)
        .collect();
    assert_eq!(
        items(&got.text(), "recommendations")
            .iter()
            .collect::<Vec<_>>(),
        want
    );

    // No consent, no activity: product pages still recommend from the current product.
    let anonymous = get(&dev, "/p/p0001", None);
    assert_eq!(
        items(&anonymous.text(), "recommendations"),
        export("p0001", "also_viewed")[..4]
    );
    assert!(anonymous.header("set-cookie").is_none());
    // ...and a first-time visitor's home page keeps its default "Featured products".
    let home = get(&dev, "/", None);
    assert!(home.text().contains("Featured products"));
}
