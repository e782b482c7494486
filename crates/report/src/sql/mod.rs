//! The report's counting as one SQL query (`vitrine report --sql`), for an engine that reads
//! the Parquet files where they are (DuckDB here; the same query runs on engines with DuckDB's
//! `read_parquet`, JSON and struct dialect), and the way back: [`aggregates`] reads the
//! engine's small answer into the [`Tally`](crate::aggregate::Tally) that `--from-aggregates`
//! reports from.
//!
//! The query follows [`crate::aggregate`] rule by rule: a visitor's arm is their earliest
//! exposure by (time, file, row), the order `vitrine report` reads the same files in (one
//! hash aggregate per unit and visitor, `arg_min`, rather than a sorted window);
//! conversions are attributed when their cookie maps carry the visitor's arm; global-holdout
//! conversions count for the units the visitor was held out of; anonymous events are tallied
//! per arm only. Its answer has one row per input, goal, unit, arm and bandit stratum arm
//! ([`COLUMNS`]), a few hundred rows for any number of events.
//!
//! What the answer cannot carry is each visitor's outcome, so `--cuped` (which regresses on
//! per-visitor covariates) is not available from aggregates.

pub mod aggregates;

use crate::aggregate::Filter;

/// The columns of the engine's answer, in order.
pub const COLUMNS: [&str; 23] = [
    "what",
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
    "order_ts",
    "order_file",
    "order_row",
];

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The query over `files` (paths or globs, read in the order given) under `filter`.
pub fn query(files: &[String], filter: &Filter) -> String {
    let list: Vec<String> = files.iter().map(|f| quote(f)).collect();
    let since = filter
        .since
        .map_or("TRUE".to_owned(), |s| format!("ts >= {s}"));
    let until = filter
        .until
        .map_or("TRUE".to_owned(), |u| format!("ts < {u}"));
    let goal = filter
        .goal
        .as_deref()
        .map_or(String::new(), |g| format!(" AND name = {}", quote(g)));
    TEMPLATE
        .replace("{files}", &list.join(", "))
        .replace("{since}", &since)
        .replace("{until}", &until)
        .replace("{goal}", &goal)
}

