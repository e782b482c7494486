use super::*;
use vitrine_core::measure::events::{Common, Via, SCHEMA};

fn common(ts: u64, visitor: Option<&str>, global: bool) -> Common {
    Common {
        schema: SCHEMA,
        ts,
        day: ts / 86_400,
        snapshot: "v1".into(),
        visitor: visitor.map(str::to_owned),
        global_holdout: global,
    }
}

fn exp(ts: u64, v: Option<&str>, experiment: &str, arm: &str) -> Event {
    Event::Exposure(ExposureEvent {
        common: common(ts, v, false),
        experiment: Some(experiment.into()),
        campaign: None,
        arm: arm.into(),
        pre: None,
        context: None,
        split: None,
    })
}

fn camp(ts: u64, v: Option<&str>, campaign: &str, arm: &str, global: bool) -> Event {
    Event::Exposure(ExposureEvent {
        common: common(ts, v, global),
        experiment: None,
        campaign: Some(campaign.into()),
        arm: arm.into(),
        pre: None,
        context: None,
        split: None,
    })
}

fn conv(ts: u64, v: Option<&str>, name: &str, value: Option<f64>, a: &[(&str, &str)]) -> Event {
    Event::Conversion(Conversion {
        common: common(ts, v, false),
        name: name.into(),
        value,
        source: Via::Url,
        assignments: a
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        campaigns: [("promo".to_owned(), SHOWN.to_owned())].into(),
        products: Vec::new(),
    })
}

fn arm<'a>(t: &'a Tally, kind: Kind, unit: &str, arm: &str) -> &'a ArmTally {
    let u = &t.units[&(kind, unit.to_owned())];
    u.arms.iter().find(|a| a.arm == arm).unwrap_or(&u.arms[0])
}

#[test]
fn visitors_are_counted_once_in_their_first_arm_and_converters_once() {
    let events = [
        exp(10, Some("a"), "hero", "control"),
        exp(5, Some("b"), "hero", "urgency"),
        exp(20, Some("a"), "hero", "control"),
        exp(30, Some("b"), "hero", "control"),
        conv(
            40,
            Some("a"),
            "purchase",
            Some(10.0),
            &[("hero", "control")],
        ),
        conv(41, Some("a"), "purchase", Some(5.0), &[("hero", "control")]),
        conv(42, Some("b"), "purchase", Some(7.0), &[("hero", "control")]),
        conv(43, Some("z"), "purchase", None, &[("hero", "control")]),
    ];
    let t = aggregate(&events, &Filter::default());
    let unit = &t.units[&(Kind::Experiment, "hero".to_owned())];
    assert_eq!(unit.arms[0].arm, "urgency", "order of first exposure");
    let control = arm(&t, Kind::Experiment, "hero", "control");
    assert_eq!(
        (control.visitors, control.converters, control.conversions),
        (1, 1, 2)
    );
    assert_eq!(control.revenue.mean, 15.0);
    let urgency = arm(&t, Kind::Experiment, "hero", "urgency");
    assert_eq!((urgency.visitors, urgency.converters), (1, 0));
    assert_eq!(unit.crossovers, 1);
    assert_eq!(
        unit.mismatched_conversions, 1,
        "b is in urgency, converted as control"
    );
    assert_eq!(unit.unexposed_conversions, 1, "z was never exposed");
    assert_eq!(t.goals["purchase"], 4);
}

#[test]
fn anonymous_events_are_tallied_apart_and_never_as_visitors() {
    let events = [
        exp(1, None, "hero", "control"),
        exp(2, None, "hero", "control"),
        conv(3, None, "purchase", Some(9.5), &[("hero", "control")]),
    ];
    let t = aggregate(&events, &Filter::default());
    let control = arm(&t, Kind::Experiment, "hero", "control");
    assert_eq!((control.visitors, control.converters), (0, 0));
    assert_eq!(control.anonymous_exposures, 2);
    assert_eq!(control.anonymous_conversions, 1);
    assert_eq!(control.anonymous_value, 9.5);
}

