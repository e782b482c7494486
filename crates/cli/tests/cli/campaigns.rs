//! The `vitrine` CLI as a user runs it: exit codes, diagnostics with file:line:col, build
//! output and its size report, diff, and preview (byte-identical when nothing applies).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::root;

fn dir(name: &str) -> PathBuf {
    let d = root()
        .join("target")
        .join("cli-tests")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Output {
    Command::new(crate::cli())
        .current_dir(root())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(d: &Path, name: &str, s: &str) -> String {
    let p = d.join(name);
    std::fs::write(&p, s).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn check_exit_codes_and_diagnostics() {
    let ok = run(&["check", "fixtures/campaigns/demo.toml"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).starts_with("ok: 5 slot(s)"));

    let d = dir("check");
    let bad = write(&d, "bad.toml", "[[campaign]]\nid = \"a\"\nslot = \"Bad\"\naudience = \"everyone\"\nhtml = '<a href=\"java\tscript:x\">x</a>'\n");
    let out = run(&["check", &bad]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("{bad}:3:8")) && err.contains("campaign[a].slot"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{bad}:5:8")) && err.contains("scheme `javascript:`"),
        "{err}"
    );
    assert!(err.contains("hint:") && err.contains("2 error(s)"), "{err}");

    let warn = write(&d, "warn.toml", "[[campaign]]\nid = \"a\"\nslot = \"hero\"\nwhen = { attr = \"gender\", eq = \"f\" }\nhtml = \"x\"\n");
    let out = run(&["check", &warn]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("sensitive-targeting"));

    assert_eq!(run(&["check", "no/such.toml"]).status.code(), Some(2));
}

#[test]
fn publish_refuses_unacknowledged_warnings_before_touching_kv() {
    let d = dir("refuse");
    let warn = write(&d, "w.toml", "[[campaign]]\nid = \"a\"\nslot = \"hero\"\nwhen = { attr = \"birth_year\", lt = 1960 }\nhtml = \"x\"\n");
    let state = d.join("state");
    let out = run(&[
        "publish",
        &warn,
        "--local",
        "--persist-to",
        state.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("publish refused"));
    assert!(!state.exists(), "nothing may be written");
    let built = d.join("w.json");
    let out = run(&["build", &warn, "-o", built.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(!built.exists(), "build writes nothing while warnings stand");
    let out = run(&[
        "build",
        &warn,
        "-o",
        built.to_str().unwrap(),
        "--allow-warnings",
    ]);
    assert!(out.status.success() && built.exists());
}

#[test]
fn build_writes_snapshot_shards_and_size_report() {
    let d = dir("build");
    let out_path = d.join("s.json");
    let out = run(&[
        "build",
        "fixtures/campaigns/featured.toml",
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let version = text(&out.stdout).trim().to_owned();
    let snap = vitrine_core::snapshot::decode(&std::fs::read(&out_path).unwrap()).unwrap();
    assert_eq!(snap.version(), version);
    let shards = snap.body().catalog.as_ref().unwrap().shards.len();
    assert_eq!(shards, 8);
    for n in 0..shards {
        let shard = std::fs::read(d.join(format!("s.json.catalog/{n}.json"))).unwrap();
        snap.attach_shard(n, &shard).unwrap();
    }
    let report = text(&out.stderr);
    for section in [
        "strings",
        "slots",
        "catalog manifest",
        "catalog shards",
        "total",
    ] {
        assert!(report.contains(section), "{report}");
    }
}

#[test]
fn diff_names_what_changes() {
    let d = dir("diff");
    let demo = std::fs::read_to_string(root().join("fixtures/campaigns/demo.toml")).unwrap();
    let edited = write(
        &d,
        "e.toml",
        &demo.replace("priority = 30", "priority = 5").replace(
            "[[campaign]]\nid = \"loyal-sidebar\"",
            "[[campaign]]\nid = \"vip-sidebar\"",
        ),
    );
    let out = run(&["diff", "fixtures/campaigns/demo.toml", &edited]);
    let s = text(&out.stdout);
    assert!(s.contains("~ slot hero"), "{s}");
    assert!(
        s.contains("~ campaign loyal-hero in slot hero: priority"),
        "{s}"
    );
    assert!(
        s.contains("+ campaign vip-sidebar in slot sidebar-note"),
        "{s}"
    );
    assert!(
        s.contains("- campaign loyal-sidebar in slot sidebar-note"),
        "{s}"
    );
}

#[test]
fn preview_is_byte_identical_when_nothing_applies_whatever_the_encoding() {
    let d = dir("preview");
    let snap = d.join("s.json");
    assert!(run(&[
        "build",
        "fixtures/campaigns/demo.toml",
        "-o",
        snap.to_str().unwrap()
    ])
    .status
    .success());
    // Latin-1 bytes, odd markup, a slot nothing targets for an anonymous visitor.
    let mut page = b"<!doctype html><meta charset=windows-1252><title>Caf\xe9</title><p>\xe9t\xe9 <b>x<i>y</b></i>".to_vec();
    page.extend_from_slice(
        b"<vitrine-slot name=\"sidebar-note\">default \xa3</vitrine-slot><!-- c --></p>",
    );
    let page_path = d.join("page.html");
    std::fs::write(&page_path, &page).unwrap();
    let out = run(&[
        "preview",
        "--snapshot",
        snap.to_str().unwrap(),
        page_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout, page);
    // A page without slots, for a visitor who would get several fills elsewhere.
    let plain = b"<html><body>\xff\xfe no slots here &amp; </body>".to_vec();
    std::fs::write(&page_path, &plain).unwrap();
    let out = run(&[
        "preview",
        "--snapshot",
        snap.to_str().unwrap(),
        "--profile",
        r#"{"seg":["loyal"]}"#,
        page_path.to_str().unwrap(),
    ]);
    assert_eq!(out.stdout, plain);
}

#[test]
fn preview_profile_url_and_explain() {
    let d = dir("explain");
    let snap = d.join("s.json");
    assert!(run(&[
        "build",
        "fixtures/campaigns/demo.toml",
        "-o",
        snap.to_str().unwrap()
    ])
    .status
    .success());
    let out = run(&[
        "preview",
        "--snapshot",
        snap.to_str().unwrap(),
        "--profile",
        r#"{"seg":["price_hunter"]}"#,
        "--url",
        "https://shop.example/c/dog?utm_source=x",
        "--explain",
        "fixtures/site/c/dog.html",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Save up to 40%"));
    let err = text(&out.stderr);
    assert!(
        err.contains("slot hero:") && err.contains("deal-hero") && err.contains("chosen"),
        "{err}"
    );
    assert!(
        err.contains("loyal-hero") && err.contains("targeting does not match"),
        "{err}"
    );
}

#[test]
fn preview_recommends_what_the_product_page_anchors() {
    let d = dir("recs");
    let snap = d.join("s.json");
    let built = run(&[
        "build",
        "fixtures/campaigns/shop.toml",
        "-o",
        snap.to_str().unwrap(),
    ]);
    assert!(built.status.success(), "{}", text(&built.stderr));
    let out = run(&[
        "preview",
        "--snapshot",
        snap.to_str().unwrap(),
        "--url",
        "/p/p0001",
        "fixtures/site/p/p0001.html",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    let recs = page
        .split_once("You may also like")
        .map(|(_, rest)| rest.split("</section>").next().unwrap_or(""))
        .unwrap_or_else(|| panic!("no recommendations: {page}"));
    // p0001's also_viewed table, in order (fixtures/catalog/recommendations.csv).
    let links: Vec<&str> = recs
        .split("href=\"/p/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(links, ["p0003", "p0004", "p0005", "p0006"]);
}
