//! `vitrine cookie …` as a user runs it: keys from the environment only, exit codes 0/1/2.

use std::process::{Command, Output};

const RFC_KEY: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
const RFC_TOKEN: &str = concat!(
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9",
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
);
const KEYS: &str = "new:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4,old:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

fn vitrine(keys: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(crate::cli());
    cmd.env_remove("VITRINE_COOKIE_KEYS")
        .env_remove("VITRINE_ACTIVITY_KEYS");
    if let Some(k) = keys {
        cmd.env("VITRINE_COOKIE_KEYS", k)
            .env("VITRINE_ACTIVITY_KEYS", k);
    }
    cmd.args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_owned()
}

fn claims_file(json: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("claims-{}-{}.json", std::process::id(), json.len()));
    std::fs::write(&path, json).unwrap();
    path.display().to_string()
}

#[test]
fn rfc7515_a1_inspects_with_pinned_clock() {
    let keys = format!("rfc:{RFC_KEY}");
    let ok = vitrine(
        Some(&keys),
        &["cookie", "inspect", RFC_TOKEN, "--now", "1300819000"],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let claims: serde_json::Value = serde_json::from_str(&text(&ok.stdout)).unwrap();
    assert_eq!(claims["exp"], 1_300_819_380);
    let late = vitrine(Some(&keys), &["cookie", "inspect", RFC_TOKEN]);
    assert_eq!(late.status.code(), Some(1));
    assert_eq!(text(&late.stderr), "rejected: token expired (expired)");
}

#[test]
fn mint_with_kid_signs_with_that_key_and_inspect_reads_it() {
    let file = claims_file(r#"{"sub":"c-1","seg":["loyal"],"exp":4000000000}"#);
    let minted = vitrine(
        Some(KEYS),
        &["cookie", "mint", "--kid", "old", "--claims", &file],
    );
    assert_eq!(minted.status.code(), Some(0), "{}", text(&minted.stderr));
    let token = text(&minted.stdout);
    let header = token.split('.').next().unwrap();
    let header =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap();
    assert!(String::from_utf8(header)
        .unwrap()
        .contains(r#""kid":"old""#));
    let seen = vitrine(Some(KEYS), &["cookie", "inspect", &token]);
    assert_eq!(seen.status.code(), Some(0));
    assert!(text(&seen.stdout).contains(r#""seg":["loyal"]"#));
    // The rotated-out ring no longer knows `old`.
    let gone = vitrine(
        Some("new:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4"),
        &["cookie", "inspect", &token],
    );
    assert_eq!(gone.status.code(), Some(1));
    assert!(text(&gone.stderr).ends_with("(unknown_kid)"));
}

#[test]
fn mint_warns_when_the_edge_would_reject() {
    let file = claims_file(r#"{"sub":"c-1","exp":"soon"}"#);
    let minted = vitrine(Some(KEYS), &["cookie", "mint", "--claims", &file]);
    assert_eq!(minted.status.code(), Some(0));
    assert!(
        text(&minted.stderr).contains("invalid_claim"),
        "{}",
        text(&minted.stderr)
    );
}

macro_rules! usage_errors {
    ($($name:ident: $keys:expr, $args:expr,)*) => {$(
        #[test]
        fn $name() {
            let out = vitrine($keys, $args);
            assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
            assert!(!text(&out.stderr).is_empty());
        }
    )*};
}

usage_errors! {
    keys_unset: None, &["cookie", "inspect", "a.b.c"],
    keys_malformed: Some("k:short"), &["cookie", "inspect", "a.b.c"],
    unknown_kid_for_mint: Some(KEYS), &["cookie", "mint", "--kid", "nope", "--claims", "Cargo.toml"],
    missing_claims_file: Some(KEYS), &["cookie", "mint", "--claims", "/no/such/file.json"],
    claims_not_json: Some(KEYS), &["cookie", "mint", "--claims", "Cargo.toml"],
    inspect_without_token: Some(KEYS), &["cookie", "inspect"],
    keys_in_argv_refused: Some(KEYS), &["cookie", "inspect", "a.b.c", "--keys", KEYS],
}

macro_rules! rejected {
    ($($name:ident: $token:expr => $code:expr,)*) => {$(
        #[test]
        fn $name() {
            let out = vitrine(Some(KEYS), &["cookie", "inspect", $token]);
            assert_eq!(out.status.code(), Some(1));
            assert!(text(&out.stderr).ends_with(concat!("(", $code, ")")), "{}", text(&out.stderr));
        }
    )*};
}

rejected! {
    garbage: "garbage" => "malformed",
    alg_none: "eyJhbGciOiJub25lIn0.e30." => "algorithm",
    bad_base64: "eyJhbGciOiJIUzI1NiJ9.e30.***" => "base64",
}

#[test]
fn activity_inspect_round_trip_is_refused_for_garbage() {
    let out = vitrine(Some(KEYS), &["cookie", "activity", "new.e30.AAAA"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).ends_with("(signature)"));
}