#[test]
fn the_goal_and_window_filter_conversions_and_exposures() {
    let events = [
        exp(100, Some("a"), "hero", "control"),
        exp(100, Some("b"), "hero", "control"),
        exp(500, Some("c"), "hero", "control"),
        conv(150, Some("a"), "signup", None, &[("hero", "control")]),
        conv(
            160,
            Some("b"),
            "purchase",
            Some(3.0),
            &[("hero", "control")],
        ),
    ];
    let filter = Filter {
        goal: Some("purchase".into()),
        since: Some(100),
        until: Some(500),
    };
    let t = aggregate(&events, &filter);
    let control = arm(&t, Kind::Experiment, "hero", "control");
    assert_eq!((control.visitors, control.converters), (2, 1));
    assert_eq!(t.outside_window, 1);
    assert_eq!(t.span, Some((100, 160)));
    assert_eq!(t.goals.len(), 2);
}

#[test]
fn campaign_exposures_map_experiment_arms_to_shown_and_global_holdout() {
    let mk = |v: &str, arm: &str, global: bool| {
        Event::Exposure(ExposureEvent {
            common: common(1, Some(v), global),
            experiment: Some("hero".into()),
            campaign: Some("promo".into()),
            arm: arm.into(),
            pre: None,
            context: None,
            split: None,
        })
    };
    let events = [
        mk("a", "urgency", false),
        mk("b", "holdout", true),
        mk("c", "holdout", false),
        camp(2, Some("d"), "promo", SHOWN, false),
        conv(3, Some("a"), "purchase", Some(1.0), &[]),
    ];
    let t = aggregate(&events, &Filter::default());
    let unit = &t.units[&(Kind::Campaign, "promo".to_owned())];
    assert!(unit.via_experiment);
    assert_eq!(arm(&t, Kind::Campaign, "promo", SHOWN).visitors, 2);
    assert_eq!(arm(&t, Kind::Campaign, "promo", SHOWN).converters, 1);
    assert_eq!(arm(&t, Kind::Campaign, "promo", HOLDOUT).visitors, 1);
    assert_eq!(
        t.units[&(Kind::Experiment, "hero".to_owned())].arms.len(),
        2
    );
}

#[test]
fn times_are_durations_dates_or_unix_seconds() {
    let now = 1_764_264_000;
    assert_eq!(parse_time("7d", now), Ok(now - 7 * 86_400));
    assert_eq!(parse_time("24h", now), Ok(now - 86_400));
    assert_eq!(parse_time("30m", now), Ok(now - 1_800));
    assert_eq!(parse_time("2026-11-01", now), Ok(1_793_491_200));
    assert_eq!(parse_time("1700000000", now), Ok(1_700_000_000));
    assert!(parse_time("last week", now).unwrap_err().contains("7d"));
}

#[test]
fn global_holdout_conversions_count_for_the_units_they_were_held_out_of() {
    let mut c = conv(5, Some("g"), "purchase", Some(4.0), &[]);
    if let Event::Conversion(c) = &mut c {
        c.common.global_holdout = true;
        c.campaigns.clear();
    }
    let events = [
        exp(1, Some("g"), "hero", HOLDOUT),
        camp(1, Some("g"), "promo", HOLDOUT, true),
        exp(1, Some("h"), "hero", "control"),
        c,
    ];
    let t = aggregate(&events, &Filter::default());
    assert_eq!(arm(&t, Kind::Experiment, "hero", HOLDOUT).converters, 1);
    assert_eq!(arm(&t, Kind::Campaign, "promo", HOLDOUT).converters, 1);
    assert_eq!(arm(&t, Kind::Experiment, "hero", "control").converters, 0);
}

