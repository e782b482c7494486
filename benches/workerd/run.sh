#!/usr/bin/env bash
# Side-by-side load bench on raw `workerd serve` (no wrangler): passthrough vs a JS HTMLRewriter
# peer vs vitrine (build/index.js + build/index_bg.wasm, as built; this script never builds).
#
# usage: sh benches/workerd/run.sh [page.html]      (default fixtures/pages/listing-136k.html)
# env:   DURATION=5s THREADS=2 CONNS=16 ROUNDS=2 WARMUP=2s
#        ALT_BUILD=<dir with index.js + index_bg.wasm>  adds variant "alt" (A/B of two builds)
#        NO_VALIDATOR=1  the origin sends no ETag: vitrine streams every request (no splicing)
#        ATTRIBUTE_SLOTS=on  match the attribute form too (default off, as in production)
#        ALT_VARS="NAME=value …"  the alt variant's vars differ (ALT_BUILD=build: A/B of a setting)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PAGE="${1:-$ROOT/fixtures/pages/listing-136k.html}"
DURATION="${DURATION:-5s}"; THREADS="${THREADS:-2}"; CONNS="${CONNS:-16}"
ROUNDS="${ROUNDS:-2}"; WARMUP="${WARMUP:-2s}"
VARIANTS=(passthrough peer vitrine)
[ -z "${ALT_BUILD:-}" ] || VARIANTS+=(alt)

WORKERD="${WORKERD:-$ROOT/node_modules/@cloudflare/workerd-linux-64/bin/workerd}"
[ -x "$WORKERD" ] || WORKERD="$(find "$ROOT/node_modules" -path '*bin/workerd' -type f -perm -u+x 2>/dev/null | head -n1)"
[ -x "$WORKERD" ] || { echo "workerd binary not found under node_modules" >&2; exit 1; }
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
  && apt-get install -y -qq wrk >/dev/null 2>&1; } || true
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
[ -f "$PAGE" ] || { echo "page not found: $PAGE" >&2; exit 1; }
for f in build/index.js build/index_bg.wasm; do
  [ -f "$ROOT/$f" ] || { echo "missing $ROOT/$f (build the worker first)" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vitrine-bench.XXXXXX")"
declare -A PID PORT
cleanup() {
  for v in "${VARIANTS[@]}"; do
    if [ -n "${PID[$v]:-}" ]; then kill -TERM -- "-${PID[$v]}" 2>/dev/null || true; fi
  done
  sleep 0.3
  for v in "${VARIANTS[@]}"; do
    if [ -n "${PID[$v]:-}" ]; then kill -KILL -- "-${PID[$v]}" 2>/dev/null || true; fi
  done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# Three free loopback ports (bound then released by the kernel; tiny race, fine for a bench).
read -r p1 p2 p3 p4 < <(node -e '
const net=require("net");const ps=[];let n=0;
for(let i=0;i<4;i++){const s=net.createServer();s.listen(0,"127.0.0.1",()=>{ps[i]=s;if(++n===4){
console.log(ps.map(x=>x.address().port).join(" "));ps.forEach(x=>x.close());}});}')
PORT[passthrough]=$p1; PORT[peer]=$p2; PORT[vitrine]=$p3; PORT[alt]=$p4

if [ -n "${ALT_BUILD:-}" ]; then
  node "$HERE/gen.mjs" "$PAGE" "$WORK" "$p1" "$p2" "$p3" "$ROOT" "$p4" "$ALT_BUILD"
else
  node "$HERE/gen.mjs" "$PAGE" "$WORK" "$p1" "$p2" "$p3" "$ROOT"
fi
# A browser's User-Agent: curl's own is a tool's, which vitrine serves as a bot (crates/core/src/bots.rs).
BROWSER_UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
COOKIE="vitrine_profile=$(cat "$WORK/cookie.txt")"
VERSION="$(cat "$WORK/version.txt")"

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo "?"; }

for v in "${VARIANTS[@]}"; do
  # setsid: each workerd leads its own process group, killed as a group on exit.
  (cd "$WORK" && exec setsid "$WORKERD" serve "$v.capnp") >"$WORK/$v.log" 2>&1 &
  PID[$v]=$!
done

# Wait (bounded) for every socket to answer.
for v in "${VARIANTS[@]}"; do
  ok=
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:${PORT[$v]}/"; then ok=1; break; fi
    sleep 0.1
  done
  [ -n "$ok" ] || { echo "$v did not start:" >&2; cat "$WORK/$v.log" >&2; exit 1; }
done

# Mandatory correctness check before any load.
hdrs="$(curl -s --max-time 5 -A "$BROWSER_UA" -D - -o "$WORK/vitrine.out" -H "Cookie: $COOKIE" "http://127.0.0.1:${PORT[vitrine]}/")"
xv="$(printf '%s' "$hdrs" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-vitrine" {print $2}')"
echo "vitrine  x-vitrine: $xv"
case "$xv" in
  "v=$VERSION; slots="*) ;;
  *) echo "vitrine is not personalizing (expected v=$VERSION; slots=...)" >&2; cat "$WORK/vitrine.log" >&2; exit 1 ;;
