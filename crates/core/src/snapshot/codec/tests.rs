//! Codec tests: round trips (including a property test over generated bodies), and every
//! refusal the edge relies on to keep its last good version.

use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::snapshot::expr::{ActivityTest, Expr, RequestTest, Test, UtmField, Value};
use crate::snapshot::model::{Arm, ArmRef, Cap, Experiment, Message, Op, Slot, Window};

fn sample() -> Snapshot {
    Snapshot::new(Body {
        strings: vec![
            Arc::from("hero"),
            Arc::from("c1"),
            Arc::from("loyal"),
            Arc::from("<b>hi</b>"),
        ],
        slots: vec![Slot {
            name: Sym(0),
            candidates: vec![Candidate {
                campaign: Sym(1),
                priority: 3,
                when: Expr::Segment(Sym(2)),
                op: Op::Replace,
                template: Template {
                    parts: vec![Part::Lit(Sym(3))],
                },
                messages: vec![],
                schedule: None,
                cap: None,
                arm: None,
                product: None,
                offer: None,
                recommend: None,
            }],
        }],
        ..Body::default()
    })
}

#[test]
fn round_trips() {
    let s = sample();
    assert_eq!(decode(&encode(&s)).unwrap(), s);
}

#[test]
fn encoding_is_stable_and_versioned_by_content() {
    assert_eq!(encode(&sample()), encode(&sample()));
    assert_eq!(sample().version().len(), 16);
    assert_ne!(Snapshot::new(Body::default()).version(), sample().version());
    let text = String::from_utf8(encode(&sample())).unwrap();
    assert!(text.starts_with(&format!(
        "{{\"schema\":{SCHEMA_VERSION},\"version\":\"{}\"",
        sample().version()
    )));
}

