#!/usr/bin/env sh
# A scripted traffic run for the measurement demo: builds the worker, then runs the traffic of
# tests/e2e/events.rs through its own `wrangler dev` (loopback only, on free ports, bounded in
# visitors and seconds) with fixtures/campaigns/measure.toml, checks every event, and writes
# them as JSON lines, then prints `vitrine report` on them. The visitors' behaviour is scripted: shown campaigns,
# they convert at 30 %; in the 20 % global holdout, at 12 %.
#
#   sh scripts/traffic.sh [VISITORS] [OUT]      # defaults: 400, target/events/traffic.jsonl
set -eu
cd "$(dirname "$0")/.."
visitors="${1:-400}"
out="${2:-$PWD/target/events/traffic.jsonl}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
make --no-print-directory build
cargo build --quiet -p vitrine-cli
VITRINE_SKIP_BUILD=1 VITRINE_TRAFFIC_VISITORS="$visitors" \
  VITRINE_TRAFFIC_SECS="${VITRINE_TRAFFIC_SECS:-240}" VITRINE_EVENTS_OUT="$out" \
  cargo test --quiet -p vitrine --features external --test e2e events:: -- --nocapture
echo "the report (cargo run -p vitrine-cli -- report $out --campaigns fixtures/campaigns/measure.toml --goal purchase):"
cargo run --quiet -p vitrine-cli -- report "$out" --campaigns fixtures/campaigns/measure.toml --goal purchase