const TEMPLATE: &str = r#"-- vitrine report --sql: the counts the report's statistics need, per unit and arm.
-- Run it where the Parquet files are (DuckDB: duckdb -csv -c "$(vitrine report --sql …)" > aggregates.csv)
-- and report from the answer: vitrine report --from-aggregates aggregates.csv
WITH ev AS (
  SELECT event, ts, nullif(visitor, '') AS visitor, coalesce(global_holdout, false) AS global_holdout,
         nullif(experiment, '') AS experiment, nullif(campaign, '') AS campaign, nullif(arm, '') AS arm,
         nullif(context, '') AS context, nullif(split, '') AS split, name,
         CASE WHEN isfinite(value) THEN value ELSE 0 END AS value,
         coalesce(nullif(CAST(assignments AS VARCHAR), ''), '{}') AS assignments,
         coalesce(nullif(CAST(campaigns AS VARCHAR), ''), '{}') AS campaigns,
         filename AS f, file_row_number AS r,
         ({since} AND {until}) AS inside
  FROM read_parquet([{files}], filename = true, file_row_number = true, union_by_name = true)
  WHERE schema = 2 AND event IN ('vitrine.exposure', 'vitrine.conversion')
    AND (event = 'vitrine.conversion' OR nullif(arm, '') IS NOT NULL)
),
x AS (
  SELECT 'experiment' AS kind, experiment AS unit, arm, visitor, context, split, ts, f, r, false AS via
  FROM ev WHERE inside AND event = 'vitrine.exposure' AND experiment IS NOT NULL
  UNION ALL
  SELECT 'campaign', campaign,
         CASE WHEN experiment IS NULL THEN arm WHEN arm = 'holdout' THEN 'holdout' ELSE 'shown' END,
         visitor, NULL, NULL, ts, f, r, experiment IS NOT NULL
  FROM ev WHERE inside AND event = 'vitrine.exposure' AND campaign IS NOT NULL
    AND NOT (experiment IS NOT NULL AND arm = 'holdout' AND NOT global_holdout)
),
first_exposure AS (
  SELECT kind, unit, visitor,
         arg_min({'arm': arm, 'context': context, 'split': split}, {'ts': ts, 'f': f, 'r': r}) AS a,
         min({'ts': ts, 'f': f, 'r': r}) AS k,
         count(DISTINCT arm) > 1 AS crossed
  FROM x WHERE visitor IS NOT NULL GROUP BY ALL
),
first AS (
  SELECT kind, unit, visitor, a.arm AS arm, a.context AS context, a.split AS split,
         k.ts AS ts, k.f AS f, k.r AS r, crossed
  FROM first_exposure
),
conv AS (
  SELECT visitor, value, global_holdout, assignments, campaigns, ts, f, r
  FROM ev WHERE inside AND event = 'vitrine.conversion'{goal}
),
cu AS (
  SELECT 'experiment' AS kind, k AS unit, json_extract_string(c.assignments, '$."' || k || '"') AS arm,
         c.visitor, c.value, c.ts, c.f, c.r
  FROM conv c, unnest(json_keys(c.assignments)) AS t(k)
  UNION ALL
  SELECT 'campaign', k, json_extract_string(c.campaigns, '$."' || k || '"'), c.visitor, c.value, c.ts, c.f, c.r
  FROM conv c, unnest(json_keys(c.campaigns)) AS t(k)
  UNION ALL
  SELECT fi.kind, fi.unit, 'holdout', c.visitor, c.value, c.ts, c.f, c.r
  FROM conv c JOIN first fi ON fi.visitor = c.visitor AND fi.arm = 'holdout'
  WHERE c.global_holdout
    AND NOT list_contains(json_keys(CASE fi.kind WHEN 'experiment' THEN c.assignments ELSE c.campaigns END), fi.unit)
),
att AS (
  SELECT cu.*, fi.arm AS first_arm
  FROM cu LEFT JOIN first fi ON fi.kind = cu.kind AND fi.unit = cu.unit AND fi.visitor = cu.visitor
),
per_visitor AS (
  SELECT kind, unit, visitor, count(*) AS conversions, sum(value) AS value
  FROM att WHERE visitor IS NOT NULL AND first_arm = arm GROUP BY ALL
),
visitor_arms AS (
  SELECT fi.kind, fi.unit, fi.arm, fi.context, fi.split, pv.conversions, pv.value
  FROM first fi LEFT JOIN per_visitor pv USING (kind, unit, visitor)
),
arm_stats AS (
  SELECT kind, unit, arm, count(*) AS visitors, count(conversions) AS converters,
         coalesce(sum(conversions), 0) AS conversions, coalesce(sum(value), 0) AS value_sum,
         coalesce(sum(value * value), 0) AS value_sumsq
  FROM visitor_arms GROUP BY ALL
),
anon_x AS (
  SELECT kind, unit, arm, count(*) AS anonymous_exposures FROM x WHERE visitor IS NULL GROUP BY ALL
),
anon_c AS (
  SELECT kind, unit, arm, count(*) AS anonymous_conversions, sum(value) AS anonymous_value
  FROM cu WHERE visitor IS NULL GROUP BY ALL
),
arm_order AS (
  SELECT kind, unit, arm, 0 AS phase, min({'ts': ts, 'f': f, 'r': r}) AS k FROM x GROUP BY ALL
  UNION ALL
  SELECT kind, unit, arm, 1, min({'ts': ts, 'f': f, 'r': r})
  FROM cu WHERE visitor IS NULL AND NOT EXISTS (
    SELECT 1 FROM x WHERE x.kind = cu.kind AND x.unit = cu.unit AND x.arm = cu.arm)
  GROUP BY ALL
),
units AS (
  SELECT kind, unit FROM x UNION SELECT kind, unit FROM cu
),
unit_stats AS (
  SELECT u.kind, u.unit,
    (SELECT count(*) FROM first c WHERE c.kind = u.kind AND c.unit = u.unit AND c.crossed) AS crossovers,
    (SELECT count(*) FROM att a WHERE a.kind = u.kind AND a.unit = u.unit AND a.visitor IS NOT NULL AND a.first_arm IS NULL) AS unexposed,
    (SELECT count(*) FROM att a WHERE a.kind = u.kind AND a.unit = u.unit AND a.visitor IS NOT NULL AND a.first_arm <> a.arm) AS mismatched,
    coalesce((SELECT bool_or(via) FROM x WHERE x.kind = u.kind AND x.unit = u.unit), false) AS via_experiment
  FROM units u
),
strata AS (
  SELECT fi.kind, fi.unit, fi.context, fi.split, min({'ts': fi.ts, 'f': fi.f, 'r': fi.r}) AS k
  FROM first fi WHERE fi.context IS NOT NULL GROUP BY ALL
),
stratum_stats AS (
  SELECT kind, unit, context, split, arm, count(*) AS visitors, count(conversions) AS converters,
         coalesce(sum(conversions), 0) AS conversions, coalesce(sum(value), 0) AS value_sum,
         coalesce(sum(value * value), 0) AS value_sumsq
  FROM visitor_arms WHERE context IS NOT NULL GROUP BY ALL
)
SELECT 'input' AS what, NULL AS kind, NULL AS unit, NULL AS arm, NULL AS context, NULL AS split, NULL AS name,
       count(*) FILTER (WHERE inside) AS visitors, count(*) FILTER (WHERE NOT inside) AS converters,
       NULL AS conversions, NULL AS value_sum, NULL AS value_sumsq,
       NULL AS anonymous_exposures, NULL AS anonymous_conversions, NULL AS anonymous_value,
       NULL AS crossovers, NULL AS unexposed, NULL AS mismatched, NULL AS via_experiment,
       NULL AS order_phase, min(ts) FILTER (WHERE inside) AS order_ts, NULL AS order_file,
       max(ts) FILTER (WHERE inside) AS order_row
