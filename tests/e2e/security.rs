//! The security review's findings (issue 14, section 2) over `wrangler dev`: a preview token
//! never leaves in a `Referer`, page conversions count only for top-level navigations, a page
//! served unchanged logs no events, and logs carry no key material and no query string.

use std::time::Duration;

use crate::support::*;
use vitrine_core::measure::events::Event;
use vitrine_core::preview_token::{self, Preview};
use vitrine_core::KeyRing;

const PREVIEW_KEYS: &str = "pv1:cHJldmlldy1rZXktZm9yLWxvY2FsLXRlc3RzLW9ubHk";
const CONSENT: &str = "cookieconsent_status=allow";

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The conversion events logged so far, waiting (bounded) until there are at least `want`.
fn conversions(dev: &Dev, want: usize) -> Vec<String> {
    let probe = || {
        let log = log(dev);
        let found: Vec<String> = event_lines(&log)
            .filter(|json| matches!(Event::parse(json), Ok(Event::Conversion(_))))
            .map(str::to_owned)
            .collect();
        let done = found.len() >= want;
        when(found, done)
    };
    poll(Duration::from_secs(20), Duration::from_millis(100), probe).map_or_else(|e| e, |p| p.value)
}

/// Issue 14, item 1: the preview page's own asset requests carried
/// `Referer: …?vitrine_preview=eyJ…` to the origin of a site forwarding `Referer`, and the
/// preview response did not ask browsers to keep it.
#[test]
fn preview_tokens_never_leave_in_a_referer() {
    let (addr, seen) = recording_origin();
    let state = state_dir("security-referer");
    publish_demo(&state);
    let dev = start_origin(
        state,
        &addr,
        &[
            ("VITRINE_PREVIEW_KEYS", PREVIEW_KEYS),
            ("FORWARD_HEADERS", "accept, referer"),
            ("DOCUMENT_PATHS", "/, /c/*"),
        ],
    );
    let ring = KeyRing::parse(PREVIEW_KEYS).unwrap();
    let forcing = Preview {
        segments: Some(vec!["loyal".into()]),
        ..Preview::default()
    };
    let token = preview_token::mint(&forcing, ring.current(), now(), 600).unwrap();
    let preview = get(&dev, &format!("/?vitrine_preview={token}"), None);
    assert!(preview.header("x-vitrine-explain").is_some(), "a preview");
    assert_eq!(preview.header("referrer-policy"), Some("no-referrer"));
    let referer = format!("{}/?a=1&vitrine_preview={token}&b=2", dev.base);
    for path in ["/style.css", "/c/dog"] {
        get_with(&dev, path, &[("referer", &referer)]);
        let heads = seen.lock().unwrap().clone();
        let head = heads
            .iter()
            .rev()
            .find(|h| target(h) == path)
            .unwrap_or_else(|| panic!("the origin was asked for {path}"));
        let sent = head_value(head, "referer").expect("referer is forwarded");
        assert_eq!(sent, format!("{}/?a=1&b=2", dev.base).to_ascii_lowercase());
    }
    assert!(
        !seen
            .lock()
            .unwrap()
            .iter()
            .any(|h| h.contains(&token.to_ascii_lowercase())),
        "the token never reaches the origin"
    );
}

