//! `vitrine report --sql` runs on a real engine: DuckDB's Python package (PyPI `duckdb`,
//! installed into `target/sql/venv` by `tests/sql/setup.sh`, idempotently) runs the printed
//! query over Parquet files of synthetic events plus hand-made edge cases. The engine's
//! aggregates must equal vitrine's own counts, and `--from-aggregates` must print the same
//! report as reading the events.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use vitrine_core::measure::events::{Common, Conversion, Event, ExposureEvent, Via, SCHEMA, SHOWN};
use vitrine_report::aggregate::{Aggregator, Filter, Kind, Tally, UnitTally};
use vitrine_report::input::parquet::write::EventWriter;
use vitrine_report::synth::Synth;

#[path = "../support/mod.rs"]
mod support;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// DuckDB's Python, installed once per test process: the tests run in parallel, and two
/// `setup.sh` runs creating the same venv at once broke each other (`ensurepip` failed in a
/// fresh clone's CI run).
fn python() -> PathBuf {
    static SETUP: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *SETUP.get_or_init(|| {
        Command::new("sh")
            .arg(root().join("tests/sql/setup.sh"))
            .status()
            .unwrap()
            .success()
    });
    assert!(ok, "tests/sql/setup.sh failed (needs PyPI)");
    root().join("target/sql/venv/bin/python")
}

fn common(ts: u64, visitor: Option<&str>, global: bool) -> Common {
    Common {
        schema: SCHEMA,
        ts,
        day: ts / 86_400,
        snapshot: "s".into(),
        visitor: visitor.map(str::to_owned),
        global_holdout: global,
    }
}

fn exposure(
    ts: u64,
    v: Option<&str>,
    experiment: Option<&str>,
    campaign: Option<&str>,
    arm: &str,
    global: bool,
) -> Event {
    Event::Exposure(ExposureEvent {
        common: common(ts, v, global),
        experiment: experiment.map(str::to_owned),
        campaign: campaign.map(str::to_owned),
        arm: arm.into(),
        pre: None,
        context: None,
        split: None,
    })
}