esac
curl -s --max-time 5 -A "$BROWSER_UA" -o "$WORK/peer.out" -H "Cookie: $COOKIE" "http://127.0.0.1:${PORT[peer]}/"
nv=$(grep -o 'vt-banner--loyal' "$WORK/vitrine.out" | wc -l); np=$(grep -o 'vt-banner--loyal' "$WORK/peer.out" | wc -l)
echo "filled slots: vitrine=$nv peer=$np"
[ "$nv" -ge 1 ] && [ "$nv" = "$np" ] || { echo "slot fill mismatch" >&2; exit 1; }
if cmp -s "$WORK/vitrine.out" "$WORK/peer.out"; then echo "bodies: vitrine (first request, streamed) == peer (byte-identical)"
else echo "bodies: vitrine != peer (differ; check $WORK with KEEP=1)"; fi
# The second request for the same page is spliced from the recorded page: same bytes.
for v in vitrine ${ALT_BUILD:+alt}; do
  curl -s --max-time 5 -A "$BROWSER_UA" -o "$WORK/$v.1.out" -H "Cookie: $COOKIE" "http://127.0.0.1:${PORT[$v]}/"
  curl -s --max-time 5 -A "$BROWSER_UA" -D "$WORK/$v.2.hdr" -o "$WORK/$v.2.out" -H "Cookie: $COOKIE" "http://127.0.0.1:${PORT[$v]}/"
  if cmp -s "$WORK/$v.2.out" "$WORK/peer.out"; then echo "bodies: $v (later request, spliced unless NO_VALIDATOR) == peer (byte-identical)"
  else echo "bodies: $v later request != peer (differ; check $WORK with KEEP=1)" >&2; exit 1; fi
  grep -qi '^cache-control: private, no-store' "$WORK/$v.2.hdr" || { echo "$v: missing private, no-store" >&2; exit 1; }
  ! grep -qi '^etag:' "$WORK/$v.2.hdr" || { echo "$v: etag leaked into a personalized response" >&2; exit 1; }
done

declare -A RSS0 RSS1 SUM N
for v in "${VARIANTS[@]}"; do RSS0[$v]=$(rss_kb "${PID[$v]}"); SUM[$v]=0; N[$v]=0; done

bench() { # variant duration -> prints req/s
  local v=$1 d=$2 out
  out="$(timeout 60 wrk -t"$THREADS" -c"$CONNS" -d"$d" --latency -H "Cookie: $COOKIE" \
        "http://127.0.0.1:${PORT[$v]}/" 2>&1)" || true
  echo "$out" > "$WORK/wrk-$v-last.txt"
  if echo "$out" | grep -q 'Non-2xx\|Socket errors'; then
    echo "  warning ($v): $(echo "$out" | grep 'Non-2xx\|Socket errors' | tr '\n' ' ')" >&2
  fi
  echo "$out" | awk '/^Requests\/sec:/ {print $2}'
}

echo "page: $PAGE ($(wc -c <"$PAGE") bytes); wrk -t$THREADS -c$CONNS -d$DURATION x $ROUNDS rounds; workerd $("$WORKERD" --version 2>/dev/null | awk '{print $2}')"
for v in "${VARIANTS[@]}"; do bench "$v" "$WARMUP" >/dev/null; done   # warm-up, discarded

for r in $(seq 1 "$ROUNDS"); do
  for v in "${VARIANTS[@]}"; do
    rps="$(bench "$v" "$DURATION")"
    p50="$(awk '$1=="50%" {print $2}' "$WORK/wrk-$v-last.txt")"; p99="$(awk '$1=="99%" {print $2}' "$WORK/wrk-$v-last.txt")"
    printf '  round %d  %-12s %10s req/s   p50 %-8s p99 %s\n' "$r" "$v" "${rps:-?}" "$p50" "$p99"
    if [ -n "$rps" ]; then
      SUM[$v]=$(awk -v a="${SUM[$v]}" -v b="$rps" 'BEGIN{print a+b}'); N[$v]=$((N[$v]+1))
    fi
  done
done
for v in "${VARIANTS[@]}"; do RSS1[$v]=$(rss_kb "${PID[$v]}"); done

echo
printf '%-12s %12s %14s %14s\n' variant "req/s(mean)" "RSS before kB" "RSS after kB"
declare -A MEAN
for v in "${VARIANTS[@]}"; do
  MEAN[$v]=$(awk -v s="${SUM[$v]}" -v n="${N[$v]}" 'BEGIN{ if(n>0) printf "%.1f", s/n; else print "0" }')
  printf '%-12s %12s %14s %14s\n' "$v" "${MEAN[$v]}" "${RSS0[$v]}" "${RSS1[$v]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if(b>0) printf "%.3f", a/b; else print "n/a" }'; }
echo "vitrine/peer        = $(ratio "${MEAN[vitrine]}" "${MEAN[peer]}")"
echo "vitrine/passthrough = $(ratio "${MEAN[vitrine]}" "${MEAN[passthrough]}")"
echo "peer/passthrough    = $(ratio "${MEAN[peer]}" "${MEAN[passthrough]}")"
[ -z "${ALT_BUILD:-}" ] || echo "alt/vitrine         = $(ratio "${MEAN[alt]}" "${MEAN[vitrine]}")   (alt: $ALT_BUILD)"
echo "RESULT page=$(basename "$PAGE") passthrough=${MEAN[passthrough]} peer=${MEAN[peer]} vitrine=${MEAN[vitrine]} vitrine/peer=$(ratio "${MEAN[vitrine]}" "${MEAN[peer]}") vitrine/passthrough=$(ratio "${MEAN[vitrine]}" "${MEAN[passthrough]}")${ALT_BUILD:+ alt=${MEAN[alt]} alt/vitrine=$(ratio "${MEAN[alt]}" "${MEAN[vitrine]}")}"
