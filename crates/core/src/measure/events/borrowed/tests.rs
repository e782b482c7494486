//! The one-pass read against the derived parse: on events as written and on lines broken in
//! every way a log can break them, both give the same event or the same error, and the
//! accessors say what the event says.

use proptest::prelude::*;

use super::super::{Common, Conversion, Event, ExposureEvent, Pre, Via, View, FIELDS, SCHEMA};
use super::{EventKind, EventRef};

/// Text with, now and then, characters JSON must escape (so the line cannot be borrowed).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9]{0,8}",
        1 => "[a-z\"\\\\\n\u{e9}\u{1F600}/]{0,4}",
    ]
}

fn common() -> impl Strategy<Value = Common> {
    (
        prop_oneof![4 => Just(SCHEMA), 1 => 0u32..4],
        any::<u64>(),
        0u64..30_000,
        text(),
        proptest::option::of(text()),
        any::<bool>(),
    )
        .prop_map(
            |(schema, ts, day, snapshot, visitor, global_holdout)| Common {
                schema,
                ts,
                day,
                snapshot,
                visitor,
                global_holdout,
            },
        )
}

fn opt() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn event() -> impl Strategy<Value = Event> {
    let exposure = (
        common(),
        opt(),
        opt(),
        text(),
        any::<Option<(u32, u32)>>(),
        opt(),
        opt(),
    )
        .prop_map(|(common, experiment, campaign, arm, pre, context, split)| {
            Event::Exposure(ExposureEvent {
                common,
                experiment,
                campaign,
                arm,
                pre: pre.map(|(visits, views)| Pre { visits, views }),
                context,
                split,
            })
        });
    let map = || proptest::collection::btree_map(text(), text(), 0..3);
    let conversion = (
        common(),
        text(),
        proptest::option::of(-1e6f64..1e6),
        any::<bool>(),
        map(),
        map(),
        proptest::collection::vec(text(), 0..4),
    )
        .prop_map(
            |(common, name, value, beacon, assignments, campaigns, products)| {
                Event::Conversion(Conversion {
                    common,
                    name,
                    value,
                    source: if beacon { Via::Beacon } else { Via::Url },
                    assignments,
                    campaigns,
                    products,
                })
            },
        );
    let view =
        (common(), text()).prop_map(|(common, product)| Event::View(View { common, product }));
    prop_oneof![1 => exposure, 1 => conversion, 2 => view]
}

/// Every field name of every kind, and one no kind has.
const KEYS: [&str; 21] = {
    let mut keys = ["extra"; 21];
    let mut i = 0;
    while i < FIELDS.len() {
        keys[i] = FIELDS[i];
        i += 1;
    }
    keys
};

/// JSON values of every type, including numbers some fields cannot hold and escaped strings.
const VALUES: &[&str] = &[
    "null",
    "true",
    "0",
    "-1",
    "2",
    "2.5",
    "1e3",
    "-0",
    "4294967296",
    "18446744073709551616",
    "\"x\"",
    "\"p\\u0030\"",
    "\"url\"",
    "\"beacon\"",
    "\"vitrine.view\"",
    "\"vitrine.exposure\"",
    "\"vitrine.conversion\"",
    "\"vitrine.click\"",
    "[]",
    "[\"a\"]",
    "[1,2]",
    "{}",
    "{\"a\":\"b\"}",
    "{\"a\":1}",
    "{\"visits\":1,\"views\":2}",
    "{\"url\":null}",
];

