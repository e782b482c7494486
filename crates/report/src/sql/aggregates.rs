//! The engine's answer to [`super::query`] (CSV with a header, as `duckdb -csv` or any
//! engine's CSV export writes it) back into the [`Tally`] the statistics start from.
//!
//! Rows by `what`:
//! - `input`: `visitors` = events inside the window, `converters` = events outside it,
//!   `order_ts`/`order_row` = the first and last event time inside it;
//! - `goal`: conversions per `name` (`visitors` column);
//! - `unit`: `crossovers`, `unexposed`, `mismatched`, `via_experiment` of a unit;
//! - `arm`: an arm's counts and sums, ordered by (`order_phase`, `order_ts`, `order_file`,
//!   `order_row`), the order the report lists arms in;
//! - `stratum`: one arm of one bandit stratum (`context`, `split`), strata ordered alike.
//!
//! Each visitor's outcome is not in the answer: arms' `outcomes` stay empty, so CUPED cannot
//! be computed from aggregates.

use std::collections::BTreeMap;

use crate::aggregate::{ArmTally, Kind, Stratum, Tally, UnitTally};
use crate::stats::Sample;

/// Why the answer cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AggregatesError {
    /// The header lacks columns of the query's answer.
    #[error("the header lacks column(s) {0}: is this the answer to `vitrine report --sql`?")]
    Header(String),
    /// A row could not be read.
    #[error("row {row}: {reason}")]
    Row {
        /// 1-based data row.
        row: usize,
        /// What was wrong.
        reason: String,
    },
}

/// Order key of an arm or stratum: (phase, ts, file, row).
type Order = (u64, u64, String, u64);

/// A bandit stratum's key (context, split) and its arms by name, with its order key.
type Strata = BTreeMap<(String, Option<String>), (Order, Vec<(String, ArmTally)>)>;

#[derive(Default)]
struct Unit {
    tally: UnitTally,
    arms: Vec<(Order, ArmTally)>,
    strata: Strata,
}

/// Reads the answer.
pub fn read(csv: impl std::io::Read) -> Result<Tally, AggregatesError> {
    let mut reader = ::csv::ReaderBuilder::new().from_reader(csv);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| AggregatesError::Header(e.to_string()))?
        .iter()
        .map(str::to_owned)
        .collect();
    let missing: Vec<&str> = super::COLUMNS
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(AggregatesError::Header(missing.join(", ")));
    }
    let index = |name: &str| header.iter().position(|h| h == name).unwrap_or(0);
    let cols: Vec<usize> = super::COLUMNS.iter().map(|c| index(c)).collect();
    let mut tally = Tally::default();
    let mut units: BTreeMap<(Kind, String), Unit> = BTreeMap::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        let err = |reason: String| AggregatesError::Row { row, reason };
        let record = record.map_err(|e| err(e.to_string()))?;
        let cell = |name: &str| {
            let at = super::COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
            record.get(cols[at]).unwrap_or("").trim()
        };
        let int = |name: &str| -> Result<u64, AggregatesError> {
            let c = cell(name);
            if c.is_empty() {
                return Ok(0);
            }
            c.parse::<u64>()
                .or_else(|_| c.parse::<f64>().map(|f| f as u64))
                .map_err(|_| err(format!("{name}: {c:?} is not a count")))
        };
        let float = |name: &str| -> Result<f64, AggregatesError> {
            let c = cell(name);
            if c.is_empty() {
                return Ok(0.0);
            }
            c.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| err(format!("{name}: {c:?} is not a number")))
        };
        let text = |name: &str| {
            Some(cell(name))
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
        };
        let kind = || match cell("kind") {
            "experiment" => Ok(Kind::Experiment),
            "campaign" => Ok(Kind::Campaign),
            other => Err(err(format!("kind {other:?} is not experiment or campaign"))),
        };
        let order = || -> Result<Order, AggregatesError> {
            Ok((
                int("order_phase")?,
                int("order_ts")?,
                cell("order_file").to_owned(),
                int("order_row")?,
            ))
        };
        let arm = || -> Result<ArmTally, AggregatesError> {
            let visitors = int("visitors")?;
            Ok(ArmTally {
                arm: text("arm").ok_or_else(|| err("no arm".into()))?,
                visitors,
                converters: int("converters")?,
                conversions: int("conversions")?,
                revenue: Sample::from_sums(visitors, float("value_sum")?, float("value_sumsq")?),
                anonymous_exposures: int("anonymous_exposures")?,
                anonymous_conversions: int("anonymous_conversions")?,
                anonymous_value: float("anonymous_value")?,
                outcomes: Vec::new(),
            })
        };
        match cell("what") {
            "input" => {
                tally.events = int("visitors")?;
                tally.outside_window = int("converters")?;
                if tally.events > 0 {
                    tally.span = Some((int("order_ts")?, int("order_row")?));
                }
            }
            "goal" => {
                let name = text("name").ok_or_else(|| err("goal without a name".into()))?;
                tally.goals.insert(name, int("visitors")?);
            }
            "unit" => {
                let u = units.entry((kind()?, cell("unit").to_owned())).or_default();
                u.tally.crossovers = int("crossovers")?;
                u.tally.unexposed_conversions = int("unexposed")?;
                u.tally.mismatched_conversions = int("mismatched")?;
                u.tally.via_experiment = matches!(cell("via_experiment"), "true" | "1");
            }
            "arm" => {
                let u = units.entry((kind()?, cell("unit").to_owned())).or_default();
                u.arms.push((order()?, arm()?));
            }
            "stratum" => {
                let key = (
                    text("context").ok_or_else(|| err("stratum without a context".into()))?,
                    text("split"),
                );
                let o = order()?;
                let a = arm()?;
                let u = units.entry((kind()?, cell("unit").to_owned())).or_default();
                let s = u
                    .strata
                    .entry(key)
                    .or_insert_with(|| (o.clone(), Vec::new()));
                s.0 = s.0.clone().min(o);
                s.1.push((a.arm.clone(), a));
            }
            other => return Err(err(format!("unknown row kind {other:?}"))),
        }
    }
    tally.units = units
        .into_iter()
        .map(|(key, mut u)| {
            u.arms.sort_by(|a, b| a.0.cmp(&b.0));
            let arms: Vec<ArmTally> = u.arms.into_iter().map(|(_, a)| a).collect();
            let mut strata: Vec<(Order, Stratum)> = u
                .strata
                .into_iter()
                .map(|((context, split), (order, found))| {
                    let arms = arms
                        .iter()
                        .map(|a| {
                            found
                                .iter()
                                .find(|(name, _)| *name == a.arm)
                                .map(|(_, s)| s.clone())
                                .unwrap_or_else(|| ArmTally {
                                    arm: a.arm.clone(),
                                    ..ArmTally::default()
                                })
                        })
                        .collect();
                    (
                        order,
                        Stratum {
                            context,
                            split,
                            arms,
                        },
                    )
                })
                .collect();
            strata.sort_by(|a, b| a.0.cmp(&b.0));
            u.tally.arms = arms;
            u.tally.strata = strata.into_iter().map(|(_, s)| s).collect();
            (key, u.tally)
        })
        .collect();
    Ok(tally)
}
