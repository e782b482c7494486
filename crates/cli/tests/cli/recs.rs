//! `vitrine recs train` as a site owner runs it: events of the committed synthetic shop in,
//! tables and trending lists out, which then compile with `vitrine check` and `vitrine build`
//! (what `publish` compiles) as the shop's catalog exports; `--evaluate` prints the
//! comparison with the popularity baseline; bad input is counted, not fatal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vitrine_learn::synth::Shop;

fn dir(name: &str) -> PathBuf {
    let d = crate::root()
        .join("target")
        .join("cli-tests")
        .join(format!("recs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn vitrine(dir: &Path, args: &[&str]) -> Output {
    Command::new(crate::cli())
        .current_dir(dir)
        .args(args)
        .env_remove("CLOUDFLARE_API_TOKEN")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The shop's events and products export in `d`.
fn shop(d: &Path) -> Shop {
    let shop = Shop {
        products: 300,
        ..Shop::default()
    };
    std::fs::write(d.join("products.csv"), shop.products_csv()).unwrap();
    let mut lines = String::new();
    shop.events(4_000, |e| {
        lines.push_str("vitrine-event ");
        lines.push_str(&e.to_line());
        lines.push('\n');
    });
    lines.push_str("{\"event\":\"vitrine.view\",\"schema\":2}\n");
    lines.push_str("an unrelated log line\n");
    std::fs::write(d.join("events.jsonl"), lines).unwrap();
    shop
}

const CAMPAIGN: &str = r#"[catalog]
products = "products.csv"
recommendations = "recs.csv"
lists = "lists.csv"

[activity]
product_path = "/p/{id}"

[[campaign]]
id = "pdp-recs"
slot = "recommendations"
audience = "everyone"
when = { path = "/p/*" }
html = '<ul>{{items}}</ul>'
recommend = { items = 4, min = 2, item_html = '<li>{{product.name}}</li>', strategies = [
  { related = "also_viewed" }, { related = "also_bought" }, { list = "trending" },
] }
"#;

#[test]
fn trained_tables_compile_as_catalog_exports() {
    let d = dir("compile");
    shop(&d);
    let o = vitrine(
        &d,
        &[
            "recs",
            "train",
            "events.jsonl",
            "--products",
            "products.csv",
            "-o",
            "recs.csv",
            "--lists",
            "lists.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("1 bad line(s)"), "{err}");
    let recs = std::fs::read_to_string(d.join("recs.csv")).unwrap();
    assert!(recs.starts_with("product_id,table,products\n"), "{recs}");
    assert!(recs.lines().any(|l| l.contains(",also_viewed,")));
    assert!(recs.lines().any(|l| l.contains(",also_bought,")));
    for line in recs.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let listed: Vec<&str> = cells[2].split(' ').collect();
        assert!(
            !listed.contains(&cells[0]),
            "a product recommends itself: {line}"
        );
        assert!(listed.len() <= 10, "{line}");
    }
    let lists = std::fs::read_to_string(d.join("lists.csv")).unwrap();
    assert!(
        lists.starts_with("list,key,products\ntrending,,p"),
        "{lists}"
    );
    assert!(
        lists.lines().any(|l| l.starts_with("trending,c000,")),
        "{lists}"
    );
    std::fs::write(d.join("shop.toml"), CAMPAIGN).unwrap();
    let check = vitrine(&d, &["check", "shop.toml"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    let build = vitrine(&d, &["build", "shop.toml", "-o", "snap.json"]);
    assert_eq!(build.status.code(), Some(0), "{}", text(&build.stderr));
}

#[test]
fn evaluate_reports_both_recommenders_and_stdin_reads_the_same() {
    let d = dir("evaluate");
    shop(&d);
    let o = vitrine(
        &d,
        &[
            "recs",
            "train",
            "events.jsonl",
            "-o",
            "recs.csv",
            "--evaluate",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("hit-rate@10") && out.contains("MRR@10"),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("popularity")), "{out}");
    assert!(
        out.contains("x the popularity baseline's hit-rate"),
        "{out}"
    );
    let from_stdin = Command::new(crate::cli())
        .current_dir(&d)
        .args(["recs", "train", "-", "-o", "stdin.csv"])
        .stdin(std::fs::File::open(d.join("events.jsonl")).unwrap())
        .output()
        .unwrap();
    assert_eq!(from_stdin.status.code(), Some(0));
    let plain = vitrine(&d, &["recs", "train", "events.jsonl", "-o", "plain.csv"]);
    assert_eq!(plain.status.code(), Some(0));
    assert_eq!(
        std::fs::read(d.join("stdin.csv")).unwrap(),
        std::fs::read(d.join("plain.csv")).unwrap()
    );
}

#[test]
fn usage_errors_say_what_to_do() {
    let d = dir("usage");
    let o = vitrine(&d, &["recs", "train", "missing.jsonl", "-o", "r.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("missing.jsonl"));
    std::fs::write(d.join("e.jsonl"), "").unwrap();
    let o = vitrine(
        &d,
        &[
            "recs", "train", "e.jsonl", "-o", "r.csv", "--window", "2 weeks",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("for example 90m, 2h, 30d"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_folder_of_parquet_files_trains_the_same_tables_as_json_lines() {
    let d = dir("parquet");
    let shop = shop(&d);
    let mut events = Vec::new();
    shop.events(4_000, |e| events.push(e));
    let folder = d.join("sink").join("day=01");
    std::fs::create_dir_all(&folder).unwrap();
    let half = events.len() / 2;
    for (name, part) in [
        ("a.parquet", &events[..half]),
        ("b.parquet", &events[half..]),
    ] {
        let bytes = vitrine_report::input::parquet::write::to_bytes(part).unwrap();
        std::fs::write(folder.join(name), bytes).unwrap();
    }
    let from_lines = vitrine(&d, &["recs", "train", "events.jsonl", "-o", "lines.csv"]);
    assert_eq!(
        from_lines.status.code(),
        Some(0),
        "{}",
        text(&from_lines.stderr)
    );
    let from_parquet = vitrine(&d, &["recs", "train", "sink", "-o", "parquet.csv"]);
    assert_eq!(
        from_parquet.status.code(),
        Some(0),
        "{}",
        text(&from_parquet.stderr)
    );
    assert_eq!(
        std::fs::read(d.join("parquet.csv")).unwrap(),
        std::fs::read(d.join("lines.csv")).unwrap()
    );
}
