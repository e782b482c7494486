//! The recommendations loop end to end over `wrangler dev` (issue 18, part 4): a shop whose
//! product pages recommend from its `also_viewed` export is published; consenting visitors
//! browse product pages in a known co-view pattern and the edge logs their `vitrine.view`
//! events; `vitrine recs train` learns from exactly those log lines and writes the export;
//! `vitrine publish` ships it; and the edge's product pages then recommend what the visitors
//! viewed together, in the order the pattern implies, instead of the shop's old export.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support;

use support::*;
use vitrine_core::cookie::activity::ACTIVITY_COOKIE;
use vitrine_core::measure::events::Event;

const CONSENT: &str = "cookieconsent_status=allow";
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// The product every visitor starts from, and what they view next: five visitors go on to
/// `p0042`, three to `p0077`, two to `p0003`. Cosine scores for `p0101`: 5/√(10·5) = 0.71,
/// 3/√(10·3) = 0.55, 2/√(10·2) = 0.45, so its learned table is exactly that order; each
/// other product was viewed only with `p0101`.
const HUB: &str = "p0101";
const NEXT: [(&str, usize); 3] = [("p0042", 5), ("p0077", 3), ("p0003", 2)];
/// One visitor views these two together: one co-view is under the default minimum support
/// (2), so neither learns a table from it.
const ONCE: [&str; 2] = ["p0050", "p0060"];

/// The shop: the demo catalog, its `also_viewed` export at `recs.csv` (next to this file), and
/// product pages that show only that table.
fn campaign(products: &Path) -> String {
    format!(
        r#"[activity]
product_path = "/p/{{id}}"

[catalog]
products = {products:?}
recommendations = "recs.csv"
shard_size = 16

[[campaign]]
id = "pdp-recs"
slot = "recommendations"
audience = "everyone"
when = {{ path = "/p/*" }}
html = """<section class="learned">{{{{items}}}}</section>"""

[campaign.recommend]
items = 4
min = 1
strategies = [{{ related = "also_viewed" }}]
item_html = """<a href="{{{{product.url}}}}">{{{{product.name}}}}</a>"""
"#
    )
}

/// Products the campaign shows in the `recommendations` slot of `product`'s page, in page
/// order; `None` when it shows nothing (the page keeps its own content).
fn recommended(dev: &Dev, product: &str) -> Option<Vec<String>> {
    // No consent: the check itself writes no view event.
    let page = get_with(dev, &format!("/p/{product}"), &[("user-agent", BROWSER)]).text();
    let open = "<vitrine-slot name=\"recommendations\"><section class=\"learned\">";
    let start = page.find(open)?;
    let end = start + page[start..].find("</vitrine-slot>").unwrap();
    let ids = page[start..end]
        .split("href=\"/p/")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    Some(ids)
}

/// Waits (bounded) until `product`'s page recommends something other than `before`.
fn recommended_after(dev: &Dev, product: &str, before: &[String]) -> Option<Vec<String>> {
    let probe = || {
        let now = recommended(dev, product);
        let changed = now.as_deref() != Some(before);
        when(now, changed)
    };
    poll(Duration::from_secs(40), Duration::from_millis(500), probe).map_or_else(|e| e, |p| p.value)
}

/// A new consenting browser views `products` in order, keeping the activity cookie the edge
/// sets (its visitor id, so all its views carry one pseudonym), as a browser does.
fn browse(dev: &Dev, products: &[&str]) {
    let mut cookie = CONSENT.to_owned();
    for p in products {
        let got = get_with(
            dev,
            &format!("/p/{p}"),
            &[("cookie", &cookie), ("user-agent", BROWSER)],
        );
        assert_eq!(got.status, 200, "/p/{p}");
        if let Some(set) = got.header("set-cookie") {
            let pair = set.split(';').next().unwrap();
            assert!(pair.starts_with(ACTIVITY_COOKIE), "{set}");
            cookie = format!("{CONSENT}; {pair}");
        }
    }
}

