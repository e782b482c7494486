//! One test per validation error: each names its code, field, line and column.

use super::*;

/// Compiles `text` and returns the single error (asserting there is exactly one kind).
fn error_of(text: &str) -> CompileError {
    let errs = one(text).expect_err("should be refused");
    errs.into_iter().next().expect("at least one error")
}

macro_rules! refused {
    ($($name:ident: $text:expr => $code:expr, $field:expr, ($line:expr, $col:expr),)*) => {$(
        #[test]
        fn $name() {
            let e = error_of($text);
            assert_eq!((e.code, e.level), ($code, Level::Error), "{e}");
            assert!(e.field.contains($field), "field {:?} lacks {:?}: {e}", e.field, $field);
            assert_eq!((e.line, e.column), ($line, $col), "{e}");
            assert!(!e.hint.is_empty());
        }
    )*};
}

const HEAD: &str = "[[campaign]]\nid = \"a\"\nslot = \"hero\"\n";

fn c(rest: &str) -> String {
    format!("{HEAD}{rest}")
}

refused! {
    toml_syntax: "[[campaign]\n" => "syntax", "syntax", (1, 12),
    unknown_key: &c("audience = \"everyone\"\nhtml = \"x\"\ncolour = \"red\"\n") => "syntax", "syntax", (6, 1),
    invalid_campaign_id: "[[campaign]]\nid = \"a b\"\nslot = \"hero\"\naudience = \"everyone\"\nhtml = \"x\"\n" => "campaign-id", "campaign[a b].id", (2, 6),
    invalid_slot: "[[campaign]]\nid = \"a\"\nslot = \"Bad Slot\"\naudience = \"everyone\"\nhtml = \"x\"\n" => "slot-name", "campaign[a].slot", (3, 8),
    both_segments_and_audience: &c("segments = [\"x\"]\naudience = \"everyone\"\nhtml = \"x\"\n") => "audience", "segments", (4, 12),
    unknown_audience: &c("audience = \"robots\"\nhtml = \"x\"\n") => "audience", "audience", (4, 12),
    targets_nobody: &c("html = \"x\"\n") => "audience", "segments", (2, 6),
    empty_segment_list: &c("segments = []\nhtml = \"x\"\n") => "audience", "segments", (4, 12),
    invalid_segment_id: &c("segments = [\"no spaces\"]\nhtml = \"x\"\n") => "segment-name", "segments", (4, 13),
    unknown_op: &c("audience = \"everyone\"\nop = \"explode\"\nhtml = \"x\"\n") => "op", "op", (5, 6),
    missing_html: &c("audience = \"everyone\"\n") => "html", "html", (2, 6),
    textarea_refused: &c("audience = \"everyone\"\nhtml = \"<textarea>x\"\n") => "html", "html", (5, 8),
    plaintext_refused: &c("audience = \"everyone\"\nhtml = \"<plaintext>x\"\n") => "html", "html", (5, 8),
    style_element_refused: &c("audience = \"everyone\"\nhtml = \"<style>b{}</style>\"\n") => "html", "html", (5, 8),
    unclosed_comment_refused: &c("audience = \"everyone\"\nhtml = \"a <!-- b\"\n") => "html", "html", (5, 8),
    javascript_url_refused: &c("audience = \"everyone\"\nhtml = '<a href=\"javascript:alert(1)\">x</a>'\n") => "html", "html", (5, 8),
    unknown_placeholder: &c("audience = \"everyone\"\nhtml = \"{{price}}\"\n") => "placeholder", "html", (5, 8),
    message_in_attribute: &c("audience = \"everyone\"\nhtml = '<b title=\"{{message}}\">x</b>'\nmessages = [{ segments = [\"l\"], html = \"m\" }]\n") => "placeholder", "html", (5, 8),
    unclosed_placeholder: &c("audience = \"everyone\"\nhtml = \"{{attr.x\"\n") => "placeholder", "html", (5, 8),
    messages_without_placeholder: &c("audience = \"everyone\"\nhtml = \"x\"\nmessages = [{ segments = [\"l\"], html = \"m\" }]\n") => "messages", "messages", (2, 6),
    message_targets_nobody: &c("audience = \"everyone\"\nhtml = \"{{message}}\"\nmessages = [{ html = \"m\" }]\n") => "messages", "messages[0]", (6, 13),
    schedule_without_offset: &c("audience = \"everyone\"\nhtml = \"x\"\nschedule = { start = 2026-12-01T00:00:00 }\n") => "schedule", "schedule.start", (6, 22),
    schedule_ends_before_start: &c("audience = \"everyone\"\nhtml = \"x\"\nschedule = { start = 2026-12-02T00:00:00Z, end = 2026-12-01T00:00:00Z }\n") => "schedule", "schedule", (6, 12),
    priority_out_of_range: &c("audience = \"everyone\"\nhtml = \"x\"\npriority = 9999999999\n") => "priority", "priority", (6, 12),
    condition_without_test: &c("when = { at_least = 3 }\nhtml = \"x\"\n") => "expression", "when", (4, 8),
    condition_with_two_tests: &c("when = { segment = \"a\", path = \"/\" }\nhtml = \"x\"\n") => "expression", "when", (4, 8),
    attribute_without_test: &c("when = { attr = \"tier\" }\nhtml = \"x\"\n") => "expression", "when", (4, 8),
    unknown_device: &c("when = { device = \"fridge\" }\nhtml = \"x\"\n") => "expression", "when.device", (4, 19),
    bad_duration_multibyte_unit: &c("when = { viewed = \"p1\", within = \"7é\" }\nhtml = \"x\"\n") => "duration", "when.within", (4, 34),
    bad_duration: &c("when = { viewed = \"p1\", within = \"a week\" }\nhtml = \"x\"\n") => "duration", "when.within", (4, 34),
    param_without_value: &c("when = { param = \"utm_source\" }\nhtml = \"x\"\n") => "expression", "when", (4, 8),
    segment_cycle: "[segments.a]\nsegment = \"b\"\n[segments.b]\nsegment = \"a\"\n" => "segment-cycle", "segments.", (4, 11),
    include_missing: "include = [\"nope.toml\"]\n" => "include", "include", (1, 12),
    catalog_file_missing: "[catalog]\nproducts = \"products.csv\"\n" => "catalog", "catalog", (2, 12),
    experiment_key: "[experiments.\"bad key\"]\narms = [{ name = \"a\", weight = 1 }]\n" => "experiment-key", "experiments.bad key", (1, 1),
    experiment_without_arms: "[experiments.e]\narms = []\n" => "arms", "experiments.e.arms", (1, 1),
    activity_pattern_without_id: "[activity]\nproduct_path = \"/p/\"\n" => "activity-pattern", "activity.product_path", (2, 16),
}

