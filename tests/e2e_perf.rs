//! End to end over `wrangler dev`: parse once, splice many. The first request for a page is
//! stream-rewritten (and recorded), later ones are spliced from the recorded page; both must
//! be byte-identical to the golden files the native streaming rewrite produces, for every
//! persona and page, with the same cache-safety headers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;

#[test]
fn spliced_responses_equal_streamed_golden_pages() {
    let state = state_dir("splice");
    publish_demo(&state);
    let dev = start(state, &[]);
    let personas: [(&str, &[&str]); 4] = [
        ("anonymous", &[]),
        ("loyal", &["loyal"]),
        ("price-hunter", &["price_hunter"]),
        ("dog-owner", &["dog_owner"]),
    ];
    let pages = [("home", "/"), ("dog", "/c/dog"), ("product", "/p/p0001")];
    let mut spliced = 0;
    for round in 0..2 {
        for (who, segments) in personas {
            let cookie = (!segments.is_empty()).then(|| mint(segments));
            for (name, path) in pages {
                let got = get(&dev, path, cookie.as_deref());
                assert_eq!(got.status, 200, "{who} {path}");
                let xv = got.header("x-vitrine").unwrap_or("").to_owned();
                let golden = root().join(format!("fixtures/golden/{who}-{name}.html"));
                let want = std::fs::read(&golden).unwrap();
                assert!(
                    got.body == want,
                    "{who} {path} round {round} ({xv}) differs from {golden:?}"
                );
                assert_eq!(got.header("cache-control"), Some("private, no-store"));
                assert!(got.header("etag").is_none() && got.header("last-modified").is_none());
                if xv.ends_with("; body=spliced") {
                    spliced += 1;
                } else {
                    assert!(xv.ends_with("; body=streamed"), "{xv}");
                }
            }
        }
    }
    // Every page was recorded on its first request; the whole second round is spliced.
    assert!(
        spliced >= personas.len() * pages.len(),
        "only {spliced} spliced responses"
    );
}