/// Issue 14, item 2: a conversion page requested as a cross-site image (or prefetched) wrote a
/// conversion event. Only top-level navigations count, and requests without fetch metadata.
#[test]
fn page_conversions_count_only_for_top_level_navigations() {
    let state = state_dir("security-navigation");
    publish_campaign(&state, "fixtures/campaigns/measure.toml");
    let dev = start(
        state,
        &[
            ("VITRINE_ACTIVITY_KEYS", ACTIVITY_KEYS),
            ("CONSENT", "cookie:cookieconsent_status=allow"),
        ],
    );
    let page = "/order/confirmed?total=25&order=X-1";
    let forged = [
        (
            vec![
                ("sec-fetch-site", "cross-site"),
                ("sec-fetch-mode", "no-cors"),
                ("sec-fetch-dest", "image"),
            ],
            "not_navigation",
        ),
        (
            vec![
                ("sec-fetch-site", "cross-site"),
                ("sec-fetch-mode", "navigate"),
                ("sec-fetch-dest", "iframe"),
            ],
            "not_navigation",
        ),
        (
            vec![
                ("sec-fetch-site", "same-origin"),
                ("sec-fetch-mode", "navigate"),
                ("sec-fetch-dest", "document"),
                ("sec-purpose", "prefetch;prerender"),
            ],
            "prefetch",
        ),
    ];
    let mut refused: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (headers, code) in &forged {
        let mut headers = headers.clone();
        headers.push(("cookie", CONSENT));
        let got = get_with(&dev, page, &headers);
        assert_eq!(got.status, 200);
        // Counted: two forgeries are refused for the same reason, and each logs its line.
        let want = *refused.entry(code).and_modify(|n| *n += 1).or_insert(1);
        let detail = format!("\"detail\":\"{code}\"");
        let log = log_when(&dev, |l| l.matches(&detail).count() >= want);
        assert!(
            log.matches(&detail).count() >= want,
            "vitrine.conversion_refused {code}, {want} times:\n{log}"
        );
    }
    let navigate = [
        ("cookie", CONSENT),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-user", "?1"),
    ];
    get_with(&dev, page, &navigate);
    let found = conversions(&dev, 1);
    assert_eq!(found.len(), 1, "only the navigation counts: {found:?}");
    // A client without fetch metadata (an older browser) still counts.
    get_with(
        &dev,
        "/order/confirmed?total=25&order=X-2",
        &[("cookie", CONSENT)],
    );
    assert_eq!(conversions(&dev, 2).len(), 2);
}

/// Issue 14, item 9: the events of a page view were logged before the WASM rewriter turned the
/// page into a bypass (a charset it cannot rewrite), so a page that was not personalized still
/// counted a conversion. Also item 7: the bypass line names the path without its query.
#[test]
fn a_page_served_unchanged_logs_no_events_and_no_query() {
    let page = site_file("order/confirmed.html");
    let (addr, _seen) = origin(move |target| {
        let charset = if target.contains("sjis") {
            "Shift_JIS"
        } else {
            "utf-8"
        };
        (
            format!("content-type: text/html; charset={charset}\r\n"),
            page.clone(),
        )
    });
    let state = state_dir("security-unchanged");
    publish_campaign(&state, "fixtures/campaigns/measure.toml");
    let dev = start_origin(state, &addr, &[]);
    let got = get(&dev, "/order/confirmed-sjis?total=25&order=s3cr3t-1", None);
    assert_eq!(
        got.header("x-vitrine"),
        Some("bypass; reason=unsupported_charset")
    );
    assert!(
        logged(&dev, "\"path\":\"/order/confirmed-sjis\""),
        "{}",
        log(&dev)
    );
    // The same conversion on a page that is personalized is counted, so the log is read.
    let got = get(&dev, "/order/confirmed-utf8?total=25&order=s3cr3t-2", None);
    assert!(!got.header("x-vitrine").unwrap().starts_with("bypass"));
    let found = conversions(&dev, 1);
    std::thread::sleep(Duration::from_millis(500));
    let found_later = conversions(&dev, 1);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found_later.len(), 1, "{found_later:?}");
    assert!(!log(&dev).contains("s3cr3t"), "no query in any log line");
}

/// Issue 14, item 7: a key ring written the wrong way round (`SECRET:kid`) echoed the secret in
/// the `vitrine.config`, `vitrine.preview_refused` and `vitrine.bypass` lines.
#[test]
fn logs_never_carry_key_material() {
    const SECRET: &str = "c3dhcHBlZC1zZWNyZXQta2V5LWZvci1sb2NhbC10ZXN0cw";
    let swapped = format!("{SECRET}:oops");
    let state = state_dir("security-keys");
    publish_demo(&state);
    let dev = start(
        state,
        &[
            ("VITRINE_ACTIVITY_KEYS", &swapped),
            ("VITRINE_PREVIEW_KEYS", &swapped),
            ("CONSENT", "cookie:cookieconsent_status=allow"),
        ],
    );
    get(&dev, "/?vitrine_preview=abc.def.ghi", Some(CONSENT));
    assert!(logged(&dev, "VITRINE_ACTIVITY_KEYS"), "{}", log(&dev));
    assert!(logged(&dev, "VITRINE_PREVIEW_KEYS"), "{}", log(&dev));
    let text = log(&dev);
    assert!(!text.contains(SECRET), "{text}");
    drop(dev);

    let state = state_dir("security-profile-keys");
    publish_demo(&state);
    let dev = start(state, &[("VITRINE_COOKIE_KEYS", &swapped)]);
    let got = get(&dev, "/c/dog?order=s3cr3t", None);
    assert_eq!(got.header("x-vitrine"), Some("bypass; reason=config"));
    assert!(logged(&dev, "\"path\":\"/c/dog\""), "{}", log(&dev));
    let text = log(&dev);
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");
}