/// Compiles two files; the one error, which must be in the second, as (code, field, line,
/// column).
fn only_error_in_b(a: &str, b: &str) -> (&'static str, String, usize, usize) {
    let errs = compile(&[
        Source {
            name: "a.toml",
            text: a,
        },
        Source {
            name: "b.toml",
            text: b,
        },
    ])
    .expect_err("should be refused");
    assert_eq!(errs.len(), 1, "{errs:?}");
    let err = &errs[0];
    assert_eq!(
        (err.level, err.file.as_str()),
        (Level::Error, "b.toml"),
        "{err}"
    );
    assert!(!err.hint.is_empty(), "{err}");
    (err.code, err.field.clone(), err.line, err.column)
}

#[test]
fn second_definitions_across_files_are_refused_where_they_are() {
    let e = "[experiments.e]\narms = [{ name = \"a\", weight = 1 }]\n";
    assert_eq!(
        only_error_in_b(e, e),
        ("duplicate-experiment", "experiments.e".into(), 1, 1)
    );
    assert_eq!(
        only_error_in_b("global_holdout_bp = 100\n", "\nglobal_holdout_bp = 200\n"),
        ("duplicate-holdout", "global_holdout_bp".into(), 2, 21)
    );
    let (code, field, line, _) = only_error_in_b(
        "[activity]\nproduct_path = \"/p/{id}\"\n",
        "[activity]\ncategory_path = \"/c/{id}\"\n",
    );
    assert_eq!(
        (code, field.as_str(), line),
        ("duplicate-activity", "activity", 1)
    );
}

