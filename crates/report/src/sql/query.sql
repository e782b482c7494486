-- {title}
-- Run it where the Parquet files are, then compute the statistics from its small answer:
--   {run}
-- Dialect: DuckDB (tested with 1.4). Besides standard SQL (CTEs, FULL JOIN, VALUES, CASE, one
-- window over the claimed conversions) it uses read_parquet (its file_index and
-- file_row_number columns), HUGEINT, min_by, isfinite, unnest, json_keys, json_extract_string
-- and list_contains; docs/reference.md#sql-aggregates says what another engine replaces.
-- Lean by design: each scan of the events is a subquery used once (an engine materializes a
-- CTE used twice), exposures are reduced to one row per unit and visitor before the one join,
-- and the order key (time, file, row) is one integer, not a string.
WITH
goals AS (
  SELECT goal FROM (VALUES {goal_values}) AS g(goal)
),
conversions AS (
  SELECT nullif(r.visitor, '') AS visitor, coalesce(r.global_holdout, false) AS global_holdout,
         {goal_of} AS goal,
         CASE WHEN isfinite(r.value) THEN r.value ELSE 0 END AS value,
         coalesce(nullif(CAST(r.assignments AS VARCHAR), ''), '{}') AS assignments,
         coalesce(nullif(CAST(r.campaigns AS VARCHAR), ''), '{}') AS campaigns,
         {ord} AS ord
  FROM {read} AS r
  WHERE r.schema = 2 AND r.event = 'vitrine.conversion' AND {inside}{goal_filter}
),
held AS (
  SELECT kind, unit, visitor FROM (
    SELECT x.kind, x.unit, x.visitor, min_by(x.arm, x.ord) AS arm
    FROM {exposures} AS x
    WHERE x.visitor IN (SELECT visitor FROM conversions WHERE global_holdout AND visitor IS NOT NULL)
    GROUP BY x.kind, x.unit, x.visitor
  ) AS h WHERE arm = 'holdout'
),
claims AS (
  SELECT * FROM (
    SELECT 'experiment' AS kind, t.name AS unit,
           json_extract_string(c.assignments, '$."' || t.name || '"') AS arm,
           c.visitor, c.goal, c.value, c.ord
    FROM conversions AS c, unnest(json_keys(c.assignments)) AS t(name)
    UNION ALL
    SELECT 'campaign', t.name, json_extract_string(c.campaigns, '$."' || t.name || '"'),
           c.visitor, c.goal, c.value, c.ord
    FROM conversions AS c, unnest(json_keys(c.campaigns)) AS t(name)
    UNION ALL
    SELECT h.kind, h.unit, 'holdout', c.visitor, c.goal, c.value, c.ord
    FROM conversions AS c JOIN held AS h ON h.visitor = c.visitor
    WHERE c.global_holdout
      AND NOT list_contains(json_keys(CASE h.kind WHEN 'experiment' THEN c.assignments ELSE c.campaigns END), h.unit)
  ) AS u WHERE {claim_scope}
),
claimed AS (
  SELECT kind, unit, visitor, goal, arm, count(*) AS conversions, sum(value) AS value,
         arm = min(arm) OVER (PARTITION BY kind, unit, visitor, goal) AS lead
  FROM claims WHERE visitor IS NOT NULL
  GROUP BY kind, unit, visitor, goal, arm
),
first_exposure AS (
  SELECT x.kind, x.unit, x.visitor, min_by(x.arm, x.ord) AS arm, min_by(x.context, x.ord) AS context,
         min_by(x.split, x.ord) AS split, min(x.ord) AS ord, min(x.arm) <> max(x.arm) AS crossed
  FROM {exposures} AS x WHERE x.visitor IS NOT NULL
  GROUP BY x.kind, x.unit, x.visitor
),
joined AS (
  SELECT coalesce(fi.kind, cl.kind) AS kind, coalesce(fi.unit, cl.unit) AS unit,
         coalesce(fi.goal, cl.goal) AS goal, fi.arm, fi.context, fi.split, fi.ord, fi.crossed,
         fi.visitor IS NOT NULL AS exposed, (cl.visitor IS NULL OR cl.lead) AS lead,
         cl.arm AS claimed, cl.conversions, cl.value
  FROM (SELECT e.kind, e.unit, e.visitor, e.arm, e.context, e.split, e.ord, e.crossed, g.goal
        FROM first_exposure AS e CROSS JOIN goals AS g) AS fi
  FULL JOIN claimed AS cl
    ON cl.kind = fi.kind AND cl.unit = fi.unit AND cl.visitor = fi.visitor AND cl.goal = fi.goal
),
cells AS (
  SELECT kind, unit, goal, arm, context, split,
         count(CASE WHEN exposed AND lead THEN 1 END) AS visitors,
         count(CASE WHEN claimed = arm THEN 1 END) AS converters,
         sum(CASE WHEN claimed = arm THEN conversions ELSE 0 END) AS conversions,
         sum(CASE WHEN claimed = arm THEN value ELSE 0 END) AS value_sum,
         sum(CASE WHEN claimed = arm THEN value * value ELSE 0 END) AS value_sumsq,
         count(CASE WHEN exposed AND lead AND crossed THEN 1 END) AS crossovers,
         sum(CASE WHEN exposed AND claimed <> arm THEN conversions ELSE 0 END) AS mismatched,
         sum(CASE WHEN NOT exposed THEN conversions ELSE 0 END) AS unexposed,
         min(CASE WHEN exposed THEN ord END) AS ord
  FROM joined GROUP BY kind, unit, goal, arm, context, split
),
exposed_arms AS (
  SELECT x.kind, x.unit, x.arm, min(x.ord) AS ord,
         count(CASE WHEN x.visitor IS NULL THEN 1 END) AS anonymous_exposures,
         max(CASE WHEN x.via THEN 1 ELSE 0 END) AS via
  FROM {exposures} AS x GROUP BY x.kind, x.unit, x.arm
),
anonymous AS (
  SELECT kind, unit, goal, arm, count(*) AS conversions, sum(value) AS value, min(ord) AS ord
  FROM claims WHERE visitor IS NULL GROUP BY kind, unit, goal, arm
),
arms AS (
  SELECT x.kind, x.unit, g.goal, x.arm, 0 AS phase, x.ord, x.anonymous_exposures
  FROM exposed_arms AS x CROSS JOIN goals AS g
  UNION ALL
  SELECT a.kind, a.unit, a.goal, a.arm, 1, a.ord, 0 FROM anonymous AS a
  WHERE NOT EXISTS (SELECT 1 FROM exposed_arms AS x WHERE x.kind = a.kind AND x.unit = a.unit AND x.arm = a.arm)
),
arm_cells AS (
  SELECT kind, unit, goal, arm, sum(visitors) AS visitors, sum(converters) AS converters,
         sum(conversions) AS conversions, sum(value_sum) AS value_sum, sum(value_sumsq) AS value_sumsq
  FROM cells WHERE arm IS NOT NULL GROUP BY kind, unit, goal, arm
),
units AS (
  SELECT kind, unit, goal, max(via) AS via FROM (
    SELECT x.kind, x.unit, g.goal, x.via FROM exposed_arms AS x CROSS JOIN goals AS g
    UNION ALL
    SELECT kind, unit, goal, 0 FROM claims
  ) AS named GROUP BY kind, unit, goal
),
unit_cells AS (
  SELECT kind, unit, goal, sum(crossovers) AS crossovers, sum(unexposed) AS unexposed,
         sum(mismatched) AS mismatched
  FROM cells GROUP BY kind, unit, goal
),
strata AS (
  SELECT kind, unit, goal, context, split, min(ord) AS ord
  FROM cells WHERE context <> '' AND arm IS NOT NULL GROUP BY kind, unit, goal, context, split
)
SELECT 'input' AS what, NULL AS for_goal, NULL AS kind, NULL AS unit, NULL AS arm, NULL AS context,
       NULL AS split, NULL AS name, count(CASE WHEN inside THEN 1 END) AS visitors,
       count(CASE WHEN NOT inside THEN 1 END) AS converters, NULL AS conversions, NULL AS value_sum,
       NULL AS value_sumsq, NULL AS anonymous_exposures, NULL AS anonymous_conversions,
       NULL AS anonymous_value, NULL AS crossovers, NULL AS unexposed, NULL AS mismatched,
       NULL AS via_experiment, NULL AS order_phase, NULL AS order_key,
       min(CASE WHEN inside THEN ts END) AS first_ts, max(CASE WHEN inside THEN ts END) AS last_ts