FROM ev
UNION ALL
SELECT 'goal', NULL, NULL, NULL, NULL, NULL, name, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM ev WHERE inside AND event = 'vitrine.conversion' GROUP BY name
UNION ALL
SELECT 'unit', kind, unit, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       crossovers, unexposed, mismatched, via_experiment, NULL, NULL, NULL, NULL
FROM unit_stats
UNION ALL
SELECT 'arm', o.kind, o.unit, o.arm, NULL, NULL, NULL,
       coalesce(s.visitors, 0), coalesce(s.converters, 0), coalesce(s.conversions, 0),
       coalesce(s.value_sum, 0), coalesce(s.value_sumsq, 0),
       coalesce(ax.anonymous_exposures, 0), coalesce(ac.anonymous_conversions, 0),
       coalesce(ac.anonymous_value, 0), NULL, NULL, NULL, NULL,
       o.phase, o.k.ts, o.k.f, o.k.r
FROM arm_order o
LEFT JOIN arm_stats s USING (kind, unit, arm)
LEFT JOIN anon_x ax USING (kind, unit, arm)
LEFT JOIN anon_c ac USING (kind, unit, arm)
UNION ALL
SELECT 'stratum', s.kind, s.unit, ss.arm, s.context, s.split, NULL,
       ss.visitors, ss.converters, ss.conversions, ss.value_sum, ss.value_sumsq,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, s.k.ts, s.k.f, s.k.r
FROM strata s JOIN stratum_stats ss
  ON ss.kind = s.kind AND ss.unit = s.unit AND ss.context = s.context
 AND ss.split IS NOT DISTINCT FROM s.split
ORDER BY what, kind, unit, order_phase, order_ts, order_file, order_row, context, split, arm
"#;
