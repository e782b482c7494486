use super::*;

fn one(text: &str) -> Result<Snapshot, Vec<CompileError>> {
    compile(&[Source {
        name: "c.toml",
        text,
    }])
}

#[test]
fn compiles_and_orders_by_priority() {
    let snap = one(r#"
[[campaign]]
id = "low"
slot = "hero"
audience = "everyone"
html = "<b>low</b>"

[[campaign]]
id = "high"
slot = "hero"
segments = ["loyal"]
priority = 5
html = "<b>high</b>"
"#)
    .unwrap();
    let hero = &snap.slots()[0];
    assert_eq!(
        hero.rules
            .iter()
            .map(|r| r.campaign.as_str())
            .collect::<Vec<_>>(),
        ["high", "low"]
    );
}

#[test]
fn scripts_and_handlers_are_stripped() {
    let out = sanitize(r#"<div class="x" onclick="evil()">hi<script>alert(1)</script><img src="x" onerror="e()"></div>"#).unwrap();
    assert!(
        !out.contains("script") && !out.contains("onclick") && !out.contains("onerror"),
        "{out}"
    );
    assert!(out.contains("class=\"x\""));
}

macro_rules! urls_refused {
    ($($name:ident: $href:expr,)*) => {$(
        #[test]
        fn $name() {
            let out = sanitize(&format!("<a href=\"{}\">x</a>", $href)).unwrap();
            assert!(!out.contains("href"), "{} kept: {out}", $href);
        }
    )*};
}

urls_refused! {
    javascript: "javascript:alert(1)",
    mixed_case: "JaVaScRiPt:alert(1)",
    tab_inside: "java\tscript:alert(1)",
    entity: "&#106;avascript:alert(1)",
    data_url: "data:text/html,x",
    http_plain: "http://example.com/",
}

#[test]
fn https_and_paths_kept() {
    assert!(sanitize(r#"<a href="https://shop.example/x">x</a>"#)
        .unwrap()
        .contains("https://shop.example/x"));
    assert!(sanitize(r#"<a href="/c/dog">x</a>"#)
        .unwrap()
        .contains("/c/dog"));
}

#[test]
fn raw_text_and_unclosed_comments_refused() {
    assert!(sanitize("<textarea>x").is_err());
    assert!(sanitize("<style>x</style>").is_err());
    assert!(sanitize("a <!-- b").is_err());
}

#[test]
fn all_errors_reported_with_location() {
    let errs = one("[[campaign]]\nid = \"a\"\nslot = \"Bad Slot\"\nop = \"explode\"\nhtml = \"x\"\naudience = \"everyone\"\n").unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["slot", "op"]);
    assert_eq!((errs[0].line, errs[0].column), (3, 8));
    assert!(errs[0].to_string().starts_with("c.toml:3:8: slot:"));
}

#[test]
fn duplicate_ids_across_files() {
    let c = "[[campaign]]\nid = \"a\"\nslot = \"s\"\naudience = \"everyone\"\nhtml = \"x\"\n";
    let errs = compile(&[
        Source {
            name: "a.toml",
            text: c,
        },
        Source {
            name: "b.toml",
            text: c,
        },
    ])
    .unwrap_err();
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.contains("a.toml"));
}

#[test]
fn syntax_error_located() {
    let errs = one("[[campaign]\n").unwrap_err();
    assert_eq!(errs[0].field, "syntax");
    assert_eq!(errs[0].line, 1);
}

#[test]
fn demo_campaign_compiles() {
    let text = include_str!("../../../fixtures/campaigns/demo.toml");
    let snap = compile(&[Source {
        name: "demo.toml",
        text,
    }])
    .unwrap();
    assert!(snap.slots().iter().any(|s| s.name == "hero"));
}

#[test]
fn activity_paths_compile_into_the_snapshot() {
    let snap =
        one("[activity]\nproduct_path = \"/p/{id}\"\ncategory_path = \"/c/{id}\"\n").unwrap();
    assert_eq!(snap.activity().product_path.as_deref(), Some("/p/{id}"));
    assert_eq!(snap.activity().category_path.as_deref(), Some("/c/{id}"));
}

#[test]
fn bad_activity_path_is_located() {
    let errors = one("[activity]\nproduct_path = \"/p/{sku}\"\n").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].line, errors[0].field.as_str()),
        (2, "activity.product_path")
    );
}
