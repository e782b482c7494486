//! Bucketing against the published vectors (computed by an independent implementation), and
//! the invariants of placement.

use proptest::prelude::*;
use serde_json::Value;

use super::*;
use crate::snapshot::{Arm, Sym};

fn experiment(holdout_bp: u16, weights: &[u32]) -> Experiment {
    Experiment {
        key: Sym(0),
        arms: weights
            .iter()
            .enumerate()
            .map(|(i, &weight)| Arm {
                name: Sym(u32::try_from(i).unwrap()),
                weight,
            })
            .collect(),
        holdout_bp,
        bandit: None,
    }
}

#[test]
fn published_vectors_hold() {
    let text = include_str!("../../../../../fixtures/bucketing-vectors.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    let mut checked = 0;
    for e in doc["experiments"].as_array().unwrap() {
        let key = e["key"].as_str().unwrap();
        let holdout = u16::try_from(e["holdout_bp"].as_u64().unwrap()).unwrap();
        let arms: Vec<(&str, u32)> = e["arms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a[0].as_str().unwrap(),
                    u32::try_from(a[1].as_u64().unwrap()).unwrap(),
                )
            })
            .collect();
        let weights: Vec<u32> = arms.iter().map(|a| a.1).collect();
        let exp = experiment(holdout, &weights);
        for case in doc["cases"].as_array().unwrap() {
            if case["experiment"] != key {
                continue;
            }
            let visitor = case["visitor"].as_str().unwrap();
            let b = bucket(key, visitor);
            assert_eq!(
                u64::from(b),
                case["bucket"].as_u64().unwrap(),
                "{key}/{visitor}"
            );
            if let Some(want) = case["arm"].as_str() {
                let got = match place(&exp, b) {
                    Some(Placement::Holdout) => HOLDOUT,
                    Some(Placement::Arm(i)) => arms[i as usize].0,
                    None => "none",
                };
                assert_eq!(got, want, "{key}/{visitor}");
            }
            if let Some(held) = case["held_out"].as_bool() {
                assert_eq!(b < holdout, held, "{key}/{visitor}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} vectors checked");
}

#[test]
fn zero_total_weight_places_nobody_in_an_arm() {
    assert_eq!(place(&experiment(0, &[0, 0]), 5_000), None);
    assert_eq!(place(&experiment(100, &[0]), 50), Some(Placement::Holdout));
}

#[test]
fn full_holdout_holds_everyone_out() {
    let exp = experiment(10_000, &[1, 1]);
    assert!((0..BUCKETS).all(|b| place(&exp, b) == Some(Placement::Holdout)));
}

#[test]
fn arms_take_their_weighted_share_of_buckets() {
    let exp = experiment(1_000, &[50, 30, 20]);
    let mut counts = [0u32; 4];
    for b in 0..BUCKETS {
        match place(&exp, b) {
            Some(Placement::Holdout) => counts[3] += 1,
            Some(Placement::Arm(i)) => counts[i as usize] += 1,
            None => panic!("bucket {b} unplaced"),
        }
    }
    assert_eq!(counts, [4_500, 2_700, 1_800, 1_000]);
}

#[test]
fn distribution_over_100k_ids_is_within_tolerance() {
    let exp = experiment(1_000, &[1, 1, 2]);
    let mut counts = [0u32; 4];
    for i in 0..100_000u32 {
        let id = format!("visitor-{i}");
        match place(&exp, bucket("dist-test", &id)) {
            Some(Placement::Holdout) => counts[3] += 1,
            Some(Placement::Arm(a)) => counts[a as usize] += 1,
            None => panic!("unplaced"),
        }
    }
    // Expected 22 500 / 22 500 / 45 000 / 10 000; ±1.5 % of 100 000 is over 10 standard
    // deviations for every share.
    for (got, want) in counts.iter().zip([22_500u32, 22_500, 45_000, 10_000]) {
        assert!(got.abs_diff(want) < 1_500, "{counts:?}");
    }
}

proptest! {
    #[test]
    fn bucketing_is_deterministic_and_in_range(key in "[a-z0-9-]{1,20}", id in ".{0,40}") {
        let b = bucket(&key, &id);
        prop_assert!(b < BUCKETS);
        prop_assert_eq!(b, bucket(&key, &id));
    }

    #[test]
    fn holdout_buckets_are_exactly_the_holdout(
        holdout in 0u16..=10_000,
        weights in prop::collection::vec(1u32..1_000, 1..5),
        b in 0u16..10_000,
    ) {
        let placed = place(&experiment(holdout, &weights), b);
        prop_assert_eq!(placed == Some(Placement::Holdout), b < holdout);
        prop_assert!(placed.is_some());
    }
}

proptest! {
    /// The logged split is what placement does: counting every bucket by hand gives it.
    #[test]
    fn bucket_counts_are_the_placements_of_every_bucket(
        holdout in 0u16..=10_000,
        weights in prop::collection::vec(0u32..10_000, 1..5),
    ) {
        prop_assume!(weights.iter().any(|w| *w > 0));
        let mut counted = vec![0u16; weights.len() + 1];
        for b in 0..BUCKETS {
            match place_with(holdout, &weights, b) {
                Some(Placement::Holdout) => counted[0] += 1,
                Some(Placement::Arm(i)) => counted[i as usize + 1] += 1,
                None => prop_assert!(false, "bucket {} unplaced", b),
            }
        }
        prop_assert_eq!(bucket_counts(holdout, &weights), counted);
    }
}