/// The event lines logged so far, once `views` view events are among them (bounded wait).
fn logged_lines(dev: &Dev, views: usize) -> Vec<String> {
    let probe = || {
        let lines: Vec<String> = event_lines(&log(dev)).map(str::to_owned).collect();
        let logged = lines
            .iter()
            .filter(|l| matches!(Event::parse(l), Ok(Event::View(_))))
            .count();
        assert!(
            logged <= views,
            "{logged} view events, {views} expected:\n{}",
            lines.join("\n")
        );
        when(lines, logged == views)
    };
    match poll(Duration::from_secs(20), Duration::from_millis(200), probe) {
        Ok(polled) => polled.value,
        Err(lines) => {
            let logged = lines
                .iter()
                .filter(|l| matches!(Event::parse(l), Ok(Event::View(_))))
                .count();
            panic!("{logged} of {views} view events logged")
        }
    }
}

#[test]
fn recs_trained_on_the_edges_view_events_are_served_after_publishing() {
    let state = state_dir("recs-train");
    let file = state.join("shop.toml");
    let products = root().join("fixtures/catalog/products.json");
    std::fs::write(&file, campaign(&products)).unwrap();
    let export = state.join("recs.csv");
    std::fs::copy(root().join("fixtures/catalog/recommendations.csv"), &export).unwrap();
    let first = publish_campaign(&state, file.to_str().unwrap());
    let dev = start(
        state.clone(),
        &[
            ("VITRINE_ACTIVITY_KEYS", ACTIVITY_KEYS),
            ("CONSENT", "cookie:cookieconsent_status=allow"),
        ],
    );

    // Before: the shop's own export.
    let before = recommended(&dev, HUB).expect("the campaign fills the slot");
    assert_eq!(before, ["p0108", "p0109", "p0110", "p0111"]);
    let before_next = recommended(&dev, NEXT[0].0).expect("the campaign fills the slot");
    assert_ne!(before_next, [HUB]);

    // Traffic: the co-view pattern, one visitor per walk.
    let mut views = 0;
    for (next, visitors) in NEXT {
        for _ in 0..visitors {
            browse(&dev, &[HUB, next]);
            views += 2;
        }
    }
    browse(&dev, &ONCE);
    views += ONCE.len();

    // Train on what the edge logged, as a user does from `wrangler tail`.
    let events = state.join("events.jsonl");
    std::fs::write(&events, logged_lines(&dev, views).join("\n") + "\n").unwrap();
    let out = Command::new(cli())
        .args(["recs", "train"])
        .arg(&events)
        .arg("--products")
        .arg(&products)
        .arg("-o")
        .arg(&export)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "vitrine recs train: {stderr}");
    assert!(
        stderr.contains(&format!("{views} views")),
        "every logged view is learned from: {stderr}"
    );
    let written = std::fs::read_to_string(&export).unwrap();
    let mut expected = vec!["product_id,table,products".to_owned()];
    let mut rows: Vec<(&str, String)> = NEXT.iter().map(|(p, _)| (*p, HUB.to_owned())).collect();
    let hub: Vec<&str> = NEXT.iter().map(|(p, _)| *p).collect();
    rows.push((HUB, hub.join(" ")));
    rows.sort();
    expected.extend(
        rows.iter()
            .map(|(p, list)| format!("{p},also_viewed,{list}")),
    );
    assert_eq!(written.lines().collect::<Vec<_>>(), expected, "{stderr}");

    // Publish the learned export; the edge serves it.
    assert_ne!(publish_campaign(&state, file.to_str().unwrap()), first);
    let after = recommended_after(&dev, HUB, &before).expect("the campaign fills the slot");
    assert_eq!(after, hub, "the learned order, not the shop's export");
    assert_ne!(after, before);
    for (next, _) in NEXT {
        assert_eq!(
            recommended(&dev, next),
            Some(vec![HUB.to_owned()]),
            "{next}"
        );
    }
    for p in ONCE {
        assert_eq!(
            recommended(&dev, p),
            None,
            "{p}: one co-view is below the minimum support"
        );
    }
}