/// Issue 14, item 2: a purchase that must be trusted is declared `signed = true`; over HTTP it
/// counts only with the backend's token, with the token's value, once per order.
#[test]
fn signed_conversions_count_only_with_the_backends_token() {
    use vitrine_core::measure::conversion::signed;
    let state = state_dir("security-signed");
    let file = state.join("signed.toml");
    std::fs::write(
        &file,
        "[[campaign]]\nid = \"hero\"\nslot = \"hero\"\naudience = \"everyone\"\nhtml = \"Hi\"\n\n\
         [[conversion]]\nname = \"purchase\"\npath = \"/order/confirmed*\"\nsigned = true\n\
         value = { min = 0, max = 1000 }\n",
    )
    .unwrap();
    publish_campaign(&state, file.to_str().unwrap());
    let dev = start(
        state,
        &[
            ("VITRINE_ACTIVITY_KEYS", ACTIVITY_KEYS),
            ("CONSENT", "cookie:cookieconsent_status=allow"),
        ],
    );
    let ring = KeyRing::parse(KEYS).unwrap();
    let token = signed::mint(&ring, "purchase", "S-1", Some(42.5), None, now(), 600);
    get(&dev, "/order/confirmed?total=999&order=S-1", Some(CONSENT));
    assert!(logged(&dev, "\"detail\":\"unsigned\""), "{}", log(&dev));
    let got = get(
        &dev,
        &format!("/order/confirmed?total=999&vitrine_conversion={token}"),
        Some(CONSENT),
    );
    assert_eq!(got.status, 200);
    let found = conversions(&dev, 1);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("\"value\":42.5"), "{}", found[0]);
}

/// Issue 14, item 8: a slot planted in user-generated content was filled like the site's own.
/// With `SLOT_PAGE_MARK`, only a page whose `<head>` carries the site's
/// `<meta name="vitrine" content="…">` is filled, on every view (first, second, later).
#[test]
fn with_a_page_mark_only_marked_pages_are_filled() {
    let plain = String::from_utf8(site_file("index.html")).unwrap();
    let marked = plain.replacen(
        "<meta charset=\"utf-8\">",
        "<meta charset=\"utf-8\"><meta name=\"vitrine\" content=\"shop-7f3a\">",
        1,
    );
    assert_ne!(plain, marked, "the demo page has a <meta charset>");
    let sent = plain.clone();
    let (addr, _) = origin(move |target| {
        let body = if target == "/marked" { &marked } else { &sent };
        (
            "content-type: text/html; charset=utf-8\r\ncache-control: public, max-age=60\r\netag: \"p1\"\r\n"
                .to_owned(),
            body.clone().into_bytes(),
        )
    });
    let state = state_dir("security-page-mark");
    publish_demo(&state);
    let dev = start_origin(state, &addr, &[("SLOT_PAGE_MARK", "shop-7f3a")]);
    let cookie = mint(&["loyal"]);
    for view in 0..3 {
        let got = get(&dev, "/marked", Some(&cookie));
        assert!(got.text().contains("loyalty discount"), "#{view}: filled");
        let got = get(&dev, "/ugc", Some(&cookie));
        assert_eq!(got.status, 200);
        assert!(
            !got.text().contains("loyalty discount"),
            "#{view}: not filled"
        );
        assert_eq!(
            got.text(),
            plain,
            "#{view}: the unmarked page as the origin sent it"
        );
    }
}