#[test]
fn a_bandit_stratum_carries_its_visitors_outcomes_and_covariates() {
    // CUPED within strata reads each stratum's own visitors: the two periods must not mix.
    let placed = |ts: u64, v: &str, arm: &str, split: &str, visits: u32| {
        Event::Exposure(ExposureEvent {
            common: common(ts, Some(v), false),
            experiment: Some("hero".into()),
            campaign: None,
            arm: arm.into(),
            pre: Some(Pre { visits, views: 0 }),
            context: Some("loyal".into()),
            split: Some(split.into()),
        })
    };
    let events = [
        placed(1, "a", "control", "control=5000;savings=5000", 1),
        placed(2, "b", "savings", "control=5000;savings=5000", 2),
        placed(3, "c", "savings", "control=2000;savings=8000", 3),
        placed(4, "c", "savings", "control=2000;savings=8000", 9),
        conv(5, Some("c"), "purchase", Some(30.0), &[("hero", "savings")]),
    ];
    let t = aggregate(&events, &Filter::default());
    let unit = &t.units[&(Kind::Experiment, "hero".to_owned())];
    assert_eq!(unit.strata.len(), 2);
    let savings = |s: usize| &unit.strata[s].arms[1];
    assert_eq!(savings(0).outcomes.len(), 1);
    assert!(!savings(0).outcomes[0].converted);
    let late = savings(1).outcomes[0];
    assert!(late.converted && late.value == 30.0);
    assert_eq!(
        late.pre.map(|p| p.visits),
        Some(3),
        "the first exposure's covariate"
    );
    let all: usize = unit.arms.iter().map(|a| a.outcomes.len()).sum();
    let in_strata: usize = unit
        .strata
        .iter()
        .flat_map(|s| &s.arms)
        .map(|a| a.outcomes.len())
        .sum();
    assert_eq!(all, in_strata);
}

mod order {
    //! The streaming [`Aggregator`] must not depend on the order events arrive in: only on
    //! their times (ties keep input order, so the property uses distinct times).
    use super::*;
    use proptest::prelude::*;

    fn event() -> impl Strategy<Value = (u8, u8, u8, bool, u8, bool)> {
        // (kind, visitor, arm, experiment or campaign, value, global holdout)
        (
            0u8..3,
            0u8..6,
            0u8..3,
            any::<bool>(),
            0u8..50,
            any::<bool>(),
        )
    }

    fn build(i: usize, (kind, v, a, exp, value, global): (u8, u8, u8, bool, u8, bool)) -> Event {
        let ts = 1_000 + i as u64 * 7;
        let visitor = (v > 0).then(|| format!("v{v}"));
        let arm = ["control", "urgency", "holdout"][a as usize];
        let mut e = if kind == 0 {
            if exp {
                exp_event(ts, visitor.as_deref(), arm)
            } else {
                camp(
                    ts,
                    visitor.as_deref(),
                    "promo",
                    ["shown", "holdout", "shown"][a as usize],
                    global,
                )
            }
        } else {
            conv(
                ts,
                visitor.as_deref(),
                "buy",
                Some(f64::from(value) / 4.0),
                &[("hero", arm)],
            )
        };
        if let Event::Exposure(x) = &mut e {
            x.common.global_holdout = global;
            x.context = (exp && value % 2 == 0).then(|| "loyal".to_owned());
            x.split =
                (exp && value % 3 == 0).then(|| "holdout=0;control=5000;urgency=5000".to_owned());
        }
        if let Event::Conversion(c) = &mut e {
            c.common.global_holdout = global;
        }
        e
    }

    fn exp_event(ts: u64, v: Option<&str>, arm: &str) -> Event {
        exp(ts, v, "hero", arm)
    }

    proptest! {
        #[test]
        fn any_order_of_the_input_gives_the_same_tally(
            raw in proptest::collection::vec(event(), 1..60),
            seed in any::<u64>(),
        ) {
            let events: Vec<Event> = raw.into_iter().enumerate().map(|(i, r)| build(i, r)).collect();
            let sorted = aggregate(&events, &Filter::default());
            let mut shuffled = events.clone();
            // A seeded Fisher–Yates shuffle (SplitMix64 steps).
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let z = (s ^ (s >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                shuffled.swap(i, (z % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(aggregate(&shuffled, &Filter::default()), sorted);
        }
    }
}
