//! The query's text (placeholders filled, names quoted) and the reading of an answer; the
//! engine itself runs in `tests/sql/` (DuckDB, behind the `external` feature).

use super::aggregates::{read, read_goals, AggregatesError};
use super::*;
use crate::aggregate::Kind;

#[test]
fn every_placeholder_is_filled() {
    let goals = ["purchase".to_owned(), "signup".to_owned()];
    let keys = ["hero's".to_owned()];
    for q in [
        query(&["a.parquet".into()], &Filter::default()),
        build(
            &["events/**/*.parquet".into()],
            &Filter {
                since: Some(5),
                ..Filter::default()
            },
            Scope::Bandits {
                goals: &goals,
                experiments: &keys,
            },
        ),
    ] {
        let left: Vec<&str> = [
            "{read}",
            "{ord}",
            "{inside}",
            "{exposures}",
            "{goal",
            "_scope}",
            "{title}",
            "{run}",
        ]
        .into_iter()
        .filter(|p| q.contains(p))
        .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

#[test]
fn names_are_quoted_as_sql_strings() {
    let goals = ["it's".to_owned()];
    let q = build(
        &["x.parquet".into()],
        &Filter::default(),
        Scope::Bandits {
            goals: &goals,
            experiments: &goals,
        },
    );
    assert!(q.contains("r.name IN ('it''s')"), "{q}");
    assert!(q.contains("r.experiment IN ('it''s')"));
    assert!(!q.contains("'it's'"));
}

/// An answer: the header, then `rows`.
fn answer(rows: &[String]) -> String {
    let mut text = COLUMNS.join(",");
    for r in rows {
        text.push('\n');
        text.push_str(r);
    }
    text
}

/// An `arm` row of `unit` with `visitors`, one conversion of value 2.5, and the order key.
fn arm_row(goal: &str, unit: &str, arm: &str, visitors: u64, key: &str) -> String {
    format!("arm,{goal},experiment,{unit},{arm},,,,{visitors},1,1,2.5,6.25,0,0,0,,,,,0,{key},,")
}

#[test]
fn arms_are_ordered_by_keys_wider_than_64_bits() {
    let rows = [
        arm_row("", "hero", "late", 3, "1764547223000000000001168202"),
        arm_row("", "hero", "early", 4, "1764547223000000000001168201"),
        "input,,,,,,,,9,2,,,,,,,,,,,,,1764547223,1764547300".to_owned(),
    ];
    let tally = read(answer(&rows).as_bytes(), None).unwrap();
    let unit = &tally.units[&(Kind::Experiment, "hero".to_owned())];
    let arms: Vec<(&str, u64)> = unit
        .arms
        .iter()
        .map(|a| (a.arm.as_str(), a.visitors))
        .collect();
    assert_eq!(arms, [("early", 4), ("late", 3)]);
    assert_eq!((tally.events, tally.outside_window), (9, 2));
    assert_eq!(tally.span, Some((1_764_547_223, 1_764_547_300)));
}

#[test]
fn an_answer_for_another_goal_is_refused() {
    let row = arm_row("purchase", "hero", "a", 1, "1");
    let text = answer(&[row]);
    assert!(read(text.as_bytes(), Some("purchase")).is_ok());
    for wanted in [None, Some("signup")] {
        match read(text.as_bytes(), wanted) {
            Err(AggregatesError::Goal { found, .. }) => assert_eq!(found, "`purchase`"),
            other => panic!("{wanted:?}: {other:?}"),
        }
    }
}

#[test]
fn each_goal_gets_its_own_tally_and_the_shared_rows() {
    let rows = [
        arm_row("purchase", "recs", "a", 5, "2"),
        arm_row("add_to_cart", "recs", "a", 5, "2"),
        "goal,,,,,,,purchase,7,,,,,,,,,,,,,,,".to_owned(),
    ];
    let goals = read_goals(answer(&rows).as_bytes()).unwrap();
    let names: Vec<&str> = goals.keys().map(String::as_str).collect();
    assert_eq!(names, ["add_to_cart", "purchase"]);
    for tally in goals.values() {
        assert_eq!(tally.goals.get("purchase"), Some(&7));
        assert_eq!(tally.units.len(), 1);
    }
    assert!(matches!(
        read(answer(&rows).as_bytes(), Some("purchase")),
        Err(AggregatesError::Goal { .. })
    ));
}

#[test]
fn a_bad_order_key_names_its_row() {
    let row = arm_row("", "hero", "a", 1, "soon");
    match read(answer(&[row]).as_bytes(), None) {
        Err(AggregatesError::Row { row, reason }) => {
            assert_eq!(row, 1);
            assert!(reason.contains("order_key"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}
