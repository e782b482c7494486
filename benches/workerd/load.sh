#!/usr/bin/env bash
# Load test: TOTAL requests (default 100 000) through vitrine in workerd, mixed pages (10 KB,
# 136 KB, 1 MB listings) and personas (loyal, anonymous, a segment nothing targets, a tampered
# cookie), loopback only, bounded in time. Passes when every response is 200, none bypassed,
# and every (x-vitrine, body length) pair is one recorded before the load. Reports RSS of the
# workerd process before, half-way and after.
#
# usage: sh benches/workerd/load.sh        env: TOTAL=100000 THREADS=2 CONNS=16 MAX_SECS=600
#        VARIANT=passthrough|peer  runs the same load against a JS worker, for comparison (no
#        x-vitrine checks then; bodies must still be the recorded ones)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VARIANT="${VARIANT:-vitrine}"; TOTAL="${TOTAL:-100000}"; THREADS="${THREADS:-2}"; CONNS="${CONNS:-16}"; MAX_SECS="${MAX_SECS:-600}"
WORKERD="$(find "$ROOT/node_modules" -path '*bin/workerd' -type f -perm -u+x 2>/dev/null | head -n1)"
[ -x "$WORKERD" ] || { echo "workerd binary not found under node_modules" >&2; exit 1; }
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null 2>&1; } || true
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vitrine-load.XXXXXX")"
PID=
cleanup() {
  if [ -n "$PID" ]; then kill -TERM -- "-$PID" 2>/dev/null || true; sleep 0.3; kill -KILL -- "-$PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

PAGES="$ROOT/fixtures/pages/listing-10k.html,$ROOT/fixtures/pages/listing-136k.html,$ROOT/fixtures/pages/listing-1m.html"
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
LOAD_PAGES="$PAGES" node "$HERE/gen.mjs" "$ROOT/fixtures/pages/listing-10k.html" "$WORK" "$port" "$port" "$port" "$ROOT"
(cd "$WORK" && exec setsid "$WORKERD" serve "$VARIANT.capnp") >"$WORK/$VARIANT.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/0" && break; sleep 0.1; done
rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status" 2>/dev/null || echo "?"; }
# CPU time (utime + stime, in clock ticks) of the workerd process: setsid makes $PID the
# process itself, and fields 14-15 of /proc/PID/stat follow the ")" that ends its name.
cpu_ticks() { sed 's/.*) //' "/proc/$PID/stat" | awk '{print $12 + $13}'; }

# Expected (x-vitrine, body length) per page x persona; each fetched twice (streamed, then
# spliced) and the two bodies must be identical.
mapfile -t TOKENS < "$WORK/cookies.txt"
COOKIES=("vitrine_profile=${TOKENS[0]}" "" "vitrine_profile=${TOKENS[1]}" "vitrine_profile=${TOKENS[2]}")
{
  echo "return { per_thread = $(( (TOTAL / 2 + THREADS - 1) / THREADS )),"
  echo "  paths = { \"/0\", \"/1\", \"/2\" },"
  echo "  vitrine = $([ "$VARIANT" = vitrine ] && echo true || echo false),"
  printf '  cookies = {'; for c in "${COOKIES[@]}"; do printf ' "%s",' "$c"; done; echo ' },'
  echo "  expected = {"
  for p in 0 1 2; do
    for c in "${COOKIES[@]}"; do
      h=(); [ -n "$c" ] && h=(-H "Cookie: $c")
      curl -s --max-time 10 -o "$WORK/a.out" "${h[@]}" "http://127.0.0.1:$port/$p"
      xv="$(curl -s --max-time 10 -D - -o "$WORK/b.out" "${h[@]}" "http://127.0.0.1:$port/$p" \
        | tr -d '\r' | awk -F': ' 'tolower($1)=="x-vitrine" {print $2}')"
      cmp -s "$WORK/a.out" "$WORK/b.out" || { echo "page /$p: first and second response differ" >&2; exit 1; }
      if [ "$VARIANT" = vitrine ]; then
        case "$xv" in v=*) ;; *) echo "page /$p: not personalized: '$xv'" >&2; exit 1 ;; esac
      else xv=none; fi
      echo "    [\"$xv#$(wc -c < "$WORK/b.out" | tr -d ' ')\"] = true,"
    done
  done
  echo "  } }"
} > "$WORK/load.conf.lua"

echo "load ($VARIANT): $TOTAL requests, wrk -t$THREADS -c$CONNS, pages 10k/136k/1m x 4 personas, workerd $("$WORKERD" --version | awk '{print $2}')"
# One half of the load: wrk until every thread has its share (then SIGINT: wrk would otherwise
# wait out -d), bounded by MAX_SECS.
run_half() {
  local done_dir="$WORK/done.$RANDOM"; mkdir -p "$done_dir"
  LOAD_CONF="$WORK/load.conf.lua" LOAD_DONE_DIR="$done_dir" \
    wrk -t"$THREADS" -c"$CONNS" -d"${MAX_SECS}s" -s "$HERE/load.lua" "http://127.0.0.1:$port/" > "$1" 2>&1 &
  local wpid=$! t=0
  while [ "$(ls "$done_dir" | wc -l)" -lt "$THREADS" ] && [ "$t" -lt $((MAX_SECS * 10)) ] && kill -0 "$wpid" 2>/dev/null; do
    sleep 0.1; t=$((t + 1))
  done
  kill -INT "$wpid" 2>/dev/null || true
  wait "$wpid" || true
}
r0="$(rss)"
c0="$(cpu_ticks)"
start=$(date +%s.%N)
run_half "$WORK/wrk1.txt"
r1="$(rss)"
run_half "$WORK/wrk2.txt"
end=$(date +%s.%N)
r2="$(rss)"
c1="$(cpu_ticks)"
grep -h 'LOAD\|Requests/sec\|Latency ' "$WORK/wrk1.txt" "$WORK/wrk2.txt"
n=0; bad=0
for f in "$WORK/wrk1.txt" "$WORK/wrk2.txt"; do
  line="$(grep '^LOAD' "$f" || echo 'LOAD responses=0 non200=1')"
  for kv in $line; do
    case "$kv" in responses=*) n=$((n + ${kv#*=})) ;; non200=*|bypass=*|unexpected=*|socket_errors=*) bad=$((bad + ${kv#*=})) ;; esac
  done
done
secs="$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')"
cpu_us="$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN{printf "%.0f", n ? t / hz * 1e6 / n : 0}')"
rps="$(awk -v n="$n" -v s="$secs" 'BEGIN{printf "%.0f", (s > 0) ? n / s : 0}')"
echo "RESULT load variant=$VARIANT responses=$n failures=$bad seconds=$secs req_per_s=$rps cpu_us_per_req=$cpu_us rss_kb_before=$r0 rss_kb_half=$r1 rss_kb_after=$r2"
[ "$bad" = 0 ] && [ "$n" -ge "$TOTAL" ] || { echo "load test FAILED" >&2; exit 1; }
