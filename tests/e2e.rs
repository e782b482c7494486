//! End to end over HTTP against `wrangler dev` (real workerd, real local KV, static assets).
//! Needs the built worker (`make test` builds it first).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;

fn hero(page: &str) -> &str {
    let start = page
        .find("<vitrine-slot name=\"hero\">")
        .expect("hero slot");
    let end = page[start..].find("</vitrine-slot>").unwrap();
    &page[start..start + end]
}

#[test]
fn personas_headers_passthrough_and_panic_recovery() {
    let state = state_dir("seeded");
    let version = publish_demo(&state);
    let dev = start(state, &[]);

    // Slot content per persona, and two visitors in a row never share content.
    let anon = get(&dev, "/", None);
    assert_eq!(anon.status, 200);
    assert!(
        hero(&anon.text()).contains("Welcome! 10% off"),
        "{}",
        anon.text()
    );
    let loyal = get(&dev, "/", Some(&mint(&["loyal"])));
    assert!(hero(&loyal.text()).contains("loyalty discount"));
    assert!(!hero(&loyal.text()).contains("Welcome!"));
    let hunter = get(&dev, "/c/dog", Some(&mint(&["price_hunter"])));
    assert!(hero(&hunter.text()).contains("Save up to 40%"));
    assert!(!hunter.text().contains("loyalty discount"));
    let dog = get(&dev, "/c/dog", Some(&mint(&["dog_owner"])));
    assert!(dog.text().contains("Buy 2 bags of dog food"));
    let anon_again = get(&dev, "/", None);
    assert!(!anon_again.text().contains("loyalty discount"));

    // Headers of a personalized response.
    assert_eq!(loyal.header("cache-control"), Some("private, no-store"));
    assert!(loyal.header("etag").is_none() && loyal.header("last-modified").is_none());
    let xv = loyal.header("x-vitrine").unwrap();
    assert!(
        xv.starts_with(&format!("v={version}; slots=")) && xv.contains("hero=loyal-hero"),
        "{xv}"
    );

    // A tampered cookie is an anonymous visitor, never an error.
    let mut tampered = mint(&["loyal"]);
    tampered.push('x');
    let t = get(&dev, "/", Some(&tampered));
    assert_eq!(t.status, 200);
    assert!(hero(&t.text()).contains("Welcome!"));

    // Byte-identical passthrough for assets, HEAD, POST, errors, and non-document paths.
    let css = get(&dev, "/style.css", Some(&mint(&["loyal"])));
    assert_eq!(css.body, site_file("style.css"));
    assert!(css.header("x-vitrine").is_none());
    let etag = css.header("etag").expect("assets send an etag").to_owned();
    let not_modified = send(
        agent()
            .get(&format!("{}/style.css", dev.base))
            .set("if-none-match", &etag),
    );
    assert_eq!(not_modified.status, 304);
    let head = send(agent().head(&format!("{}/", dev.base)));
    assert!(head.header("x-vitrine").is_none());
    let missing = get(&dev, "/no-such-page", None);
    assert_eq!(missing.status, 404);
    assert!(missing.header("x-vitrine").is_none());
    let css_path = get(&dev, "/x.css", None);
    assert!(css_path.header("x-vitrine").is_none());

    // A browser revalidating a document still gets personalized content, not a 304.
    let reval = send(
        agent()
            .get(&format!("{}/", dev.base))
            .set("if-none-match", "\"anything\"")
            .set("cookie", &mint(&["loyal"])),
    );
    assert_eq!(reval.status, 200);
    assert!(hero(&reval.text()).contains("loyalty discount"));

    // A panic fails that request, and the next request still works.
    let _ = send(
        agent()
            .get(&format!("{}/", dev.base))
            .set("x-vitrine-fault", "panic"),
    );
    let after = get(&dev, "/", Some(&mint(&["loyal"])));
    assert_eq!(after.status, 200);
    assert!(hero(&after.text()).contains("loyalty discount"));
}

#[test]
fn empty_kv_bypasses_with_unchanged_page() {
    let dev = start(state_dir("empty"), &[]);
    let got = get(&dev, "/", Some(&mint(&["loyal"])));
    assert_eq!(got.status, 200);
    assert_eq!(got.header("x-vitrine"), Some("bypass; reason=no_snapshot"));
    assert_eq!(got.body, site_file("index.html"));
}

#[test]
fn corrupt_snapshot_bypasses_with_unchanged_page() {
    let state = state_dir("corrupt");
    let garbage = state.join("garbage");
    std::fs::write(
        &garbage,
        b"{\"schema\":1,\"version\":\"deadbeef\",\"slots\":[tru",
    )
    .unwrap();
    let pointer = state.join("pointer");
    std::fs::write(&pointer, b"deadbeef").unwrap();
    kv_put(&state, "snapshot/v/deadbeef", &garbage);
    kv_put(&state, "snapshot/current", &pointer);
    let dev = start(state, &[]);
    let got = get(&dev, "/c/cat", None);
    assert_eq!(got.status, 200);
    assert_eq!(
        got.header("x-vitrine"),
        Some("bypass; reason=snapshot_corrupt")
    );
    assert_eq!(got.body, site_file("c/cat.html"));
}

#[test]
fn origin_never_sees_visitor_cookies() {
    let (addr, seen) = recording_origin();
    let state = state_dir("origin");
    publish_demo(&state);
    let dev = start(state, &[("PAGE_SOURCE", "origin"), ("ORIGIN_URL", &addr)]);
    let got = send(
        agent()
            .get(&format!("{}/", dev.base))
            .set("cookie", &mint(&["loyal"]))
            .set("authorization", "Bearer secret")
            .set("x-forwarded-host", "evil.example"),
    );
    assert_eq!(got.status, 200);
    assert!(hero(&got.text()).contains("loyalty discount"));
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty(), "the origin was asked for the base page");
    for head in seen.iter() {
        assert!(!head.contains("\ncookie:"), "cookie forwarded: {head}");
        assert!(
            !head.contains("authorization:"),
            "authorization forwarded: {head}"
        );
        assert!(
            !head.contains("evil.example"),
            "x-forwarded-host forwarded: {head}"
        );
    }
}
