//! The report's counting as one SQL query (`vitrine report --sql`, and `vitrine optimize
//! --sql` for the bandits), for an engine that reads the Parquet files where they are (DuckDB
//! here), and the way back: [`aggregates`] reads the engine's small answer into the
//! [`Tally`](crate::aggregate::Tally) that `--from-aggregates` reports or optimizes from.
//!
//! The query (`query.sql`) follows [`crate::aggregate`] rule by rule: a visitor's arm is their
//! earliest exposure by (time, file, row), files in the order given and a directory's in path
//! order, as `vitrine report` reads them; conversions are attributed when their cookie maps carry the visitor's arm;
//! global-holdout conversions count for the units the visitor was held out of; anonymous
//! events are tallied per arm only. Its answer has one row per input, goal, unit, arm and
//! bandit stratum arm ([`COLUMNS`]), a few hundred rows for any number of events.
//!
//! **Lean enough for one small machine.** An engine keeps a CTE that is used twice in memory
//! (DuckDB materializes it), so every scan of the events is written out as a subquery used
//! once, and only small results (conversions, per-visitor claims, per-cell counts) are CTEs.
//! Exposures are reduced to one row per unit and visitor (`min_by` over a numeric order key)
//! before the one join with the conversions; no window runs over the events, and no string
//! is carried in the order key.
//!
//! **Goals.** Each row of the answer counts conversions of one goal (`for_goal`): the report's
//! `--goal`, or every goal of the bandits for `optimize` (each bandit learns from its own),
//! empty for "any conversion". What the answer cannot carry is each visitor's outcome, so
//! `--cuped` (which regresses on per-visitor covariates) is not available from aggregates.

pub mod aggregates;

use crate::aggregate::Filter;

/// The columns of the engine's answer, in order.
pub const COLUMNS: [&str; 24] = [
    "what",
    "for_goal",
    "kind",
    "unit",
    "arm",
    "context",
    "split",
    "name",
    "visitors",
    "converters",
    "conversions",
    "value_sum",
    "value_sumsq",
    "anonymous_exposures",
    "anonymous_conversions",
    "anonymous_value",
    "crossovers",
    "unexposed",
    "mismatched",
    "via_experiment",
    "order_phase",
    "order_key",
    "first_ts",
    "last_ts",
];

/// Which conversions and units a query counts.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// `vitrine report`: every experiment and campaign, conversions of the filter's goal (or
    /// any conversion, `for_goal` empty).
    Report,
    /// `vitrine optimize`: only these experiments, each goal counted on its own.
    Bandits {
        /// The bandits' goals.
        goals: &'a [String],
        /// The bandit experiments' keys.
        experiments: &'a [String],
    },
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| quote(i)).collect();
    quoted.join(", ")
}

/// The report's query over `files` (paths or globs) under `filter`.
pub fn query(files: &[String], filter: &Filter) -> String {
    build(files, filter, Scope::Report)
}

/// The query over `files` (paths or globs) under `filter`'s time window, for `scope` (the goal
/// of [`Scope::Report`] is `filter.goal`).
pub fn build(files: &[String], filter: &Filter, scope: Scope<'_>) -> String {
    let read = format!(
        "read_parquet([{}], file_row_number = true, union_by_name = true)",
        list(files)
    );
    let since = filter
        .since
        .map_or("TRUE".to_owned(), |s| format!("r.ts >= {s}"));
    let until = filter
        .until
        .map_or("TRUE".to_owned(), |u| format!("r.ts < {u}"));
    let inside = format!("({since} AND {until})");
    let (title, run, goal_values, goal_of, goal_filter, scan_scope, unit_scope, claim_scope) =
        match scope {
            Scope::Report => {
                let goal = filter.goal.clone().unwrap_or_default();
                let goal_filter = filter
                    .goal
                    .as_deref()
                    .map_or(String::new(), |g| format!(" AND r.name = {}", quote(g)));
                (
                    "vitrine report --sql: the counts the report's statistics need, per unit and arm.",
                    "vitrine report --from-aggregates aggregates.csv",
                    format!("({})", quote(&goal)),
                    quote(&goal),
                    goal_filter,
                    String::new(),
                    String::new(),
                    "TRUE".to_owned(),
                )
            }
            Scope::Bandits { goals, experiments } => {
                let values: Vec<String> = goals.iter().map(|g| format!("({})", quote(g))).collect();
                let keys = list(experiments);
                (
                    "vitrine optimize --sql: per bandit, context, allocation period and arm, the counts the posteriors need.",
                    "vitrine optimize --from-aggregates aggregates.csv --campaigns …",
                    values.join(", "),
                    "r.name".to_owned(),
                    format!(" AND r.name IN ({})", list(goals)),
                    format!(" AND r.experiment IN ({keys})"),
                    " AND u.kind = 'experiment'".to_owned(),
                    format!("kind = 'experiment' AND unit IN ({keys})"),
                )
            }
        };
    let ord = "CAST(r.ts AS HUGEINT) * 1000000000000000000 + r.file_index * 1000000000000 + r.file_row_number";
    let exposures = EXPOSURES
        .replace("{scan_scope}", &scan_scope)
        .replace("{unit_scope}", &unit_scope);
    include_str!("query.sql")
        .replace("{title}", title)
        .replace("{run}", run)
        .replace("{exposures}", exposures.trim_end())
        .replace("{ord}", ord)
        .replace("{inside}", &inside)
        .replace("{goal_values}", &goal_values)
        .replace("{goal_of}", &goal_of)
        .replace("{goal_filter}", &goal_filter)
        .replace("{claim_scope}", &claim_scope)
        // Last: a file name is not searched for placeholders.
        .replace("{read}", &read)
}

/// Every exposure inside the window, once per unit it counts for (its experiment, its
/// campaign), with its order key: written out where it is used, each time scanning the
/// files, so that no engine holds it.
const EXPOSURES: &str = r#"(
    SELECT u.kind, CASE u.kind WHEN 'experiment' THEN e.experiment ELSE e.campaign END AS unit,
           CASE WHEN u.kind = 'experiment' OR e.experiment IS NULL THEN e.arm
                WHEN e.arm = 'holdout' THEN 'holdout' ELSE 'shown' END AS arm,
           e.visitor, CASE u.kind WHEN 'experiment' THEN e.context ELSE '' END AS context,
           CASE u.kind WHEN 'experiment' THEN e.split ELSE '' END AS split, e.ord,
           u.kind = 'campaign' AND e.experiment IS NOT NULL AS via
    FROM (SELECT nullif(r.visitor, '') AS visitor, coalesce(r.global_holdout, false) AS global_holdout,
                 nullif(r.experiment, '') AS experiment, nullif(r.campaign, '') AS campaign, r.arm,
                 coalesce(r.context, '') AS context, coalesce(r.split, '') AS split, {ord} AS ord
          FROM {read} AS r
          WHERE r.schema = 2 AND r.event = 'vitrine.exposure' AND nullif(r.arm, '') IS NOT NULL
            AND {inside}{scan_scope}) AS e
    CROSS JOIN (VALUES ('experiment'), ('campaign')) AS u(kind)
    WHERE (CASE u.kind WHEN 'experiment' THEN e.experiment ELSE e.campaign END) IS NOT NULL
      AND NOT (u.kind = 'campaign' AND e.experiment IS NOT NULL AND e.arm = 'holdout' AND NOT e.global_holdout){unit_scope}
  )
"#;

#[cfg(test)]
mod tests;
