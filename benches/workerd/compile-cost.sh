#!/usr/bin/env bash
# What a cold isolate spends compiling: starts the kept work dir's backend and a fresh workerd
# for <variant> from a copy of its capnp config with V8's `--trace-wasm-compilation-times`
# (diagnosis only: the benches never set V8 flags), asks for N pages it has never seen
# (longtail-paths.mjs, one pass, 8 at a time, persona loyal), and prints the measured
# workerd's CPU per page, its CPU per thread (the isolate's thread, and V8's worker threads,
# where optimizing compiles run), and the time V8 spent compiling WASM with Liftoff (lazily,
# on the isolate's thread) and TurboFan (tier-up of hot functions, in the background), how many
# functions and WASM body bytes each compiled (nearly the same from run to run, where the
# times are wall time on a shared machine and vary from run to run), and the functions
# TurboFan took longest on (named when the .wasm keeps its name section:
# `VITRINE_KEEP_NAMES=1 sh scripts/build.sh`); TOP=n lists n of them (default 10).
#
# usage: sh benches/workerd/compile-cost.sh <work dir kept by KEEP=1 longtail.sh> [variant=vitrine] [N=1000] [kind=all|c|p|i]
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$(cd "${1:?work dir}" && pwd)"; V="${2:-vitrine}"; N="${3:-1000}"; KIND="${4:-all}"
WORKERD="${WORKERD:-$(find "$ROOT/node_modules" -path '*bin/workerd' -type f -perm -u+x | head -n1)}"
PORT=$(grep -o 'address = "127.0.0.1:[0-9]*", http = (), service = "main"' "$WORK/$V.capnp" | grep -o ':[0-9]*' | tr -d :)
TMP="$(mktemp -d)"
cp -a "$WORK"/. "$TMP"/
# The pages asked for: the work dir's list, or only one kind of page.
if [ "$KIND" != all ]; then awk -v k="$KIND" '$1==k' "$WORK/paths.txt" > "$TMP/paths.txt"; fi
[ "$(wc -l < "$TMP/paths.txt")" -ge "$N" ] || { echo "fewer than $N pages of kind $KIND in $WORK/paths.txt" >&2; exit 1; }
grep -q 'v8Flags' "$TMP/$V.capnp" && { echo "$V.capnp already sets v8Flags" >&2; exit 1; }
sed -i 's/^const config :Workerd.Config = (/const config :Workerd.Config = ( v8Flags = ["--trace-wasm-compilation-times"],/' "$TMP/$V.capnp"
cd "$TMP"
setsid "$WORKERD" serve backend.capnp > backend.log 2>&1 & BP=$!
# Line-buffered, so the trace is complete when workerd is stopped.
setsid stdbuf -oL -eL "$WORKERD" serve "$V.capnp" > trace.log 2>&1 & VP=$!
trap 'kill -- -$VP -$BP 2>/dev/null; sleep 0.3; kill -9 -- -$VP -$BP 2>/dev/null || true; rm -rf "$TMP"' EXIT
# Wait for the backend without asking the measured worker for a page: robots.txt passes through.
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/robots.txt" && break; sleep 0.1; done
HZ=$(getconf CLK_TCK)
threads() { for t in /proc/$VP/task/*; do echo "$(basename "$t") $(tr ' ' _ < "$t/comm") $(awk '{print $14 + $15}' "$t/stat")"; done | sort; }
threads > before.txt
node "$HERE/longtail-paths.mjs" "$PORT" "$VP" "$N" 1 loyal 8
threads > after.txt
sleep 0.3
join before.txt after.txt | awk -v hz="$HZ" '{ms[$2] += ($5 - $3) * 1000 / hz} END {for (t in ms) if (ms[t] > 0) printf "  thread %-16s %6.0f ms\n", t, ms[t]}'
awk '/using (Liftoff|TurboFan), took/ {
    t = 0; b = 0
    for (i = 1; i <= NF; i++) { if ($i == "using") { tier = $(i + 1); sub(/,$/, "", tier) } if ($i == "took") t = $(i + 1); if ($i == "bodysize") b = $(i + 1) }
    us[tier] += t; n[tier]++; bytes[tier] += b }
  END {for (k in us) printf "  %-8s %5d functions %7d body bytes %7.1f ms\n", k, n[k], bytes[k], us[k] / 1000}' trace.log
echo "  TurboFan's longest (us, wasm body bytes, function):"
grep 'using TurboFan' trace.log | sed 's/.*#\([0-9]*\) using TurboFan, took \([0-9]*\) .*bodysize \([0-9]*\).*/\2 \3 \1/' |
  sort -rn | head -n "${TOP:-10}" | while read -r us size index; do
    name=$(node -e '
      const b = require("fs").readFileSync(process.argv[1]); const want = Number(process.argv[2]);
      let p = 8; const leb = () => { let r = 0, s = 0, x; do { x = b[p++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80); return r; };
      while (p < b.length) { const id = b[p++]; const size = leb(); const end = p + size;
        if (id === 0) { const l = leb(); const nm = b.subarray(p, p + l).toString(); p += l;
          if (nm === "name") while (p < end) { const sid = b[p++]; const ss = leb(); const se = p + ss;
            if (sid === 1) { const n = leb(); for (let i = 0; i < n; i++) { const idx = leb(); const len = leb();
              if (idx === want) { console.log(b.subarray(p, p + len).toString().slice(0, 100)); process.exit(0); } p += len; } }
            p = se; } }
        p = end; }
      console.log("wasm-function#" + want);' index_bg.wasm "$index")
    printf '  %6d %6d %s\n' "$us" "$size" "$name"
  done