/// One way a line is broken.
#[derive(Debug, Clone)]
enum Break {
    Remove(usize),
    Set(usize, &'static str),
    Add(&'static str, &'static str),
    Repeat(usize),
    Swap(usize, usize),
    /// The first character of a string value as a `\u` escape.
    Escape(usize),
    /// The object as an array of its values.
    Array,
    /// Whitespace around the object, or text after it.
    Pad(&'static str, &'static str),
}

fn breaks() -> impl Strategy<Value = Vec<Break>> {
    let i = || 0usize..32;
    let one = prop_oneof![
        i().prop_map(Break::Remove),
        (i(), proptest::sample::select(VALUES)).prop_map(|(i, v)| Break::Set(i, v)),
        (
            proptest::sample::select(KEYS.as_slice()),
            proptest::sample::select(VALUES)
        )
            .prop_map(|(k, v)| Break::Add(k, v)),
        i().prop_map(Break::Repeat),
        (i(), i()).prop_map(|(a, b)| Break::Swap(a, b)),
        i().prop_map(Break::Escape),
        Just(Break::Array),
        (
            proptest::sample::select(&[" ", "\t", "", " \u{a0}"][..]),
            proptest::sample::select(&[" ", "\r", "", " x", "}"][..]),
        )
            .prop_map(|(a, b)| Break::Pad(a, b)),
    ];
    proptest::collection::vec(one, 0..4)
}

/// `event`'s line with `breaks` applied.
fn broken(event: &Event, breaks: &[Break]) -> String {
    let serde_json::Value::Object(map) = serde_json::to_value(event).unwrap() else {
        unreachable!("an event is an object")
    };
    let mut fields: Vec<(String, String)> =
        map.into_iter().map(|(k, v)| (k, v.to_string())).collect();
    let (mut array, mut pad) = (false, ("", ""));
    for b in breaks {
        let n = fields.len().max(1);
        match *b {
            Break::Remove(i) if !fields.is_empty() => {
                fields.remove(i % n);
            }
            Break::Set(i, v) if !fields.is_empty() => fields[i % n].1 = v.to_owned(),
            Break::Add(k, v) => fields.push((k.to_owned(), v.to_owned())),
            Break::Repeat(i) if !fields.is_empty() => fields.push(fields[i % n].clone()),
            Break::Swap(a, b) if !fields.is_empty() => fields.swap(a % n, b % n),
            Break::Escape(i) if !fields.is_empty() => {
                let v = &mut fields[i % n].1;
                if let Some(c) = v.strip_prefix('"').and_then(|s| s.chars().next()) {
                    if c != '"' && c != '\\' && (c as u32) < 0x1_0000 {
                        *v = format!("\"\\u{:04x}{}", c as u32, &v[1 + c.len_utf8()..]);
                    }
                }
            }
            Break::Array => array = true,
            Break::Pad(a, b) => pad = (a, b),
            _ => {}
        }
    }
    let body = if array {
        let values: Vec<&str> = fields.iter().map(|(_, v)| v.as_str()).collect();
        format!("[{}]", values.join(","))
    } else {
        let pairs: Vec<String> = fields.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
        format!("{{{}}}", pairs.join(","))
    };
    format!("{}{body}{}", pad.0, pad.1)
}

/// What the accessors say, and what the event says.
fn seen(e: &EventRef<'_>) -> (EventKind, u64, Option<String>, Option<String>, Vec<String>) {
    (
        e.kind(),
        e.ts(),
        e.visitor().map(str::to_owned),
        e.product().map(str::to_owned),
        e.products().map(str::to_owned).collect(),
    )
}

fn said(e: &Event) -> (EventKind, u64, Option<String>, Option<String>, Vec<String>) {
    let (kind, product, products) = match e {
        Event::Exposure(_) => (EventKind::Exposure, None, Vec::new()),
        Event::Conversion(c) => (EventKind::Conversion, None, c.products.clone()),
        Event::View(v) => (EventKind::View, Some(v.product.clone()), Vec::new()),
    };
    let c = e.common();
    (kind, c.ts, c.visitor.clone(), product, products)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn one_pass_and_derived_parses_agree_on_any_line(e in event(), b in breaks()) {
        let line = broken(&e, &b);
        let derived = Event::parse_derived(&line);
        match EventRef::parse(&line) {
            Ok(read) => {
                prop_assert_eq!(seen(&read), said(derived.as_ref().unwrap_or(&e)), "{}", line);
                prop_assert_eq!(Ok(read.into_event()), derived, "{}", line);
            }
            Err(error) => prop_assert_eq!(Err(error), derived, "{}", line),
        }
    }

    #[test]
    fn an_event_as_written_reads_back_in_one_pass_unless_it_has_escapes(e in event()) {
        let line = e.to_line();
        let read = EventRef::parse(&line);
        let escaped = line.contains('\\');
        match read {
            Ok(read) => {
                prop_assert_eq!(read.in_one_pass(), !escaped, "{}", line);
                prop_assert_eq!(read.into_event(), e);
            }
            Err(error) => {
                prop_assert_eq!(error, super::EventError::Schema { found: e.common().schema });
            }
        }
    }
}

#[test]
fn a_view_is_read_without_copying_and_an_event_is_borrowed_as_is() {
    let line = r#"{"event":"vitrine.view","schema":2,"ts":5,"day":0,"snapshot":"s","visitor":"v","product":"p1"}"#;
    let read = EventRef::parse(line).unwrap();
    assert!(read.in_one_pass());
    let product = read.product().unwrap();
    assert!(
        line.as_bytes().as_ptr_range().contains(&product.as_ptr()),
        "borrowed from the line"
    );
    let event = read.into_event();
    let again = EventRef::from(&event);
    assert_eq!(seen(&again), said(&event));
}

#[test]
fn a_line_with_escapes_is_read_by_the_derived_parse_to_the_same_event() {
    let escaped = r#"{"event":"vitrine.view","schema":2,"ts":5,"day":0,"snapshot":"s","visitor":"v","product":"p\u0031"}"#;
    let read = EventRef::parse(escaped).unwrap();
    assert!(!read.in_one_pass());
    assert_eq!(read.product(), Some("p1"));
}

/// Both parses on `line`: the same event or the same error.
fn agree(line: &str) {
    let read = EventRef::parse(line).map(EventRef::into_event);
    assert_eq!(read, Event::parse_derived(line), "{line}");
}

/// A line of `fields` (key, JSON value) in order.
fn line_of(fields: &[(&str, &str)]) -> String {
    let pairs: Vec<String> = fields.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
    format!("{{{}}}", pairs.join(","))
}

#[test]
fn every_field_of_every_kind_with_every_type_of_value_reads_the_same() {
    let common = [
        ("schema", "2"),
        ("ts", "5"),
        ("day", "0"),
        ("snapshot", "\"s\""),
        ("visitor", "\"v\""),
        ("global_holdout", "true"),
    ];
    let kinds: [&[(&str, &str)]; 3] = [
        &[
            ("event", "\"vitrine.conversion\""),
            ("name", "\"buy\""),
            ("value", "1.5"),
            ("source", "\"beacon\""),
            ("assignments", "{\"x\":\"a\"}"),
            ("campaigns", "{\"c\":\"shown\"}"),
            ("products", "[\"p1\",\"p2\"]"),
        ],
        &[
            ("event", "\"vitrine.exposure\""),
            ("experiment", "\"x\""),
            ("campaign", "\"c\""),
            ("arm", "\"a\""),
            ("pre", "{\"visits\":1,\"views\":2}"),
            ("context", "\"loyal\""),
            ("split", "\"holdout=0;a=10000\""),
        ],
        &[("event", "\"vitrine.view\""), ("product", "\"p1\"")],
    ];
    for kind in kinds {
        let base: Vec<(&str, &str)> = kind.iter().chain(&common).copied().collect();
        agree(&line_of(&base));
        for key in &KEYS {
            for value in VALUES {
                // In place of the field (added, for a field the kind lacks), and repeated.
                let mut set: Vec<(&str, &str)> =
                    base.iter().filter(|(k, _)| k != key).copied().collect();
                set.push((key, value));
                agree(&line_of(&set));
                let mut repeated = base.clone();
                repeated.push((key, value));
                agree(&line_of(&repeated));
            }
            let without: Vec<(&str, &str)> =
                base.iter().filter(|(k, _)| k != key).copied().collect();
            agree(&line_of(&without));
        }
    }
}

#[test]
fn an_array_is_never_read_by_position() {
    // A view's fields in the order of `Head`: a derived struct would read them by position.
    let fields = r#""vitrine.view",2,5,0,"s","v",false,"p1""#;
    agree(&format!("[{fields}]"));
    assert!(EventRef::parse(&format!("[{fields}]")).is_err());
}
