#!/usr/bin/env bash
# What a first view costs beyond the runtime's floor: the CPU per page of vitrine's first views
# next to plain JS workers that do only the runtime's part of the same work (floors.js: the
# slots filled as the page streams; the same with vitrine's runtime calls around it; slot
# boundaries marked; the marked copy read whole; the marked copy spliced in JS), the
# passthrough worker and the JS peer. Every variant serves the same N first views of pages of
# <kind> after WARM first views of other kinds, each in a fresh workerd started by
# perf-profile.sh (its backend too), the variants interleaved in each of ROUNDS rounds; the
# figure is perf-profile.sh's CPU per page of the measured pass (utime + stime of the measured
# workerd / pages). `vitrine` streams its first views (`MAP_FIRST_VIEWS=auto` with no page asked
# for twice), `vitrine_mapped` maps them in the parse that fills them (`MAP_FIRST_VIEWS=on`).
#
# Needs what perf-profile.sh needs: Linux `perf` (installed with apt-get when run as root).
# Writes floors.js and its capnp configs (floors_<mode>.capnp, vitrine_mapped.capnp) into the
# work dir.
#
# usage: sh benches/workerd/floors.sh <work dir kept by KEEP=1 longtail.sh> [N=1500] [ROUNDS=3] [kind=c] [WARM=1500]
#        VARIANTS="…" (default: all, in the order of the table)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(cd "${1:?work dir kept by KEEP=1 longtail.sh}" && pwd)"
N="${2:-1500}"; ROUNDS="${3:-3}"; KIND="${4:-c}"; WARM="${5:-1500}"
MODES="stream stream_calls stream_marked read_whole map"
VARIANTS="${VARIANTS:-passthrough floors_stream floors_stream_calls floors_stream_marked floors_read_whole floors_map peer vitrine vitrine_mapped}"
[ -f "$WORK/peer.capnp" ] && [ -f "$WORK/vitrine.capnp" ] || { echo "floors: $WORK is not a work dir kept by longtail.sh" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
socket_re='address = "127.0.0.1:[0-9]*", http = (), service = "main"'

cp "$HERE/floors.js" "$WORK/floors.js"
for m in $MODES; do
  sed -e "s/peer-longtail\.js/floors.js/g" \
      -e "s/$socket_re/address = \"127.0.0.1:$(free_port)\", http = (), service = \"main\"/" \
      -e "s/bindings = \[/bindings = [ (name = \"MODE\", text = \"$m\"),/" \
      "$WORK/peer.capnp" > "$WORK/floors_$m.capnp"
  grep -q "text = \"$m\"" "$WORK/floors_$m.capnp" || { echo "floors: could not write floors_$m.capnp" >&2; exit 1; }
done
sed -e "s/$socket_re/address = \"127.0.0.1:$(free_port)\", http = (), service = \"main\"/" \
    -e 's/bindings = \[/bindings = [ (name = "MAP_FIRST_VIEWS", text = "on"),/' \
    "$WORK/vitrine.capnp" > "$WORK/vitrine_mapped.capnp"
grep -q '"MAP_FIRST_VIEWS", text = "on"' "$WORK/vitrine_mapped.capnp" || { echo "floors: could not write vitrine_mapped.capnp" >&2; exit 1; }

declare -A SUM
LOG="$(mktemp)"; trap 'rm -f "$LOG"' EXIT
echo "first views of $N pages of kind $KIND after $WARM others, CPU us per page (perf-profile.sh's measured pass):"
printf '%-8s' round; for v in $VARIANTS; do printf ' %14s' "${v#floors_}"; done; echo
for r in $(seq 1 "$ROUNDS"); do
  # Round 1 in the table's order, round 2 reversed, ... (as longtail.sh interleaves).
  order=($VARIANTS); [ $((r % 2)) = 1 ] || { rev=(); for ((i=${#order[@]}-1; i>=0; i--)); do rev+=("${order[$i]}"); done; order=("${rev[@]}"); }
  declare -A US=()
  for v in "${order[@]}"; do
    env -u UNSAMPLED -u REPEAT -u CALLGRAPH sh "$HERE/perf-profile.sh" "$WORK" "$v" "$N" "$KIND" "$WARM" > "$LOG" 2>&1 || true
    line="$(grep '^  pass 1:' "$LOG" || true)"
    us="$(echo "$line" | awk '{print $3}')"
    if [ -z "$us" ] || [[ "$line" == *"NOT 200"* ]]; then
      echo "floors: $v gave no good measured pass; perf-profile.sh said:" >&2; cat "$LOG" >&2; exit 1
    fi
    # The vitrine variants must have built their bodies the way their name says.
    case "$v" in
      vitrine) [[ "$line" == *'"streamed":'"$N"* ]] || { echo "floors: vitrine did not stream every first view: $line" >&2; exit 1; } ;;
      vitrine_mapped) [[ "$line" == *'"mapped":'"$N"* ]] || { echo "floors: vitrine_mapped did not map every first view: $line" >&2; exit 1; } ;;
    esac
    US[$v]=$us; SUM[$v]=$(( ${SUM[$v]:-0} + us ))
  done
  printf '%-8s' "$r"; for v in $VARIANTS; do printf ' %14s' "${US[$v]}"; done; echo
done
printf '%-8s' mean; for v in $VARIANTS; do printf ' %14s' "$(awk -v s="${SUM[$v]}" -v n="$ROUNDS" 'BEGIN { printf "%.0f", s / n }')"; done; echo
echo "(CPU from utime + stime in clock ticks: one tick over $N pages is $(awk -v n="$N" 'BEGIN { printf "%.1f", 10000 / n }') us per page; perf samples the process meanwhile)"