FROM (SELECT r.ts, {inside} AS inside FROM {read} AS r
      WHERE r.schema = 2 AND r.event IN ('vitrine.exposure', 'vitrine.conversion')
        AND (r.event = 'vitrine.conversion' OR nullif(r.arm, '') IS NOT NULL)) AS counted
UNION ALL
SELECT 'goal', NULL, NULL, NULL, NULL, NULL, NULL, r.name, count(*), NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM {read} AS r WHERE r.schema = 2 AND r.event = 'vitrine.conversion' AND {inside} GROUP BY r.name
UNION ALL
SELECT 'unit', u.goal, u.kind, u.unit, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, coalesce(c.crossovers, 0), coalesce(c.unexposed, 0), coalesce(c.mismatched, 0),
       u.via, NULL, NULL, NULL, NULL
FROM units AS u
LEFT JOIN unit_cells AS c ON c.kind = u.kind AND c.unit = u.unit AND c.goal = u.goal
UNION ALL
SELECT 'arm', a.goal, a.kind, a.unit, a.arm, NULL, NULL, NULL,
       coalesce(s.visitors, 0), coalesce(s.converters, 0), coalesce(s.conversions, 0),
       coalesce(s.value_sum, 0), coalesce(s.value_sumsq, 0), a.anonymous_exposures,
       coalesce(n.conversions, 0), coalesce(n.value, 0), NULL, NULL, NULL, NULL,
       a.phase, a.ord, NULL, NULL
FROM arms AS a
LEFT JOIN arm_cells AS s ON s.kind = a.kind AND s.unit = a.unit AND s.goal = a.goal AND s.arm = a.arm
LEFT JOIN anonymous AS n ON n.kind = a.kind AND n.unit = a.unit AND n.goal = a.goal AND n.arm = a.arm
UNION ALL
SELECT 'stratum', c.goal, c.kind, c.unit, c.arm, c.context, nullif(c.split, ''), NULL,
       c.visitors, c.converters, c.conversions, c.value_sum, c.value_sumsq, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, 0, s.ord, NULL, NULL
FROM cells AS c
JOIN strata AS s ON s.kind = c.kind AND s.unit = c.unit AND s.goal = c.goal
 AND s.context = c.context AND s.split = c.split
WHERE c.arm IS NOT NULL
ORDER BY what, for_goal, kind, unit, order_phase, order_key, context, split, arm
