#!/usr/bin/env sh
# Issue 19, "the SQL path gives identical counts at 100 M events" (BENCHMARKS.md, "Events at
# volume"): writes EVENTS synthetic events as Parquet (crates/report/src/synth.rs, 10 M per
# file), then
#   1. `vitrine report` over the events,
#   2. `vitrine report --sql` run by DuckDB (the Python package tests/sql/setup.sh installs),
#      bounded: memory_limit (DUCKDB_MEMORY, default 2GB), 2 threads, a temp_directory,
#   3. `vitrine report --from-aggregates` on DuckDB's answer,
#   4. the same for `vitrine optimize` with fixtures/sql/bandits.toml (--dry-run),
# and compares: every count in `report --json` from the events and from the answer must be
# equal (value sums to 1e-9, relative: the engine adds them in another order), and the text
# reports and optimize outputs byte for byte. Prints wall time and peak RSS of each step
# (/usr/bin/time -v) and deletes the events at the end.
#
#   sh benches/sql-100m.sh [EVENTS] [WORKDIR]       # default 100000000, target/sql-100m
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
EVENTS=${1:-100000000}
WORK=${2:-target/sql-100m}
MEMORY=${DUCKDB_MEMORY:-2GB}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PY=$ROOT/target/sql/venv/bin/python

sh tests/sql/setup.sh
nice -n 19 cargo build --quiet --profile bench -p vitrine-cli -p vitrine-report \
  --example synth_events --bin vitrine
VITRINE=$TARGET/release/vitrine
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
trap 'rm -rf events duck-tmp' EXIT

# step NAME COMMAND…: runs COMMAND at low priority under /usr/bin/time -v, says how long and
# how much memory it took.
step() {
  name=$1
  shift
  # What the engine spills to its temp_directory, sampled every 2 s.
  (while :; do du -sk duck-tmp 2>/dev/null | cut -f1; sleep 2; done) > "$name.spill" &
  sampler=$!
  status=0
  nice -n 19 /usr/bin/time -v -o "$name.time" "$@" || status=$?
  kill "$sampler"
  [ "$status" -eq 0 ] || { echo "$name failed (exit $status)" >&2; exit "$status"; }
  spill=$(sort -n "$name.spill" | tail -n 1)
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$name.time")
  user=$(sed -n 's/.*User time (seconds): //p' "$name.time")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$name.time")
  printf '%-18s wall %8s  user %7ss  peak RSS %6d MB  spilled %6d MB\n' \
    "$name" "$wall" "$user" $((rss / 1024)) $((${spill:-0} / 1024)) >&2
}

# The engine: DuckDB runs a query file (argv 1) into a CSV answer (argv 2), bounded.
DUCKDB="import duckdb, sys
c = duckdb.connect(config={'memory_limit': sys.argv[3], 'threads': 2, 'temp_directory': 'duck-tmp'})
c.sql(open(sys.argv[1]).read()).write_csv(sys.argv[2])"

step generate "$TARGET/release/examples/synth_events" events "$EVENTS" 10000000
du -sh events >&2

step report-events sh -c "'$VITRINE' report events --allow-srm --json > report-events.json"
"$VITRINE" report events --sql > report.sql
step report-duckdb "$PY" -c "$DUCKDB" report.sql report.csv "$MEMORY"
step report-aggregates sh -c "'$VITRINE' report --from-aggregates report.csv --allow-srm --json > report-aggregates.json"
"$VITRINE" report events --allow-srm > report-events.txt
"$VITRINE" report --from-aggregates report.csv --allow-srm > report-aggregates.txt

"$PY" - report-events.json report-aggregates.json <<'EOF'
"""Every count equal, every sum within 1e-9 (relative) between two `report --json` outputs."""
import json, sys

a, b = (json.load(open(p)) for p in sys.argv[1:3])
counts, sums, bad = 0, 0, []

def walk(x, y, at):
    global counts, sums
    if isinstance(x, dict) and isinstance(y, dict):
        if x.keys() != y.keys():
            bad.append(f"{at}: keys {sorted(x)} != {sorted(y)}")
        for k in x.keys() & y.keys():
            walk(x[k], y[k], f"{at}.{k}")
    elif isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y):
            bad.append(f"{at}: {len(x)} items != {len(y)}")
        for i, (u, v) in enumerate(zip(x, y)):
            walk(u, v, f"{at}[{i}]")
    elif isinstance(x, bool) or isinstance(x, int) and isinstance(y, int):
        counts += 1
        if x != y:
            bad.append(f"{at}: {x} != {y}")
    elif isinstance(x, float) and isinstance(y, (int, float)):
        sums += 1
        if abs(x - y) > 1e-9 * max(abs(x), abs(y), 1.0):
            bad.append(f"{at}: {x} != {y}")
    elif x != y:
        bad.append(f"{at}: {x!r} != {y!r}")

walk(a, b, "report")
for line in bad[:20]:
    print("DIFFERENT", line)
print(f"aggregates: {counts} counts and flags equal, {sums} numbers within 1e-9, {len(bad)} differences",
      file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
cmp report-events.txt report-aggregates.txt
echo "report: the text from the events and from DuckDB's answer are byte-identical" >&2

cp "$ROOT/fixtures/sql/bandits.toml" bandits.toml
step optimize-events sh -c "'$VITRINE' optimize events --campaigns bandits.toml --dry-run > optimize-events.txt"
"$VITRINE" optimize events --campaigns bandits.toml --sql > optimize.sql
step optimize-duckdb "$PY" -c "$DUCKDB" optimize.sql optimize.csv "$MEMORY"
"$VITRINE" optimize --from-aggregates optimize.csv --campaigns bandits.toml --dry-run > optimize-aggregates.txt
cmp optimize-events.txt optimize-aggregates.txt
echo "optimize: the weights and summary from the events and from DuckDB's answer are byte-identical" >&2
