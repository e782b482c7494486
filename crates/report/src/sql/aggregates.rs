//! The engine's answer to [`super::query`] (CSV with a header, as `duckdb -csv` or any
//! engine's CSV export writes it) back into the [`Tally`] the statistics start from.
//!
//! Rows by `what`:
//! - `input`: `visitors` = events inside the window, `converters` = events outside it,
//!   `first_ts`/`last_ts` = the first and last event time inside it;
//! - `goal`: conversions per `name` (`visitors` column);
//! - `unit`: `crossovers`, `unexposed`, `mismatched`, `via_experiment` of a unit;
//! - `arm`: an arm's counts and sums, ordered by (`order_phase`, `order_key`), the order the
//!   report lists arms in (`order_key` is time, file and row in one integer);
//! - `stratum`: one arm of one bandit stratum (`context`, `split`), strata ordered alike.
//!
//! `unit`, `arm` and `stratum` rows count the conversions of their `for_goal` (empty: any);
//! `input` and `goal` rows hold for every goal.
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
    /// The answer counts other conversions than the ones asked for.
    #[error("the answer counts conversions of {found}, not of {wanted}: run the query that `--sql` prints with the same --goal (or campaigns) again")]
    Goal {
        /// The goal asked for.
        wanted: String,
        /// The goals the answer holds.
        found: String,
    },
    /// A row could not be read.
    #[error("row {row}: {reason}")]
    Row {
        /// 1-based data row.
        row: usize,
        /// What was wrong.
        reason: String,
    },
}

/// Order key of an arm or stratum: (phase, time-file-row key).
type Order = (u64, u128);

/// A bandit stratum's key (context, split) and its arms by name, with its order key.
type Strata = BTreeMap<(String, Option<String>), (Order, Vec<(String, ArmTally)>)>;

#[derive(Default)]
struct Unit {
    tally: UnitTally,
    arms: Vec<(Order, ArmTally)>,
    strata: Strata,
}

/// Units being read, per (kind, name).
type Units = BTreeMap<(Kind, String), Unit>;

/// Reads the answer to the report's query, which must count the conversions of `goal`
/// (`None`: any conversion).
pub fn read(csv: impl std::io::Read, goal: Option<&str>) -> Result<Tally, AggregatesError> {
    let wanted = goal.unwrap_or_default();
    let mut per_goal = read_goals(csv)?;
    let found = per_goal.len();
    match per_goal.remove(wanted) {
        Some(tally) if found == 1 => Ok(tally),
        Some(_) => Err(goal_error(wanted, &per_goal)),
        None if per_goal.values().all(|t| t.units.is_empty()) => {
            Ok(per_goal.into_values().next().unwrap_or_default())
        }
        None => Err(goal_error(wanted, &per_goal)),
    }
}

fn goal_error(wanted: &str, found: &BTreeMap<String, Tally>) -> AggregatesError {
    let name = |g: &str| {
        if g.is_empty() {
            "any goal".to_owned()
        } else {
            format!("`{g}`")
        }
    };
    AggregatesError::Goal {
        wanted: name(wanted),
        found: found.keys().map(|g| name(g)).collect::<Vec<_>>().join(", "),
    }
}

/// Reads an answer into one [`Tally`] per `for_goal` (the empty goal: any conversion); with no
/// unit in the answer, one tally under the empty goal.
pub fn read_goals(csv: impl std::io::Read) -> Result<BTreeMap<String, Tally>, AggregatesError> {
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
    let mut shared = Tally::default();
    let mut goals: BTreeMap<String, Units> = BTreeMap::new();
    for (i, record) in reader.records().enumerate() {
        let row = Row {
            row: i + 1,
            record: record.map_err(|e| AggregatesError::Row {
                row: i + 1,
                reason: e.to_string(),
            })?,
            cols: &cols,
        };
        row.apply(&mut shared, &mut goals)?;
    }
    if goals.is_empty() {
        goals.insert(String::new(), Units::new());
    }
    Ok(goals
        .into_iter()
        .map(|(goal, units)| {
            let tally = Tally {
                units: units.into_iter().map(|(k, u)| (k, u.finish())).collect(),
                ..shared.clone()
            };
            (goal, tally)
        })
        .collect())
}

/// One data row of the answer.
struct Row<'a> {
    row: usize,
    record: ::csv::StringRecord,
    cols: &'a [usize],
}

