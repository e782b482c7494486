//! The sanitizer and URL policy, as tables.

use super::*;

fn clean(html: &str) -> String {
    sanitize(html, Policy::default()).unwrap()
}

#[test]
fn scripts_handlers_style_and_iframes_are_stripped() {
    let out = clean(
        r#"<div class="x" onclick="evil()" style="color:red">hi<script>alert(1)</script><iframe src="https://x.example"></iframe><img src="/i.svg" onerror="e()"></div>"#,
    );
    for gone in ["script", "onclick", "onerror", "style", "iframe"] {
        assert!(!out.contains(gone), "{gone} kept: {out}");
    }
    assert!(
        out.contains("class=\"x\"") && out.contains("src=\"/i.svg\""),
        "{out}"
    );
}

#[test]
fn style_and_iframe_only_when_allowed() {
    let policy = Policy {
        allow_style: true,
        allow_iframe: true,
    };
    let out = sanitize(
        r#"<div style="color:red"><iframe src="https://video.example/e"></iframe></div>"#,
        policy,
    )
    .unwrap();
    assert!(out.contains("style=\"color:red\""), "{out}");
    assert!(out.contains("<iframe") && out.contains("sandbox="), "{out}");
}

#[test]
fn links_get_noopener() {
    assert!(clean(r#"<a href="https://x.example" target="_blank">x</a>"#).contains("noopener"));
}

macro_rules! urls_refused {
    ($($name:ident: $href:expr,)*) => {$(
        #[test]
        fn $name() {
            let html = format!("<a href=\"{}\">x</a><img src=\"{}\">", $href, $href);
            let errs = sanitize(&html, Policy::default()).expect_err("refused");
            assert_eq!(errs.len(), 2, "{errs:?}");
        }
    )*};
}

urls_refused! {
    url_javascript: "javascript:alert(1)",
    url_mixed_case: "JaVaScRiPt:alert(1)",
    url_tab_inside: "java\tscript:alert(1)",
    url_newline_inside: "java\nscript:alert(1)",
    url_entity: "&#106;avascript:alert(1)",
    url_entity_tab: "java&#9;script:alert(1)",
    url_data: "data:text/html,x",
    url_vbscript: "vbscript:x",
    url_protocol_relative: "//evil.example/x",
    url_backslash_host: "/\\evil.example/x",
    url_http: "http://example.com/",
    url_relative_no_slash: "c/dog",
    url_leading_space_js: " javascript:alert(1)",
}

macro_rules! urls_kept {
    ($($name:ident: $href:expr,)*) => {$(
        #[test]
        fn $name() {
            assert!(clean(&format!("<a href=\"{}\">x</a>", $href)).contains("href"), "{}", $href);
        }
    )*};
}

urls_kept! {
    kept_https: "https://shop.example/x?y=1",
    kept_path: "/c/dog",
    kept_query: "?page=2",
    kept_fragment: "#reviews",
}
