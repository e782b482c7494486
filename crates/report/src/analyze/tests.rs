use super::*;
use crate::stats::Sample;

fn arm(name: &str, visitors: u64, converters: u64) -> ArmTally {
    let mut revenue = Sample::default();
    (0..converters).for_each(|_| revenue.push(20.0));
    revenue.push_zeros(visitors - converters);
    ArmTally {
        arm: name.into(),
        visitors,
        converters,
        conversions: converters,
        revenue,
        ..ArmTally::default()
    }
}

fn tally(kind: Kind, name: &str, arms: Vec<ArmTally>) -> Tally {
    let mut t = Tally::default();
    t.units.insert(
        (kind, name.to_owned()),
        UnitTally {
            arms,
            ..UnitTally::default()
        },
    );
    t
}

fn expect(arms: &[(&str, f64)]) -> Expectations {
    Expectations {
        version: "v1".into(),
        experiments: [(
            "hero".to_owned(),
            arms.iter().map(|(a, s)| (a.to_string(), *s)).collect(),
        )]
        .into(),
        campaigns: vec!["promo".into()],
        global_holdout: 0.1,
    }
}

fn run(t: &Tally, e: Option<&Expectations>, o: &Options) -> Report {
    analyze(t, InputSummary::default(), e, o)
}

#[test]
fn a_lopsided_split_fails_the_srm_check_and_a_fair_one_passes() {
    let e = expect(&[("control", 0.45), ("urgency", 0.45), (HOLDOUT, 0.1)]);
    let bad = tally(
        Kind::Experiment,
        "hero",
        vec![
            arm("control", 5300, 10),
            arm("urgency", 4700, 10),
            arm(HOLDOUT, 1100, 1),
        ],
    );
    let r = run(&bad, Some(&e), &Options::default());
    assert!(r.srm_failed);
    assert_eq!(r.units[0].srm.status, SrmStatus::Fail);
    assert!(r.units[0]
        .srm
        .reason
        .as_deref()
        .unwrap_or("")
        .contains("suspect"));
    let good = tally(
        Kind::Experiment,
        "hero",
        vec![
            arm("control", 4500, 10),
            arm("urgency", 4480, 10),
            arm(HOLDOUT, 1010, 1),
        ],
    );
    let r = run(&good, Some(&e), &Options::default());
    assert!(!r.srm_failed);
    assert_eq!(r.units[0].srm.status, SrmStatus::Pass);
}

#[test]
fn configured_arms_without_exposures_are_reported_and_compared() {
    let e = expect(&[("control", 0.45), ("urgency", 0.45), (HOLDOUT, 0.1)]);
    let t = tally(Kind::Experiment, "hero", vec![arm("control", 50, 5)]);
    let r = run(&t, Some(&e), &Options::default());
    let u = &r.units[0];
    let names: Vec<&str> = u.arms.iter().map(|a| a.arm.as_str()).collect();
    assert_eq!(names, ["control", "urgency", HOLDOUT]);
    assert_eq!(u.arms[1].rate, None);
    assert_eq!(u.arms[1].rate_ci, None);
    let c = &u.comparisons[0];
    assert_eq!((c.arm.as_str(), c.against), ("urgency", Against::Control));
    assert_eq!((c.abs_lift, c.p_value), (None, None));
    assert_eq!(
        u.srm.status,
        SrmStatus::Fail,
        "50 visitors where 45 % were expected in each arm"
    );
}

#[test]
fn control_defaults_to_the_first_arm_and_can_be_chosen() {
    let t = tally(
        Kind::Experiment,
        "hero",
        vec![arm("a", 100, 10), arm("b", 100, 20), arm(HOLDOUT, 100, 5)],
    );
    let r = run(&t, None, &Options::default());
    let u = &r.units[0];
    assert_eq!(u.control.as_deref(), Some("a"));
    let vs: Vec<(&str, &str)> = u
        .comparisons
        .iter()
        .map(|c| (c.arm.as_str(), c.baseline.as_str()))
        .collect();
    assert_eq!(vs, [("b", "a"), ("a", HOLDOUT), ("b", HOLDOUT)]);
    let b_vs_a = &u.comparisons[0];
    assert!((b_vs_a.abs_lift.unwrap_or(0.0) - 0.1).abs() < 1e-12);
    assert!((b_vs_a.rel_lift.unwrap_or(0.0) - 1.0).abs() < 1e-12);
    assert!(b_vs_a.rpv_diff_ci.is_some());
    assert_eq!(u.srm.status, SrmStatus::Unchecked);
    let o = Options {
        control: vec![(Some("hero".into()), "b".into()), (None, "zzz".into())],
        ..Options::default()
    };
    assert_eq!(run(&t, None, &o).units[0].control.as_deref(), Some("b"));
}

#[test]
fn arms_the_snapshot_does_not_know_leave_the_check_unchecked_not_passed() {
    let e = expect(&[("control", 0.9), (HOLDOUT, 0.1)]);
    let t = tally(
        Kind::Experiment,
        "hero",
        vec![arm("control", 90, 1), arm("new", 5, 0)],
    );
    let srm = &run(&t, Some(&e), &Options::default()).units[0].srm;
    assert_eq!(srm.status, SrmStatus::Unchecked);
    assert!(srm.reason.as_deref().unwrap_or("").contains("\"new\""));
}

#[test]
fn campaigns_compare_shown_with_the_global_holdout() {
    let e = expect(&[]);
    let t = tally(
        Kind::Campaign,
        "promo",
        vec![arm(HOLDOUT, 100, 2), arm(SHOWN, 900, 40)],
    );
    let u = &run(&t, Some(&e), &Options::default()).units[0];
    assert_eq!(u.arms[0].arm, SHOWN);
    assert_eq!(u.comparisons.len(), 1);
    assert_eq!(u.comparisons[0].against, Against::Holdout);
    assert_eq!(u.srm.status, SrmStatus::Pass);
    assert_eq!(u.arms[1].expected_share, Some(0.1));
}