impl Row<'_> {
    fn err(&self, reason: String) -> AggregatesError {
        AggregatesError::Row {
            row: self.row,
            reason,
        }
    }

    fn cell(&self, name: &str) -> &str {
        let at = super::COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
        self.record.get(self.cols[at]).unwrap_or("").trim()
    }

    fn text(&self, name: &str) -> Option<String> {
        Some(self.cell(name))
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
    }

    /// A count; engines may write integers as `12.0`.
    fn int(&self, name: &str) -> Result<u64, AggregatesError> {
        Ok(self.wide(name)? as u64)
    }

    /// An order key, up to 38 digits (`12.0` too, as an engine may write a DECIMAL).
    fn wide(&self, name: &str) -> Result<u128, AggregatesError> {
        let c = self.cell(name);
        if c.is_empty() {
            return Ok(0);
        }
        let digits = c.strip_suffix(".0").unwrap_or(c);
        digits
            .parse::<u128>()
            .or_else(|_| {
                c.parse::<f64>()
                    .ok()
                    .filter(|f| {
                        f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 2f64.powi(53)
                    })
                    .map(|f| f as u128)
                    .ok_or(())
            })
            .map_err(|()| self.err(format!("{name}: {c:?} is not a count")))
    }

    fn float(&self, name: &str) -> Result<f64, AggregatesError> {
        let c = self.cell(name);
        if c.is_empty() {
            return Ok(0.0);
        }
        c.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .ok_or_else(|| self.err(format!("{name}: {c:?} is not a number")))
    }

    fn kind(&self) -> Result<Kind, AggregatesError> {
        match self.cell("kind") {
            "experiment" => Ok(Kind::Experiment),
            "campaign" => Ok(Kind::Campaign),
            other => Err(self.err(format!("kind {other:?} is not experiment or campaign"))),
        }
    }

    fn order(&self) -> Result<Order, AggregatesError> {
        Ok((self.int("order_phase")?, self.wide("order_key")?))
    }

    fn arm(&self) -> Result<ArmTally, AggregatesError> {
        let visitors = self.int("visitors")?;
        Ok(ArmTally {
            arm: self.text("arm").ok_or_else(|| self.err("no arm".into()))?,
            visitors,
            converters: self.int("converters")?,
            conversions: self.int("conversions")?,
            revenue: Sample::from_sums(
                visitors,
                self.float("value_sum")?,
                self.float("value_sumsq")?,
            ),
            anonymous_exposures: self.int("anonymous_exposures")?,
            anonymous_conversions: self.int("anonymous_conversions")?,
            anonymous_value: self.float("anonymous_value")?,
            outcomes: Vec::new(),
        })
    }

    fn unit<'u>(
        &self,
        goals: &'u mut BTreeMap<String, Units>,
    ) -> Result<&'u mut Unit, AggregatesError> {
        let key = (self.kind()?, self.cell("unit").to_owned());
        let units = goals.entry(self.cell("for_goal").to_owned()).or_default();
        Ok(units.entry(key).or_default())
    }

    fn apply(
        &self,
        shared: &mut Tally,
        goals: &mut BTreeMap<String, Units>,
    ) -> Result<(), AggregatesError> {
        match self.cell("what") {
            "input" => {
                shared.events = self.int("visitors")?;
                shared.outside_window = self.int("converters")?;
                if shared.events > 0 {
                    shared.span = Some((self.int("first_ts")?, self.int("last_ts")?));
                }
            }
            "goal" => {
                let name = self
                    .text("name")
                    .ok_or_else(|| self.err("goal without a name".into()))?;
                shared.goals.insert(name, self.int("visitors")?);
            }
            "unit" => {
                let u = self.unit(goals)?;
                u.tally.crossovers = self.int("crossovers")?;
                u.tally.unexposed_conversions = self.int("unexposed")?;
                u.tally.mismatched_conversions = self.int("mismatched")?;
                u.tally.via_experiment = matches!(self.cell("via_experiment"), "true" | "1");
            }
            "arm" => {
                let (order, arm) = (self.order()?, self.arm()?);
                self.unit(goals)?.arms.push((order, arm));
            }
            "stratum" => {
                let key = (
                    self.text("context")
                        .ok_or_else(|| self.err("stratum without a context".into()))?,
                    self.text("split"),
                );
                let (order, arm) = (self.order()?, self.arm()?);
                let s = self
                    .unit(goals)?
                    .strata
                    .entry(key)
                    .or_insert_with(|| (order, Vec::new()));
                s.0 = s.0.min(order);
                s.1.push((arm.arm.clone(), arm));
            }
            other => return Err(self.err(format!("unknown row kind {other:?}"))),
        }
        Ok(())
    }
}

impl Unit {
    /// The unit's tallies, arms and strata in order of their keys.
    fn finish(mut self) -> UnitTally {
        self.arms.sort_by_key(|a| a.0);
        let arms: Vec<ArmTally> = self.arms.into_iter().map(|(_, a)| a).collect();
        let mut strata: Vec<(Order, Stratum)> = self
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
                let stratum = Stratum {
                    context,
                    split,
                    arms,
                };
                (order, stratum)
            })
            .collect();
        strata.sort_by_key(|s| s.0);
        self.tally.arms = arms;
        self.tally.strata = strata.into_iter().map(|(_, s)| s).collect();
        self.tally
    }
}