fn conversion(
    ts: u64,
    v: Option<&str>,
    global: bool,
    value: Option<f64>,
    a: &[(&str, &str)],
    c: &[(&str, &str)],
) -> Event {
    let map = |m: &[(&str, &str)]| {
        m.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    Event::Conversion(Conversion {
        common: common(ts, v, global),
        name: "purchase".into(),
        value,
        source: Via::Url,
        assignments: map(a),
        campaigns: map(c),
        products: Vec::new(),
    })
}

/// The rules the synthetic shop does not exercise: crossovers, ties in time broken by input
/// order, global-holdout conversions that name no unit, anonymous conversions of an arm no
/// exposure named, conversions of unexposed visitors and of another arm (also from one visitor
/// with a matching one), an experiment arm shown through a campaign.
fn edge_cases() -> Vec<Event> {
    let t = 1_764_600_000;
    vec![
        exposure(t, Some("e1"), Some("hero-copy"), None, "control", false),
        exposure(t, Some("e1"), Some("hero-copy"), None, "urgency", false),
        exposure(
            t + 5,
            Some("e2"),
            Some("hero-copy"),
            Some("banner"),
            "urgency",
            false,
        ),
        exposure(
            t + 6,
            Some("e3"),
            Some("hero-copy"),
            Some("banner"),
            "holdout",
            true,
        ),
        exposure(
            t + 7,
            Some("e4"),
            None,
            Some("summer-sale"),
            "holdout",
            true,
        ),
        conversion(t + 8, Some("e4"), true, Some(12.5), &[], &[]),
        conversion(t + 9, Some("e3"), true, Some(3.0), &[], &[]),
        conversion(
            t + 10,
            None,
            false,
            Some(7.0),
            &[("hero-copy", "ghost-arm")],
            &[],
        ),
        conversion(
            t + 11,
            Some("nobody"),
            false,
            None,
            &[("hero-copy", "control")],
            &[],
        ),
        conversion(
            t + 12,
            Some("e2"),
            false,
            Some(9.0),
            &[("hero-copy", "control")],
            &[("banner", SHOWN)],
        ),
        conversion(
            t + 13,
            Some("e1"),
            false,
            Some(1.0),
            &[("hero-copy", "control"), ("new-test", "a")],
            &[],
        ),
        // Conversions claiming two arms of one unit: the visitor still counts once.
        exposure(
            t + 14,
            Some("e5"),
            Some("hero-copy"),
            None,
            "urgency",
            false,
        ),
        conversion(
            t + 15,
            Some("e5"),
            false,
            Some(4.0),
            &[("hero-copy", "control")],
            &[],
        ),
        conversion(
            t + 16,
            Some("e5"),
            false,
            Some(6.0),
            &[("hero-copy", "urgency")],
            &[],
        ),
    ]
}

fn write(path: &Path, events: impl Iterator<Item = Event>) {
    let mut w = EventWriter::new(std::fs::File::create(path).unwrap()).unwrap();
    for e in events {
        w.push(&e).unwrap();
    }
    w.finish().unwrap();
}

fn cli(args: &[&str], dir: &Path) -> String {
    let out = Command::new(support::cli())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "vitrine {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs the SQL that `vitrine ARGS` prints on DuckDB (bounded as BENCHMARKS.md runs it);
/// the path of the answer, `name`.
fn duckdb(dir: &Path, args: &[&str], name: &str) -> PathBuf {
    let sql = cli(args, dir);
    let query = dir.join(format!("{name}.sql"));
    std::fs::write(&query, &sql).unwrap();
    let answer = dir.join(format!("{name}.csv"));
    let run = "import duckdb, sys\n\
        c = duckdb.connect(config={'memory_limit': '1GB', 'threads': 2, 'temp_directory': sys.argv[3]})\n\
        c.sql(open(sys.argv[1]).read()).write_csv(sys.argv[2])";
    let engine = || {
        Command::new(python())
            .arg("-c")
            .arg(run)
            .arg(&query)
            .arg(&answer)
            .arg(dir.join("duck-tmp"))
            .current_dir(dir)
            .output()
            .unwrap()
    };
    let mut out = engine();
    // Once in a CI run the engine's process ended with no exit code and nothing on stderr
    // (killed by a signal), and never again in 15 local runs. A process killed by a signal is
    // run once more, and says so; a query the engine refuses exits with an error and fails
    // at once.
    if std::os::unix::process::ExitStatusExt::signal(&out.status).is_some() {
        eprintln!("DuckDB ended by a signal ({}), run again", out.status);
        out = engine();
    }
    assert!(
        out.status.success(),
        "DuckDB ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    answer
}

/// Runs `vitrine report --sql` on DuckDB; the engine's answer as vitrine reads it.
fn engine(dir: &Path, extra: &[&str], goal: Option<&str>) -> (Tally, PathBuf) {
    let mut args = vec!["report", "events", "--sql"];
    args.extend_from_slice(extra);
    let answer = duckdb(dir, &args, &format!("aggregates{}", extra.len()));
    let tally =
        vitrine_report::sql::aggregates::read(std::fs::File::open(&answer).unwrap(), goal).unwrap();
    (tally, answer)
}

fn assert_same(engine: &Tally, own: &Tally) {
    assert_eq!(
        (engine.events, engine.outside_window),
        (own.events, own.outside_window)
    );
    assert_eq!(engine.goals, own.goals);
    assert_eq!(engine.span, own.span);
    let keys = |t: &Tally| t.units.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(engine), keys(own));
    for (key, u) in &own.units {
        assert_same_unit(&engine.units[key], u, &format!("{key:?}"));
    }
}

/// The engine's tallies of one unit equal vitrine's own (sums to 1e-9).
fn assert_same_unit(e: &UnitTally, u: &UnitTally, what: &str) {
    assert_eq!(
        (
            e.crossovers,
            e.unexposed_conversions,
            e.mismatched_conversions,
            e.via_experiment
        ),
        (
            u.crossovers,
            u.unexposed_conversions,
            u.mismatched_conversions,
            u.via_experiment
        ),
        "{what}"
    );
    let arms = |arms: &[vitrine_report::aggregate::ArmTally]| {
        arms.iter()
            .map(|a| {
                (
                    a.arm.clone(),
                    a.visitors,
                    a.converters,
                    a.conversions,
                    a.revenue.n,
                    a.anonymous_exposures,
                    a.anonymous_conversions,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(arms(&e.arms), arms(&u.arms), "{what}");
    for (a, b) in e.arms.iter().zip(&u.arms) {
        assert!(
            (a.revenue.mean - b.revenue.mean).abs() < 1e-9,
            "{what} {}",
            a.arm
        );
        assert!(
            (a.anonymous_value - b.anonymous_value).abs() < 1e-9,
            "{what} {}",
            a.arm
        );
        let (va, vb) = (a.revenue.variance(), b.revenue.variance());
        assert!(
            va.zip(vb)
                .is_none_or(|(x, y)| (x - y).abs() <= 1e-9 * y.abs().max(1.0)),
            "{what} {va:?} {vb:?}"
        );
    }
    assert_eq!(e.strata.len(), u.strata.len(), "{what}");
    for (s, t) in e.strata.iter().zip(&u.strata) {
        assert_eq!((&s.context, &s.split), (&t.context, &t.split), "{what}");
        let counts = |arms: &[vitrine_report::aggregate::ArmTally]| {
            arms.iter()
                .map(|a| (a.arm.clone(), a.visitors, a.converters, a.conversions))
                .collect::<Vec<_>>()
        };
        assert_eq!(counts(&s.arms), counts(&t.arms), "{what}");
        for (a, b) in s.arms.iter().zip(&t.arms) {
            let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * y.abs().max(1.0);
            assert!(close(a.revenue.mean, b.revenue.mean), "{what} {}", a.arm);
            assert_eq!(a.revenue.n, b.revenue.n, "{what} {}", a.arm);
            let (va, vb) = (a.revenue.variance(), b.revenue.variance());
            assert!(va.zip(vb).is_none_or(|(x, y)| close(x, y)), "{what}");
        }
    }
}

#[test]
fn the_printed_sql_gives_vitrines_own_aggregates_and_the_same_report() {
    let dir = root().join(format!("target/sql/run-{}", std::process::id()));
    let events_dir = dir.join("events").join("day=1");
    std::fs::create_dir_all(&events_dir).unwrap();
    let synth = Synth {
        events: 120_000,
        ..Synth::default()
    };
    let all: Vec<Event> = synth.events().collect();
    write(&events_dir.join("a.parquet"), all[..70_000].iter().cloned());
    write(&events_dir.join("b.parquet"), all[70_000..].iter().cloned());
    write(&events_dir.join("c.parquet"), edge_cases().into_iter());
    let mut events = all.clone();
    events.extend(edge_cases());

    for (extra, filter) in [
        (vec![], Filter::default()),
        (
            vec!["--goal", "purchase", "--since", "1764800000"],
            Filter {
                goal: Some("purchase".into()),
                since: Some(1_764_800_000),
                until: None,
            },
        ),
    ] {
        let mut own = Aggregator::new(&filter);
        events.iter().for_each(|e| own.push(e));
        let own = own.finish();
        let (from_engine, answer) = engine(&dir, &extra, filter.goal.as_deref());
        assert!(own.units.len() >= 4, "{:?}", own.units.keys());
        assert_same(&from_engine, &own);

        let mut args = vec!["report", "events", "--allow-srm"];
        args.extend_from_slice(&extra);
        let from_events = cli(&args, &dir);
        let answer = answer.display().to_string();
        let mut args = vec!["report", "--from-aggregates", &answer, "--allow-srm"];
        args.extend_from_slice(&extra);
        let from_aggregates = cli(&args, &dir);
        assert!(from_events.contains("recs-widget"), "{from_events}");
        assert_eq!(from_aggregates, from_events);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn optimize_learns_the_same_weights_from_the_engines_answer() {
    let dir = root().join(format!("target/sql/optimize-{}", std::process::id()));
    let events_dir = dir.join("events");
    std::fs::create_dir_all(&events_dir).unwrap();
    let synth = Synth {
        events: 200_000,
        ..Synth::default()
    };
    let all: Vec<Event> = synth.events().collect();
    write(
        &events_dir.join("a.parquet"),
        all[..110_000].iter().cloned(),
    );
    write(
        &events_dir.join("b.parquet"),
        all[110_000..].iter().cloned(),
    );
    write(&events_dir.join("c.parquet"), edge_cases().into_iter());
    let mut events = all;
    events.extend(edge_cases());
    std::fs::copy(
        root().join("fixtures/sql/bandits.toml"),
        dir.join("bandits.toml"),
    )
    .unwrap();
    let campaigns = ["--campaigns", "bandits.toml"];

    let answer = duckdb(
        &dir,
        &["optimize", "events", campaigns[0], campaigns[1], "--sql"],
        "bandits",
    );
    let engine =
        vitrine_report::sql::aggregates::read_goals(std::fs::File::open(&answer).unwrap()).unwrap();
    for (goal, key) in [
        ("purchase", "recs-widget"),
        ("add_to_cart", "checkout-button"),
    ] {
        let mut own = Aggregator::new(&Filter {
            goal: Some(goal.into()),
            ..Filter::default()
        });
        events.iter().for_each(|e| own.push(e));
        let own = own.finish();
        let unit = (Kind::Experiment, key.to_owned());
        let counted: Vec<&str> = engine[goal].units.keys().map(|k| k.1.as_str()).collect();
        assert_eq!(
            counted,
            ["checkout-button", "recs-widget"],
            "only bandits are counted"
        );
        assert_same_unit(&engine[goal].units[&unit], &own.units[&unit], key);
    }

    let answer = answer.display().to_string();
    let from_events = cli(
        &[
            "optimize",
            "events",
            campaigns[0],
            campaigns[1],
            "--dry-run",
        ],
        &dir,
    );
    let from_answer = cli(
        &[
            "optimize",
            "--from-aggregates",
            &answer,
            campaigns[0],
            campaigns[1],
            "--dry-run",
        ],
        &dir,
    );
    assert!(from_events.contains("→ new weights"), "{from_events}");
    assert!(from_events.contains("context loyal"), "{from_events}");
    assert_eq!(from_answer, from_events);
    std::fs::remove_dir_all(&dir).ok();
}
