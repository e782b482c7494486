//! Interoperability: profile tokens minted by PyJWT (Python) and by jose and jsonwebtoken
//! (Node) verify in vitrine (`vitrine cookie inspect`), and tokens minted by vitrine
//! (`vitrine cookie mint`) verify in all three; the PHP and Java minting snippets of docs/site-owners.md, run
//! exactly as the guide shows them, produce tokens vitrine accepts. The libraries are
//! installed from PyPI and npm into `target/interop/`, PHP and a JDK from Debian, by
//! `tests/interop/setup.sh` (idempotent).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

#[path = "../support/mod.rs"]
mod support;

const KID: &str = "shop-2026";
const SECRET: &str = "c2hvcC1zZWNyZXQtZm9yLWludGVyb3AtdGVzdHMtb25seS0zMmJ5dGVz";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn setup() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let ok = Command::new("sh")
            .arg(root().join("tests/interop/setup.sh"))
            .status()
            .unwrap()
            .success();
        assert!(ok, "tests/interop/setup.sh failed (needs PyPI and npm)");
    });
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims() -> String {
    let now = now();
    serde_json::json!({
        "sub": "c-123",
        "seg": ["loyal", "dog_owner"],
        "attrs": {"tier": "gold", "orders": 12, "birthday": {"value": "01-01", "verified": false}},
        "iat": now,
        "exp": now + 600,
    })
    .to_string()
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

fn python(args: &[&str]) -> Command {
    let mut cmd = Command::new(root().join("target/interop/venv/bin/python"));
    cmd.arg(root().join("tests/interop/pyjwt_tool.py"))
        .args(args);
    cmd
}

fn node(args: &[&str]) -> Command {
    let mut cmd = Command::new("node");
    cmd.env("INTEROP_NODE_DIR", root().join("target/interop/node"))
        .arg(root().join("tests/interop/node_tool.mjs"))
        .args(args);
    cmd
}

fn vitrine(args: &[&str]) -> Command {
    let mut cmd = Command::new(support::cli());
    cmd.env(
        "VITRINE_COOKIE_KEYS",
        format!("other:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8,{KID}:{SECRET}"),
    )
    .args(args);
    cmd
}

/// vitrine accepts `token` and sees the verified claims (the unverified birthday dropped).
fn vitrine_accepts(token: &str) {
    let out = run(&mut vitrine(&["cookie", "inspect", token]));
    let seen: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(seen["sub"], "c-123");
    assert_eq!(seen["seg"], serde_json::json!(["loyal", "dog_owner"]));
    assert_eq!(seen["attrs"]["tier"], "gold");
    assert!(seen["attrs"].get("birthday").is_none());
}

#[test]
fn pyjwt_token_verifies_in_vitrine() {
    setup();
    let token = stdout(&run(&mut python(&["mint", KID, SECRET, &claims()])));
    vitrine_accepts(&token);
}

#[test]
fn jose_token_verifies_in_vitrine() {
    setup();
    let token = stdout(&run(&mut node(&["mint", "jose", KID, SECRET, &claims()])));
    vitrine_accepts(&token);
}

#[test]
fn jsonwebtoken_token_verifies_in_vitrine() {
    setup();
    let token = stdout(&run(&mut node(&[
        "mint",
        "jsonwebtoken",
        KID,
        SECRET,
        &claims(),
    ])));
    vitrine_accepts(&token);
}

fn vitrine_token() -> String {
    let file = root().join(format!("target/interop/claims-{}.json", std::process::id()));
    std::fs::write(&file, claims()).unwrap();
    let out = run(vitrine(&["cookie", "mint", "--kid", KID, "--claims"]).arg(&file));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

#[test]
fn vitrine_token_verifies_in_pyjwt_jose_and_jsonwebtoken() {
    setup();
    let token = vitrine_token();
    for out in [
        run(&mut python(&["verify", SECRET, &token])),
        run(&mut node(&["verify", "jose", SECRET, &token])),
        run(&mut node(&["verify", "jsonwebtoken", SECRET, &token])),
    ] {
        let claims: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(claims["sub"], "c-123");
    }
}

#[test]
fn foreign_library_tokens_with_other_algorithms_are_refused() {
    setup();
    let mut cmd = Command::new(root().join("target/interop/venv/bin/python"));
    let script = format!(
        "import jwt,json,base64;k=base64.urlsafe_b64decode('{SECRET}'+'='*(-len('{SECRET}')%4));\
         print(jwt.encode(json.loads('{claims}'),k,algorithm='HS512',headers={{'kid':'{KID}'}}))",
        claims = claims()
    );
    let token = stdout(&run(cmd.args(["-c", &script])));
    let out = vitrine(&["cookie", "inspect", &token]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(algorithm)"));
}

/// The fenced block of `lang` that follows the line starting with `label` in the site owners'
/// guide, where the minting snippets are published.
fn guide_block(label: &str, lang: &str) -> String {
    let readme = std::fs::read_to_string(root().join("docs/site-owners.md")).unwrap();
    let at = readme
        .find(&format!("\n{label}"))
        .unwrap_or_else(|| panic!("docs/site-owners.md has no {label}"));
    let fence = format!("```{lang}\n");
    let start = at + readme[at..].find(&fence).unwrap() + fence.len();
    let len = readme[start..].find("```").unwrap();
    readme[start..start + len].to_owned()
}

/// vitrine accepts a token minted by a snippet of the site owners' guide (their claims: `c-123`, `loyal`, gold).
fn vitrine_accepts_snippet(token: &str) {
    let out = run(&mut vitrine(&["cookie", "inspect", token]));
    let seen: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(seen["sub"], "c-123");
    assert_eq!(seen["seg"], serde_json::json!(["loyal"]));
    assert_eq!(seen["attrs"]["tier"], "gold");
}

#[test]
fn readme_php_snippet_mints_a_token_vitrine_accepts() {
    setup();
    let code = format!(
        "$secretB64url = '{SECRET}'; $kid = '{KID}';\n{}\necho $token;",
        guide_block("**PHP**", "php")
    );
    let token = stdout(&run(Command::new("php").args(["-r", &code])));
    vitrine_accepts_snippet(&token);
}

#[test]
fn readme_java_snippet_mints_a_token_vitrine_accepts() {
    setup();
    let block = guide_block("**Java**", "java");
    let (imports, body): (Vec<&str>, Vec<&str>) =
        block.lines().partition(|l| l.starts_with("import "));
    let source = format!(
        "{}\npublic class Mint {{\n  public static void main(String[] args) throws Exception {{\n\
         String secretB64url = \"{SECRET}\";\nString kid = \"{KID}\";\n{}\n\
         System.out.println(token);\n  }}\n}}\n",
        imports.join("\n"),
        body.join("\n")
    );
    let dir = root().join(format!("target/interop/java-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("Mint.java");
    std::fs::write(&file, source).unwrap();
    let token = stdout(&run(Command::new("java").arg(&file)));
    let _ = std::fs::remove_dir_all(&dir);
    vitrine_accepts_snippet(&token);
}
