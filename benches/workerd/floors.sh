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
echo "first views of $N pages of kind $KIND after $WARM others, CPU us per page (perf-profile.sh's measured pass):"
printf '%-22s' round; for v in $VARIANTS; do printf ' %10s' "${v#floors_}"; done; echo
for r in $(seq 1 "$ROUNDS"); do
  printf '%-22s' "$r"
  for v in $VARIANTS; do
    line="$(sh "$HERE/perf-profile.sh" "$WORK" "$v" "$N" "$KIND" "$WARM" 2>&1 | grep 'pass 1:' || true)"
    us="$(echo "$line" | awk '{print $3}')"
    [ -n "$us" ] || { echo; echo "floors: $v gave no measured pass" >&2; exit 1; }
    case "$line" in *"NOT 200"*) echo; echo "floors: $v: $line" >&2; exit 1 ;; esac
    SUM[$v]=$(( ${SUM[$v]:-0} + us ))
    printf ' %10s' "$us"
  done
  echo
done
printf '%-22s' mean; for v in $VARIANTS; do printf ' %10s' "$(( SUM[$v] / ROUNDS ))"; done; echo
