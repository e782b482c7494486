//! Every refusal of the beacon route, one test per row, and what passes.

use super::*;
use crate::snapshot::goal::Range;

const URL: &str = "https://shop.example/__vitrine/event";
const SITE: &str = "https://shop.example";

fn goals() -> Vec<Goal> {
    let beacon = |name: &str, value: Option<Range>| Goal {
        name: name.into(),
        path: None,
        value_param: None,
        dedupe_param: None,
        beacon: true,
        signed: false,
        value,
    };
    vec![
        beacon(
            "add_to_cart",
            Some(Range {
                min: 0.0,
                max: 1000.0,
            }),
        ),
        beacon("newsletter", None),
        Goal {
            name: "purchase".into(),
            path: Some("/order/confirmed*".into()),
            value_param: Some("total".into()),
            dedupe_param: None,
            beacon: false,
            signed: false,
            value: Some(Range { min: 0.0, max: 1e4 }),
        },
    ]
}

fn head() -> Head<'static> {
    Head {
        method: "POST",
        url: URL,
        origin: Some(SITE),
        fetch_site: Some("same-origin"),
        content_type: Some("text/plain;charset=UTF-8"),
        content_length: Some("40"),
    }
}

macro_rules! head_refused {
    ($($name:ident: $change:expr => $code:expr, $status:expr,)*) => {$(
        #[test]
        fn $name() {
            let change: fn(Head<'static>) -> Head<'static> = $change;
            let why = check_head(change(head())).unwrap_err();
            assert_eq!((why.code(), why.status()), ($code, $status), "{why}");
            assert!(why.body().starts_with(&format!("refused: {}: ", $code)));
        }
    )*};
}

head_refused! {
    refuses_get: |h| Head { method: "GET", ..h } => "method", 405,
    refuses_lowercase_post: |h| Head { method: "post", ..h } => "method", 405,
    refuses_cross_site_fetch: |h| Head { fetch_site: Some("cross-site"), ..h } => "cross_site", 403,
    refuses_same_site_fetch: |h| Head { fetch_site: Some("same-site"), ..h } => "cross_site", 403,
    refuses_typed_url_fetch: |h| Head { fetch_site: Some("none"), ..h } => "cross_site", 403,
    refuses_foreign_origin: |h| Head { origin: Some("https://evil.example"), ..h } => "origin", 403,
    refuses_sibling_subdomain: |h| Head { origin: Some("https://www.shop.example"), ..h } => "origin", 403,
    refuses_other_scheme: |h| Head { origin: Some("http://shop.example"), ..h } => "origin", 403,
    refuses_other_port: |h| Head { origin: Some("https://shop.example:8443"), ..h } => "origin", 403,
    refuses_null_origin: |h| Head { origin: Some("null"), ..h } => "origin", 403,
    refuses_foreign_origin_without_fetch_site: |h| Head { origin: Some("https://evil.example"), fetch_site: None, ..h } => "origin", 403,
    refuses_unknown_provenance: |h| Head { origin: None, fetch_site: None, ..h } => "no_origin", 403,
    refuses_form_posts: |h| Head { content_type: Some("application/x-www-form-urlencoded"), ..h } => "content_type", 415,
    refuses_multipart: |h| Head { content_type: Some("multipart/form-data; boundary=x"), ..h } => "content_type", 415,
    refuses_declared_oversize: |h| Head { content_length: Some("1025"), ..h } => "too_large", 413,
    refuses_garbage_length: |h| Head { content_length: Some("12abc"), ..h } => "malformed", 400,
}

#[test]
fn accepts_same_origin_beacons_however_announced() {
    assert_eq!(check_head(head()), Ok(()));
    for h in [
        Head {
            origin: None,
            ..head()
        },
        Head {
            fetch_site: None,
            ..head()
        },
        Head {
            content_type: None,
            content_length: None,
            ..head()
        },
        Head {
            content_type: Some("application/json"),
            ..head()
        },
        Head {
            origin: Some("HTTPS://SHOP.EXAMPLE"),
            ..head()
        },
        Head {
            content_length: Some("1024"),
            ..head()
        },
    ] {
        assert_eq!(check_head(h), Ok(()), "{h:?}");
    }
}

macro_rules! body_refused {
    ($($name:ident: $body:expr => $code:expr, $status:expr,)*) => {$(
        #[test]
        fn $name() {
            let goals = goals();
            let body: &[u8] = $body;
            let why = parse(body, &goals).unwrap_err();
            assert_eq!((why.code(), why.status()), ($code, $status), "{why}");
        }
    )*};
}

body_refused! {
    refuses_empty_body: b"" => "malformed", 400,
    refuses_non_json: b"event=add_to_cart" => "malformed", 400,
    refuses_array: b"[\"add_to_cart\"]" => "malformed", 400,
    refuses_missing_event: b"{\"value\":1}" => "malformed", 400,
    refuses_event_not_a_string: b"{\"event\":7}" => "malformed", 400,
    refuses_unknown_key: b"{\"event\":\"add_to_cart\",\"sku\":\"p1\"}" => "malformed", 400,
    refuses_duplicate_key: b"{\"event\":\"add_to_cart\",\"event\":\"newsletter\"}" => "malformed", 400,
    refuses_string_value: b"{\"event\":\"add_to_cart\",\"value\":\"12.5\"}" => "malformed", 400,
    refuses_trailing_garbage: b"{\"event\":\"add_to_cart\"} x" => "malformed", 400,
    refuses_huge_exponent: b"{\"event\":\"add_to_cart\",\"value\":1e999}" => "malformed", 400,
    refuses_oversize_body: &[b' '; MAX_BODY_BYTES + 1] => "too_large", 413,
    refuses_unknown_event: b"{\"event\":\"checkout\"}" => "unknown_event", 422,
    refuses_page_conversion_as_beacon: b"{\"event\":\"purchase\",\"value\":5}" => "unknown_event", 422,
    refuses_value_where_none_is_declared: b"{\"event\":\"newsletter\",\"value\":1}" => "unexpected_value", 422,
    refuses_value_above_range: b"{\"event\":\"add_to_cart\",\"value\":1000.01}" => "out_of_range", 422,
    refuses_products_not_a_list: b"{\"event\":\"newsletter\",\"products\":\"p1\"}" => "malformed", 400,
    refuses_product_id_with_a_space: b"{\"event\":\"newsletter\",\"products\":[\"p 1\"]}" => "malformed", 400,
    refuses_empty_product_id: b"{\"event\":\"newsletter\",\"products\":[\"\"]}" => "malformed", 400,
    refuses_too_many_products: br#"{"event":"newsletter","products":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q","r","s","t","u"]}"# => "malformed", 400,
    refuses_negative_value: b"{\"event\":\"add_to_cart\",\"value\":-1}" => "out_of_range", 422,
}

#[test]
fn accepts_declared_events_with_values_in_range() {
    let goals = goals();
    let ok = |body: &[u8]| parse(body, &goals).map(|b| (b.goal.name.clone(), b.value));
    assert_eq!(
        ok(br#"{"event":"add_to_cart","value":12.5}"#),
        Ok(("add_to_cart".into(), Some(12.5)))
    );
    assert_eq!(
        ok(br#" {"value":1000,"event":"add_to_cart"} "#),
        Ok(("add_to_cart".into(), Some(1000.0)))
    );
    assert_eq!(
        ok(br#"{"event":"add_to_cart","value":null}"#),
        Ok(("add_to_cart".into(), None))
    );
    assert_eq!(
        ok(br#"{"event":"newsletter"}"#),
        Ok(("newsletter".into(), None))
    );
}

#[test]
fn products_are_kept_in_order_once() {
    let goals = goals();
    let b = parse(
        br#"{"event":"newsletter","products":["p2","p1.x","p2","A_b-9"]}"#,
        &goals,
    )
    .unwrap();
    assert_eq!(b.products, ["p2", "p1.x", "A_b-9"]);
    let twenty: Vec<String> = (0..MAX_PRODUCTS).map(|i| format!("\"p{i}\"")).collect();
    let body = format!(
        r#"{{"event":"newsletter","products":[{}]}}"#,
        twenty.join(",")
    );
    assert_eq!(
        parse(body.as_bytes(), &goals).unwrap().products.len(),
        MAX_PRODUCTS
    );
}

#[test]
fn refusals_quote_at_most_64_printable_bytes() {
    let long = format!("{{\"event\":\"{}\\u0007\"}}", "a".repeat(500));
    let why = parse(long.as_bytes(), &goals()).unwrap_err();
    assert_eq!(why, Refusal::UnknownEvent("a".repeat(64)));
}

#[test]
fn origins_are_scheme_host_and_port() {
    assert_eq!(origin_of(URL), Some(SITE));
    assert_eq!(
        origin_of("http://127.0.0.1:8787/__vitrine/event?x"),
        Some("http://127.0.0.1:8787")
    );
    assert_eq!(origin_of("http://h"), Some("http://h"));
    assert_eq!(origin_of("nonsense"), None);
    assert_eq!(origin_of("https:///x"), None);
}

#[test]
fn every_refusal_has_its_status_and_code() {
    let range = Refusal::OutOfRange {
        name: "add_to_cart".into(),
        value: 1000.5,
        min: 0.0,
        max: 1000.0,
    };
    let table = [
        (Refusal::Method, 405, "method"),
        (Refusal::CrossSite("x".into()), 403, "cross_site"),
        (Refusal::Origin("x".into()), 403, "origin"),
        (Refusal::NoOrigin, 403, "no_origin"),
        (Refusal::ContentType("x".into()), 415, "content_type"),
        (Refusal::TooLarge, 413, "too_large"),
        (Refusal::Malformed("x".into()), 400, "malformed"),
        (Refusal::UnknownEvent("x".into()), 422, "unknown_event"),
        (
            Refusal::UnexpectedValue("x".into()),
            422,
            "unexpected_value",
        ),
        (range.clone(), 422, "out_of_range"),
        (Refusal::RateLimited, 429, "rate_limited"),
        (Refusal::Unavailable, 503, "unavailable"),
    ];
    for (why, status, code) in table {
        assert_eq!((why.status(), why.code()), (status, code), "{why}");
    }
    assert_eq!(
        range.body(),
        "refused: out_of_range: value 1000.5 is outside 0.0..=1000.0 for `add_to_cart`\n"
    );
}