#[test]
fn unknown_schema_refused() {
    let err = decode(br#"{"schema":99,"version":"x","body":{}}"#).unwrap_err();
    assert_eq!(err.code(), "snapshot_schema");
    // The foundation's schema 1 is refused as unknown, not misread.
    let err = decode(br#"{"schema":1,"version":"x","slots":[]}"#).unwrap_err();
    assert_eq!(err.code(), "snapshot_schema");
}

#[test]
fn garbage_refused() {
    for bad in [
        &b"\x00garbage"[..],
        b"",
        b"{}",
        b"[]",
        b"{\"schema\":3}",
        b"{\"schema\":3,\"version\":\"a\",\"body\":{\"strings\":[],\"slots\":[]",
    ] {
        assert_eq!(
            decode(bad).unwrap_err().code(),
            "snapshot_corrupt",
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn tampered_content_refused() {
    let bytes = String::from_utf8(encode(&sample()))
        .unwrap()
        .replace("hi", "ho");
    assert_eq!(
        decode(bytes.as_bytes()).unwrap_err().code(),
        "snapshot_version_mismatch"
    );
}

#[test]
fn dangling_string_reference_refused() {
    let mut body = sample().body().clone();
    body.slots[0].candidates[0].campaign = Sym(99);
    let bytes = encode(&Snapshot::new(body));
    assert_eq!(
        decode(&bytes).unwrap_err().to_string(),
        "snapshot is inconsistent: bad string reference"
    );
}

#[test]
fn dangling_experiment_arm_refused() {
    let mut body = sample().body().clone();
    body.slots[0].candidates[0].arm = Some(ArmRef {
        experiment: 0,
        arm: 0,
    });
    assert_eq!(
        decode(&encode(&Snapshot::new(body))).unwrap_err().code(),
        "snapshot_corrupt"
    );
}

#[test]
fn out_of_range_holdout_refused() {
    let mut body = sample().body().clone();
    body.global_holdout_bp = 10_001;
    assert!(decode(&encode(&Snapshot::new(body))).is_err());
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let depth = 10_000;
    let body = format!("{{\"strings\":[],\"slots\":[{{\"name\":0,\"candidates\":[{{\"campaign\":0,\"priority\":0,\"when\":{}\"true\"{},\"op\":\"replace\",\"template\":[]}}]}}]}}", "{\"not\":".repeat(depth), "}".repeat(depth));
    let version = hex16(body.as_bytes());
    let bytes =
        format!("{{\"schema\":{SCHEMA_VERSION},\"version\":\"{version}\",\"body\":{body}}}");
    assert_eq!(
        decode(bytes.as_bytes()).unwrap_err().code(),
        "snapshot_corrupt"
    );
}

// --- property: any well-formed body survives encode → decode unchanged -----------------------

fn sym(n: u32) -> impl Strategy<Value = Sym> {
    (0..n).prop_map(Sym)
}

fn leaf(n: u32) -> impl Strategy<Value = Expr> {
    prop_oneof![
        Just(Expr::True),
        Just(Expr::Anonymous),
        sym(n).prop_map(Expr::Segment),
        (sym(n), -1e6f64..1e6).prop_map(|(name, x)| Expr::Attr {
            name,
            test: Test::Gte(x)
        }),
        (sym(n), sym(n)).prop_map(|(name, v)| Expr::Attr {
            name,
            test: Test::In(vec![Value::Text(v), Value::Bool(true)])
        }),
        (proptest::option::of(sym(n)), any::<u16>(), any::<u32>()).prop_map(
            |(product, at_least, within_secs)| Expr::Activity(ActivityTest::ViewedProduct {
                product,
                at_least,
                within_secs
            })
        ),
        sym(n).prop_map(|g| Expr::Request(RequestTest::Path(g))),
        (any::<u16>(), any::<u16>())
            .prop_map(|(from, to)| Expr::Request(RequestTest::LocalTime { from, to })),
        (0..5usize, sym(n)).prop_map(|(f, glob)| Expr::Request(RequestTest::Utm {
            field: UtmField::ALL[f],
            glob
        })),
    ]
}

fn expr(n: u32) -> impl Strategy<Value = Expr> {
    leaf(n).prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Expr::All),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Expr::Any),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

fn candidate(n: u32) -> impl Strategy<Value = Candidate> {
    (
        sym(n),
        any::<i32>(),
        expr(n),
        prop::collection::vec(sym(n), 0..3),
        proptest::option::of((any::<i64>(), 1i64..1000)),
        any::<bool>(),
    )
        .prop_map(
            |(campaign, priority, when, lits, window, capped)| Candidate {
                campaign,
                priority,
                when: when.clone(),
                op: Op::Append,
                template: Template {
                    parts: lits
                        .into_iter()
                        .map(Part::Lit)
                        .chain([Part::Message])
                        .collect(),
                },
                messages: vec![Message {
                    when,
                    template: Template::default(),
                }],
                schedule: window.map(|(s, len)| Window {
                    start: Some(s / 2),
                    end: Some(s / 2 + len),
                }),
                cap: capped.then_some(Cap {
                    max: 3,
                    per_secs: 86_400,
                }),
                arm: capped.then_some(ArmRef {
                    experiment: 0,
                    arm: 1,
                }),
                product: capped.then_some(campaign),
                offer: capped.then_some(crate::snapshot::Offer { secs: 1_800 }),
                recommend: None,
            },
        )
}

fn body() -> impl Strategy<Value = Body> {
    (
        prop::collection::vec("[a-z<>\"&é ]{0,12}", 1..12),
        0u16..=10_000,
    )
        .prop_flat_map(|(strings, holdout)| {
            let n = strings.len() as u32;
            prop::collection::vec((sym(n), prop::collection::vec(candidate(n), 0..4)), 0..4)
                .prop_map(move |slots| Body {
                    strings: strings.iter().map(|s| Arc::from(s.as_str())).collect(),
                    slots: slots
                        .into_iter()
                        .map(|(name, candidates)| Slot { name, candidates })
                        .collect(),
                    experiments: vec![Experiment {
                        key: Sym(0),
                        arms: vec![
                            Arm {
                                name: Sym(0),
                                weight: 1,
                            },
                            Arm {
                                name: Sym(0),
                                weight: 3,
                            },
                        ],
                        holdout_bp: 500,
                        bandit: None,
                    }],
                    global_holdout_bp: holdout,
                    ..Body::default()
                })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_body_round_trips(body in body()) {
        let snap = Snapshot::new(body);
        let back = decode(&encode(&snap)).unwrap();
        prop_assert_eq!(back.version(), snap.version());
        prop_assert_eq!(back, snap);
    }

    #[test]
    fn any_bytes_decode_or_refuse(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
    }
}
