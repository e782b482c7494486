//! `vitrine preview-token …` as a marketer runs it: keys from `VITRINE_PREVIEW_KEYS` only (never
//! shared with the profile ring), a lifetime capped at 24 h, exit codes 0/1/2; and the request
//! facts `vitrine preview` takes.

use std::process::{Command, Output};

const PREVIEW: &str = "pv1:cHJldmlldy1rZXktZm9yLWxvY2FsLXRlc3RzLW9ubHk";
const PROFILE: &str = "shop:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

fn vitrine(preview: Option<&str>, profile: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(crate::cli());
    cmd.env_remove("VITRINE_PREVIEW_KEYS")
        .env_remove("VITRINE_COOKIE_KEYS");
    if let Some(k) = preview {
        cmd.env("VITRINE_PREVIEW_KEYS", k);
    }
    if let Some(k) = profile {
        cmd.env("VITRINE_COOKIE_KEYS", k);
    }
    cmd.arg("preview-token").args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_owned()
}

#[test]
fn mint_then_inspect_shows_what_is_forced() {
    let out = vitrine(
        Some(PREVIEW),
        Some(PROFILE),
        &[
            "mint",
            "--segment",
            "loyal",
            "--variant",
            "strip-copy=shipping",
            "--at",
            "2026-12-24T10:00:00Z",
            "--ttl",
            "2h",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout);
    assert!(
        text(&out.stderr).contains("valid for 7200 s"),
        "{}",
        text(&out.stderr)
    );
    let out = vitrine(Some(PREVIEW), None, &["inspect", &token]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["segments"], serde_json::json!(["loyal"]));
    assert_eq!(json["variants"]["strip-copy"], "shipping");
    assert_eq!(json["at"], 1_798_106_400);
    assert_eq!(
        json["exp"].as_u64().unwrap() - json["iat"].as_u64().unwrap(),
        7200
    );
}

#[test]
fn url_gets_the_token_in_its_query() {
    let out = vitrine(
        Some(PREVIEW),
        None,
        &["mint", "--url", "https://shop.test/c/dog?sort=price#top"],
    );
    let url = text(&out.stdout);
    assert!(
        url.starts_with("https://shop.test/c/dog?sort=price&vitrine_preview=ey"),
        "{url}"
    );
    assert!(url.ends_with("#top"), "{url}");
}

#[test]
fn refused_tokens_exit_1_with_the_reason() {
    let out = vitrine(Some(PREVIEW), None, &["mint"]);
    let token = text(&out.stdout);
    let other = "pv1:c3RyYW5nZXIta2V5LWZvci1sb2NhbC10ZXN0cy1vbmx5";
    let out = vitrine(Some(other), None, &["inspect", &token]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("(signature)"),
        "{}",
        text(&out.stderr)
    );
    let out = vitrine(
        Some(PREVIEW),
        None,
        &["inspect", &token, "--now", "4000000000"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("(expired)"));
}

macro_rules! usage_errors {
    ($($name:ident: $preview:expr, $profile:expr, $args:expr => $says:expr,)*) => {$(
        #[test]
        fn $name() {
            let out = vitrine($preview, $profile, $args);
            assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
            assert!(text(&out.stdout).is_empty(), "no token printed");
            assert!(text(&out.stderr).contains($says), "{}", text(&out.stderr));
        }
    )*};
}

usage_errors! {
    no_keys: None, None, &["mint"] => "VITRINE_PREVIEW_KEYS is not set",
    shared_secret_with_profile_ring: Some("pv:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"), Some(PROFILE), &["mint"] => "shares a secret with VITRINE_COOKIE_KEYS",
    ttl_over_a_day: Some(PREVIEW), None, &["mint", "--ttl", "25h"] => "86400 seconds (24 h); got 90000 s",
    ttl_malformed: Some(PREVIEW), None, &["mint", "--ttl", "soon"] => "--ttl soon",
    unknown_kid: Some(PREVIEW), None, &["mint", "--kid", "nope"] => "has no key \"nope\"",
    bad_variant: Some(PREVIEW), None, &["mint", "--variant", "strip-copy"] => "experiment=arm",
    bad_segment: Some(PREVIEW), None, &["mint", "--segment", "no spaces"] => "claim `seg`",
    bad_at: Some(PREVIEW), None, &["mint", "--at", "tomorrow"] => "RFC 3339",
    anonymous_with_segment: Some(PREVIEW), None, &["mint", "--anonymous", "--segment", "x"] => "cannot be used with",
}

/// `vitrine preview` takes the request facts the worker reads from `request.cf` and headers.
#[test]
fn offline_preview_reads_request_facts() {
    let root = &crate::root();
    let snap = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("facts-{}.snapshot.json", std::process::id()));
    let cli = crate::cli();
    let built = Command::new(cli)
        .current_dir(root)
        .args(["build", "fixtures/campaigns/facts.toml", "-o"])
        .arg(&snap)
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", text(&built.stderr));
    let preview = |facts: &[&str]| {
        let out = Command::new(cli)
            .current_dir(root)
            .arg("preview")
            .arg("--snapshot")
            .arg(&snap)
            .args(facts)
            .arg("fixtures/site/index.html")
            .output()
            .unwrap();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148";
    let (code, page, _) = preview(&["--country", "DE", "--user-agent", iphone]);
    assert_eq!(code, Some(0));
    assert!(page.contains("Facts: a phone in Germany"));
    let (_, page, _) = preview(&["--local-time", "19:30"]);
    assert!(page.contains("Facts: good evening"));
    let (_, page, _) = preview(&[
        "--local-time",
        "12:00",
        "--referrer",
        "https://www.google.de/",
    ]);
    assert!(page.contains("Facts: arrived from a search engine"));
    let (code, _, err) = preview(&["--local-time", "7pm"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("HH:MM"), "{err}");
}
