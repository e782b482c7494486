#!/usr/bin/env bash
# Where a variant's CPU goes, whole process: starts the kept work dir's backend and a fresh
# workerd for <variant> from a copy of its capnp config with V8's `--perf-basic-prof` (diagnosis
# only: the benches never set V8 flags; it writes /tmp/perf-<pid>.map, which names JIT code and
# WASM functions, by their name section when the .wasm keeps it:
# `VITRINE_KEEP_NAMES=1 sh scripts/build.sh`), warms the isolate with WARM first views of pages
# of other kinds, then samples with Linux `perf` while it serves N first views of pages of
# <kind> (longtail-paths.mjs, one pass, 8 at a time, persona loyal). Prints the CPU per page,
# and that CPU split by where the samples fell: the runtime's HTML rewriter (lol_html), WASM
# code optimized by TurboFan, WASM code still in Liftoff (V8's baseline tier) and Liftoff's
# per-call frame setup, JS, V8 itself (runtime, GC, builtins), workerd and its KJ event loop,
# the allocator, libc's memory copies and the kernel; then the symbols with the most samples.
# The inspector's profiler runs WASM in another mode and attributes far more to it: this is the
# view that adds up to the process's CPU.
#
# With UNSAMPLED=U and REPEAT=R, the same N pages are asked for U times unsampled, then R times
# sampled (CPU per page averaged over the R passes): UNSAMPLED=1 REPEAT=1 samples pages' second
# views (vitrine maps them there), UNSAMPLED=2 REPEAT=30 the steady state of pages an isolate
# knows (held, when N pages fit the held budget).
#
# With CALLGRAPH=1, perf also records call stacks (V8 keeps frame pointers in WASM and JS
# frames, so stacks through them resolve), and the report adds: the samples whose leaf is
# WASM code (either tier, Liftoff's frame setup, the calls to JS), each counted for the
# nearest `vitrine`/`vitrine_core` function on its stack (where vitrine's own WASM time goes,
# callees included; needs a `VITRINE_KEEP_NAMES=1` build); the samples of Liftoff's frame
# setup by the caller of the function being set up (with V8's WASM inlining on, every call
# into a function still in Liftoff pays it; the function itself is not on the frame-pointer
# chain yet, so its caller is what the stack names); and the symbols with the most samples
# under them (callees included).
#
# usage: sh benches/workerd/perf-profile.sh <work dir kept by KEEP=1 longtail.sh> [variant=vitrine] [N=1500] [kind=c] [WARM=3000]
#        UNSAMPLED=U REPEAT=R TOP=<symbols listed, 15> CALLGRAPH=1 (optional, see above)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$(cd "${1:?work dir}" && pwd)"; V="${2:-vitrine}"; N="${3:-1500}"; KIND="${4:-c}"; WARM="${5:-3000}"
WORKERD="${WORKERD:-$(find "$ROOT/node_modules" -path '*bin/workerd' -type f -perm -u+x | head -n1)}"
command -v perf >/dev/null || { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
  && apt-get install -y -qq linux-perf >/dev/null 2>&1; } || true
command -v perf >/dev/null || { echo "perf not found (Debian: linux-perf)" >&2; exit 1; }
PORT=$(grep -o 'address = "127.0.0.1:[0-9]*", http = (), service = "main"' "$WORK/$V.capnp" | grep -o ':[0-9]*' | tr -d :) \
  || { echo "no socket for service main in $WORK/$V.capnp" >&2; exit 1; }
