//! `[[conversion]]`: what compiles, and one row per refusal (code, field, line, column).

use super::*;
use vitrine_core::snapshot::goal::{Goal, Range};

const GOOD: &str = r#"
[[conversion]]
name = "purchase"
path = "/order/confirmed*"
value_param = "total"
value = { min = 0, max = 10000 }
dedupe_param = "order"

[[conversion]]
name = "add_to_cart"
beacon = true
value = { min = 0.5, max = 1000 }

[[conversion]]
name = "newsletter"
beacon = true
"#;

#[test]
fn conversions_compile_in_order() {
    let s = one(GOOD).unwrap();
    assert_eq!(
        s.body().conversions,
        [
            Goal {
                name: "purchase".into(),
                path: Some("/order/confirmed*".into()),
                value_param: Some("total".into()),
                dedupe_param: Some("order".into()),
                beacon: false,
                signed: false,
                value: Some(Range {
                    min: 0.0,
                    max: 10_000.0
                }),
            },
            Goal {
                name: "add_to_cart".into(),
                path: None,
                value_param: None,
                dedupe_param: None,
                beacon: true,
                signed: false,
                value: Some(Range {
                    min: 0.5,
                    max: 1000.0
                }),
            },
            Goal {
                name: "newsletter".into(),
                path: None,
                value_param: None,
                dedupe_param: None,
                beacon: true,
                signed: false,
                value: None,
            },
        ]
    );
    let decoded = vitrine_core::snapshot::decode(&vitrine_core::snapshot::encode(&s)).unwrap();
    assert_eq!(decoded.body().conversions, s.body().conversions);
}

#[test]
fn a_snapshot_without_conversions_encodes_as_before() {
    let s = one("[[campaign]]\nid = \"a\"\nslot = \"s\"\naudience = \"everyone\"\nhtml = \"x\"\n")
        .unwrap();
    let text = String::from_utf8(vitrine_core::snapshot::encode(&s)).unwrap();
    assert!(!text.contains("conversions"), "{text}");
}

macro_rules! conversion_refused {
    ($($name:ident: $text:expr => $code:expr, $field:expr, ($line:expr, $col:expr),)*) => {$(
        #[test]
        fn $name() {
            let errs = one($text).expect_err("should be refused");
            let e = &errs[0];
            assert_eq!((e.code, e.level), ($code, Level::Error), "{e}");
            assert!(e.field.contains($field), "field {:?} lacks {:?}: {e}", e.field, $field);
            assert_eq!((e.line, e.column), ($line, $col), "{e}");
            assert!(!e.hint.is_empty());
        }
    )*};
}

conversion_refused! {
    conversion_bad_name: "[[conversion]]\nname = \"Add To Cart\"\nbeacon = true\n" => "conversion-name", "conversion.name", (2, 8),
    conversion_empty_name: "[[conversion]]\nname = \"\"\nbeacon = true\n" => "conversion-name", "conversion.name", (2, 8),
    conversion_neither_kind: "[[conversion]]\nname = \"a\"\n" => "conversion-kind", "conversion.a", (2, 8),
    conversion_both_kinds: "[[conversion]]\nname = \"a\"\nbeacon = true\npath = \"/x\"\n" => "conversion-kind", "conversion.a", (2, 8),
    conversion_beacon_false_is_no_kind: "[[conversion]]\nname = \"a\"\nbeacon = false\n" => "conversion-kind", "conversion.a", (2, 8),
    conversion_relative_path: "[[conversion]]\nname = \"a\"\npath = \"order/*\"\n" => "conversion-path", "conversion.a.path", (3, 8),
    conversion_path_with_query: "[[conversion]]\nname = \"a\"\npath = \"/order?id=*\"\n" => "conversion-path", "conversion.a.path", (3, 8),
    conversion_param_on_beacon: "[[conversion]]\nname = \"a\"\nbeacon = true\nvalue_param = \"t\"\nvalue = { min = 0, max = 1 }\n" => "conversion-value", "conversion.a.value_param", (4, 15),
    conversion_param_without_range: "[[conversion]]\nname = \"a\"\npath = \"/x\"\nvalue_param = \"t\"\n" => "conversion-value", "conversion.a.value_param", (4, 15),
    conversion_bad_param: "[[conversion]]\nname = \"a\"\npath = \"/x\"\nvalue_param = \"to tal\"\nvalue = { min = 0, max = 1 }\n" => "conversion-value", "conversion.a.value_param", (4, 15),
    conversion_dedupe_on_beacon: "[[conversion]]\nname = \"a\"\nbeacon = true\ndedupe_param = \"order\"\n" => "conversion-dedupe", "conversion.a.dedupe_param", (4, 16),
    conversion_bad_dedupe: "[[conversion]]\nname = \"a\"\npath = \"/x\"\ndedupe_param = \"or der\"\n" => "conversion-dedupe", "conversion.a.dedupe_param", (4, 16),
    conversion_range_without_param: "[[conversion]]\nname = \"a\"\npath = \"/x\"\nvalue = { min = 0, max = 1 }\n" => "conversion-value", "conversion.a", (4, 9),
    conversion_inverted_range: "[[conversion]]\nname = \"a\"\nbeacon = true\nvalue = { min = 5, max = 1 }\n" => "conversion-value", "conversion.a.value", (4, 9),
    conversion_infinite_range: "[[conversion]]\nname = \"a\"\nbeacon = true\nvalue = { min = 0, max = inf }\n" => "conversion-value", "conversion.a.value", (4, 9),
    conversion_huge_range: "[[conversion]]\nname = \"a\"\nbeacon = true\nvalue = { min = 0, max = 1e13 }\n" => "conversion-value", "conversion.a.value", (4, 9),
    conversion_duplicate: "[[conversion]]\nname = \"a\"\nbeacon = true\n[[conversion]]\nname = \"a\"\nbeacon = true\n" => "duplicate-conversion", "conversion.a", (5, 8),
    conversion_signed_beacon: "[[conversion]]\nname = \"a\"\nbeacon = true\nsigned = true\n" => "conversion-signed", "conversion.a.signed", (4, 10),
    conversion_signed_with_param: "[[conversion]]\nname = \"a\"\npath = \"/x\"\nsigned = true\ndedupe_param = \"order\"\n" => "conversion-signed", "conversion.a.signed", (4, 10),
    conversion_unknown_key: "[[conversion]]\nname = \"a\"\nbeacon = true\ncolour = 1\n" => "syntax", "syntax", (4, 1),
}

#[test]
fn conversion_count_is_bounded() {
    let many: String = (0..=super::super::conversion::MAX_CONVERSIONS)
        .map(|i| format!("[[conversion]]\nname = \"c{i}\"\nbeacon = true\n"))
        .collect();
    let errs = one(&many).unwrap_err();
    assert_eq!(errs[0].code, "conversion-count", "{}", errs[0]);
}

#[test]
fn a_signed_conversion_compiles_with_a_range_and_no_query_parameter() {
    let s = one("[[conversion]]\nname = \"purchase\"\npath = \"/done\"\nsigned = true\nvalue = { min = 0, max = 100 }\n").unwrap();
    let goal = &s.body().conversions[0];
    assert!(goal.signed);
    assert_eq!(
        goal.value,
        Some(Range {
            min: 0.0,
            max: 100.0
        })
    );
    let decoded = vitrine_core::snapshot::decode(&vitrine_core::snapshot::encode(&s)).unwrap();
    assert_eq!(decoded.body().conversions, s.body().conversions);
}
