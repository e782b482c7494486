//! One test per warning, and that acknowledging it in the file silences it.

use super::*;

fn warnings(text: &str, options: &Options) -> Vec<CompileError> {
    build_with(text, &NoFiles, options)
        .expect("builds")
        .warnings
}

fn codes(text: &str, options: &Options) -> Vec<&'static str> {
    warnings(text, options).iter().map(|w| w.code).collect()
}

const SENSITIVE_ATTR: &str = "[[campaign]]\nid = \"baby\"\nslot = \"hero\"\nwhen = { attr = \"pregnancy_week\", gte = 20 }\nhtml = \"x\"\n";

#[test]
fn sensitive_attribute_warns_at_the_attribute() {
    let w = warnings(SENSITIVE_ATTR, &Options::default());
    assert_eq!(w.len(), 1);
    assert_eq!(
        (w[0].code, w[0].level),
        ("sensitive-targeting", Level::Warning)
    );
    assert_eq!((w[0].line, w[0].column), (4, 17));
    assert!(w[0].message.contains("pregnancy_week"));
}

#[test]
fn sensitive_segment_through_a_named_segment_warns() {
    let text = "[segments.seniors]\nsegment = \"age_65_plus\"\n[[campaign]]\nid = \"s\"\nslot = \"hero\"\nsegments = [\"seniors\"]\nhtml = \"x\"\n";
    let w = warnings(text, &Options::default());
    assert_eq!(w[0].code, "sensitive-targeting");
    assert_eq!(w[0].line, 2);
}

#[test]
fn sensitive_acknowledged_is_silent() {
    let text = format!("{SENSITIVE_ATTR}\n[acknowledge]\nsensitive = [\"baby\"]\n");
    assert!(codes(&text, &Options::default()).is_empty());
}

#[test]
fn non_sensitive_names_do_not_warn() {
    // "average" and "page" contain "age" but are not about age.
    let text = "[[campaign]]\nid = \"a\"\nslot = \"hero\"\nwhen = { all = [{ attr = \"average_order\", gte = 1 }, { attr = \"usage\", gte = 1 }] }\nhtml = \"x\"\n";
    assert!(codes(text, &Options::default()).is_empty());
}

const PAST: &str = "[[campaign]]\nid = \"xmas\"\nslot = \"hero\"\naudience = \"everyone\"\nhtml = \"x\"\nschedule = { end = 2020-12-26T00:00:00Z }\n";

#[test]
fn schedule_in_the_past_warns() {
    let now = Options {
        now: 1_800_000_000,
        ..Options::default()
    };
    let w = warnings(PAST, &now);
    assert_eq!(w[0].code, "past-schedule");
    assert_eq!(w[0].line, 2);
    let future = Options {
        now: 1_500_000_000,
        ..Options::default()
    };
    assert!(codes(PAST, &future).is_empty());
}

#[test]
fn schedule_in_the_past_acknowledged() {
    let now = Options {
        now: 1_800_000_000,
        ..Options::default()
    };
    let text = format!("{PAST}[acknowledge]\npast_schedule = [\"xmas\"]\n");
    assert!(codes(&text, &now).is_empty());
}

fn pages() -> Options {
    Options {
        pages: vec![
            (
                "home.html".into(),
                b"<vitrine-slot name=\"hero\">d</vitrine-slot>".to_vec(),
            ),
            (
                "pdp.html".into(),
                b"<div data-vitrine-slot=\"pdp-offer\"></div>".to_vec(),
            ),
        ],
        ..Options::default()
    }
}

#[test]
fn slot_on_no_sample_page_warns() {
    let text = format!("{BASIC}\n[[campaign]]\nid = \"b\"\nslot = \"sidebar\"\naudience = \"everyone\"\nhtml = \"x\"\n\n[[campaign]]\nid = \"c\"\nslot = \"pdp-offer\"\naudience = \"everyone\"\nhtml = \"x\"\n");
    let w = warnings(&text, &pages());
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].code, "unused-slot");
    assert!(w[0].message.contains("sidebar") && w[0].message.contains("home.html, pdp.html"));
}

#[test]
fn slot_on_no_sample_page_acknowledged() {
    let text = "[[campaign]]\nid = \"b\"\nslot = \"sidebar\"\naudience = \"everyone\"\nhtml = \"x\"\n[acknowledge]\nunused_slots = [\"sidebar\"]\n";
    assert!(codes(text, &pages()).is_empty());
}

fn many_variants() -> String {
    let mut text = String::new();
    for i in 0..4 {
        text.push_str(&format!("[[campaign]]\nid = \"c{i}\"\nslot = \"s{i}\"\nsegments = [\"a\", \"b\", \"c\"]\nhtml = \"{{{{message}}}}\"\nmessages = [{{ segments = [\"a\"], html = \"1\" }}, {{ segments = [\"b\"], html = \"2\" }}]\n"));
    }
    text
}

#[test]
fn variant_count_over_cap_warns_with_the_count() {
    let cap = Options {
        max_variants: 20,
        ..Options::default()
    };
    let built = build_with(&many_variants(), &NoFiles, &cap).unwrap();
    assert_eq!(built.variants, 4 * 3 * 2);
    assert_eq!(built.warnings[0].code, "variant-count");
    assert!(
        built.warnings[0].message.contains("24 variants"),
        "{}",
        built.warnings[0].message
    );
}

#[test]
fn variant_count_acknowledged() {
    let cap = Options {
        max_variants: 20,
        ..Options::default()
    };
    let text = format!("{}[acknowledge]\nmax_variants = 24\n", many_variants());
    assert!(codes(&text, &cap).is_empty());
    let text = format!("{}[acknowledge]\nmax_variants = 23\n", many_variants());
    assert_eq!(codes(&text, &cap), ["variant-count"]);
}

/// Every warning names the `[acknowledge]` entry that accepts it, and recording that entry in
/// the file (`document::acknowledge`, what the studio does) silences exactly that warning.
#[test]
fn each_warning_recorded_in_the_file_is_silent() {
    let cap = Options {
        max_variants: 20,
        now: 1_800_000_000,
        ..pages()
    };
    let text = format!("{SENSITIVE_ATTR}\n{PAST}\n{}", many_variants());
    let before = warnings(&text, &cap);
    let mut kinds: Vec<&str> = before.iter().map(|w| w.code).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "past-schedule",
            "sensitive-targeting",
            "unused-slot",
            "variant-count"
        ],
        "{before:?}"
    );
    for w in &before {
        let ack = w
            .acknowledge
            .as_ref()
            .expect("a warning says how to accept it");
        let text = crate::document::acknowledge(&text, &[ack]).unwrap();
        let left = warnings(&text, &cap);
        assert_eq!(left.len(), before.len() - 1, "{}: {left:?}", w.message);
        assert!(!left.iter().any(|l| l.message == w.message), "{left:?}");
    }
    let all: Vec<&Acknowledgement> = before
        .iter()
        .filter_map(|w| w.acknowledge.as_ref())
        .collect();
    let text = crate::document::acknowledge(&text, &all).unwrap();
    assert!(warnings(&text, &cap).is_empty());
}