TMP="$(mktemp -d)"; BP=; VP=
cleanup() {
  set +e
  [ -z "$VP" ] || kill -- "-$VP" 2>/dev/null
  [ -z "$BP" ] || kill -- "-$BP" 2>/dev/null
  sleep 0.3
  [ -z "$VP" ] || { kill -9 -- "-$VP" 2>/dev/null; rm -f "/tmp/perf-$VP.map"; }
  [ -z "$BP" ] || kill -9 -- "-$BP" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
cp -a "$WORK"/. "$TMP"/
mkdir "$TMP/warm"
cp "$WORK/personas.txt" "$TMP/warm/"
awk -v k="$KIND" -v n="$WARM" '$1!=k && c++<n' "$WORK/paths.txt" > "$TMP/warm/paths.txt"
awk -v k="$KIND" '$1==k' "$WORK/paths.txt" > "$TMP/paths.txt"
[ "$(wc -l < "$TMP/paths.txt")" -ge "$N" ] || { echo "fewer than $N pages of kind $KIND in $WORK/paths.txt" >&2; exit 1; }
grep -q 'v8Flags' "$TMP/$V.capnp" && { echo "$V.capnp already sets v8Flags" >&2; exit 1; }
sed -i 's/^const config :Workerd.Config = (/const config :Workerd.Config = ( v8Flags = ["--perf-basic-prof"],/' "$TMP/$V.capnp"
cd "$TMP"
setsid "$WORKERD" serve backend.capnp > backend.log 2>&1 & BP=$!
setsid "$WORKERD" serve "$V.capnp" > "$V.log" 2>&1 & VP=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/robots.txt" && break; sleep 0.1; done
[ "$WARM" -eq 0 ] || (cd warm && node "$HERE/longtail-paths.mjs" "$PORT" "$VP" "$WARM" 1 loyal 8 | sed 's/^pass 1/  warm-up/')
[ "${UNSAMPLED:-0}" -eq 0 ] || node "$HERE/longtail-paths.mjs" "$PORT" "$VP" "$N" "$UNSAMPLED" loyal 8 | sed 's/^pass/  unsampled pass/'
G=; [ "${CALLGRAPH:-0}" != 1 ] || G=-g
perf record -q $G -F 2999 -p "$VP" -o perf.data 2> perf.err & PR=$!
sleep 0.3
PASS=$(node "$HERE/longtail-paths.mjs" "$PORT" "$VP" "$N" "${REPEAT:-1}" loyal 8)
kill -INT "$PR" 2>/dev/null || true; wait "$PR" 2>/dev/null || true
echo "$PASS" | sed 's/^/  /'
[ -s perf.data ] || { echo "perf recorded nothing:" >&2; cat perf.err >&2; exit 1; }
US=$(echo "$PASS" | awk '{s += $3; n++} END {printf "%.0f", s / n}')
perf report -i perf.data --no-children --sort sym --stdio -n -g none 2>/dev/null | grep -E '^ +[0-9.]+%' > syms.txt \
  || { echo "perf report found no samples" >&2; exit 1; }
echo "  us per page by where the samples fell:"
awk -v total="$US" -f "$HERE/perf-categories.awk" syms.txt
echo "  most sampled symbols (samples):"
awk -v top="${TOP:-15}" 'NR <= top {n = $2; $1 = ""; $2 = ""; $3 = ""; printf "  %6d %s\n", n, substr($0, 4, 110)}' syms.txt
[ "${CALLGRAPH:-0}" = 1 ] || exit 0
# The stacks are read while this workerd's perf map still exists (it names the JIT frames).
perf script -i perf.data > stacks.txt 2> script.err || { echo "perf script failed:" >&2; cat script.err >&2; exit 1; }
echo "  WASM samples by the nearest vitrine function on the stack (callees included):"
awk -v top="${TOP:-15}" -f "$HERE/perf-stacks.awk" mode=owner stacks.txt
echo "  Liftoff's frame setup, by the caller of the function it set up:"
awk -v top="${TOP:-15}" -f "$HERE/perf-stacks.awk" mode=setup stacks.txt
echo "  most samples under a symbol (callees included):"
perf report -i perf.data --children --sort sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9.]+%' \
  | grep -vE 'kj::|__libc_start|main$|runMain|MainBuilder|Microtask|v8::internal::\(anonymous|IoContext|V8StackScope|Builtins_(Run|JSRun|PromiseFulfill)|JS:\+|Stub:|JS:(wasm_bindgen|js_sys)::|AssertUnwindSafe|SYSCALL|do_syscall' \
  | awk -v top="${TOP:-15}" -v total="$US" 'NR <= top {p = $1; sub(/%/, "", p); $1 = ""; $2 = ""; $3 = ""; printf "  %7.1f us %s\n", total * p / 100, substr($0, 4, 110)}' \
  || true