#[test]
fn duplicate_ids_across_files() {
    let errs = compile(&[
        Source {
            name: "a.toml",
            text: BASIC,
        },
        Source {
            name: "b.toml",
            text: BASIC,
        },
    ])
    .unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].code, "duplicate-id");
    assert_eq!(errs[0].file, "b.toml");
    assert!(errs[0].message.contains("a.toml"));
}

#[test]
fn duplicate_segment_across_files() {
    let seg = "[segments.vip]\nsegment = \"loyal\"\n";
    let errs = compile(&[
        Source {
            name: "a.toml",
            text: seg,
        },
        Source {
            name: "b.toml",
            text: seg,
        },
    ])
    .unwrap_err();
    assert_eq!(
        (errs[0].code, errs[0].file.as_str()),
        ("duplicate-segment", "b.toml")
    );
}

#[test]
fn duplicate_catalog_tables() {
    let cat = "[catalog]\nproducts = \"p.csv\"\n";
    let errs = compile(&[
        Source {
            name: "a.toml",
            text: cat,
        },
        Source {
            name: "b.toml",
            text: cat,
        },
    ])
    .unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.code == "duplicate-catalog" && e.file == "b.toml"),
        "{errs:?}"
    );
}

#[test]
fn all_errors_reported_in_one_run() {
    let errs = one("[[campaign]]\nid = \"a\"\nslot = \"Bad Slot\"\nop = \"explode\"\nhtml = \"<textarea>\"\naudience = \"robots\"\n\n[[campaign]]\nid = \"a\"\nslot = \"s\"\naudience = \"everyone\"\nhtml = \"x\"\n").unwrap_err();
    let codes: Vec<&str> = errs.iter().map(|e| e.code).collect();
    for code in ["slot-name", "audience", "op", "html", "duplicate-id"] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    assert!(
        errs[0]
            .to_string()
            .starts_with("c.toml:3:8: campaign[a].slot:"),
        "{}",
        errs[0]
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let e = error_of(
        "# é\n[[campaign]]\nid = \"a\"\nslot = \"ü\"\naudience = \"everyone\"\nhtml = \"x\"\n",
    );
    assert_eq!((e.line, e.column), (4, 8));
}

#[test]
fn product_placeholder_without_binding() {
    let e = error_of(&c("audience = \"everyone\"\nhtml = \"{{product.name}}\"\n"));
    assert_eq!((e.code, e.line, e.column), ("product", 2, 6));
}

#[test]
fn product_bound_without_catalog() {
    let e = error_of(&c(
        "audience = \"everyone\"\nproduct = \"p1\"\nhtml = \"{{product.name}}\"\n",
    ));
    assert_eq!((e.code, e.line, e.column), ("product", 5, 11));
}

#[test]
fn unknown_product_field() {
    let e = error_of(&c(
        "audience = \"everyone\"\nproduct = \"p1\"\nhtml = \"{{product.colour}}\"\n",
    ));
    assert_eq!(e.code, "placeholder");
}

#[test]
fn snapshot_over_the_kv_value_limit() {
    // 26 campaigns of 1 MiB of distinct text each (equal strings are stored once): a snapshot
    // over KV's 25 MiB limit for one value.
    let campaign = |i: usize| {
        let html = format!("{i:02}{}", "x".repeat(1 << 20));
        format!("[[campaign]]\nid = \"c{i}\"\nslot = \"s{i}\"\naudience = \"everyone\"\nhtml = \"{html}\"\n")
    };
    let over: String = (0..26).map(campaign).collect();
    let Err(errs) = one(&over) else {
        panic!("a snapshot over 25 MiB compiled");
    };
    let codes: Vec<&str> = errs.iter().map(|e| e.code).collect();
    assert_eq!(codes, ["too-large"]);
    let err = &errs[0];
    assert_eq!((err.level, err.field.as_str()), (Level::Error, "snapshot"));
    assert!(err.message.contains("25 MiB"), "{}", err.message);
    assert!(!err.hint.is_empty());
    // Fewer campaigns, under the limit, compile.
    let under: String = (0..20).map(campaign).collect();
    assert!(one(&under).is_ok(), "20 MiB of campaigns refused");
}
