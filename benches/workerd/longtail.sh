#!/usr/bin/env bash
# Long-tail bench ("real-shop traffic") on raw `workerd serve`: passthrough vs a JS
# HTMLRewriter peer (peer-longtail.js) vs vitrine (build/index.js + build/index_bg.wasm, as
# built; this script never builds the Worker), under a shop-like workload instead of one page:
#
#   - PAGES distinct pages (50-150 KB of varied shop markup each, generated on the fly by an
#     origin from the page id: /p/<catalog id> 60%, /c/<cat>/<n> 30%, /info/<n> 10%, the last
#     without slots), requested by Zipf (s = 1) rank; TRACKING of the requests carry a unique
#     tracking parameter, ~5% a ?page=N that changes a category page; personas round-robin
#     (signed loyal cookie, signed price_hunter cookie, anonymous, tampered cookie);
#   - 3 banner slots (hero, promo-strip, listing-banner) with loyal / price_hunter / anonymous
#     campaigns, and on product pages a `recs` slot filled with 4 products recommended from a
#     100,000-product catalog (scripts/gen_catalog.py; the snapshot and its catalog shards are
#     compiled by `vitrine build`);
#   - the origin and the KV service run in their own workerd process; the measured worker
#     reaches them over loopback (`external` services), so the measured process does only the
#     worker's own work.
#
# Every measured run starts a fresh workerd (a cold isolate) and runs wrk on it at once, no
# warm-up. The backend also serves the colo's Cache API (cache.js), where vitrine shares the
# slot maps its isolates make (SHARED_MAPS, src/colo.rs). COLO says what the colo has seen when
# a measured isolate starts: `cold` (default): nothing, the cache is emptied before every run
# (first-view runs too), so each run also pays for sharing without any isolate to gain from it;
# `warm`: before each vitrine/alt run the cache is emptied and a warming isolate of the same
# build (another fresh workerd, not measured) serves WARM_DURATION (default DURATION) of the same
# Zipf traffic, as the colo's other isolates would have, then the measured isolate starts. The cache's hits, misses
# and puts during each measured run are printed and kept (colo_hits=...). Variants are interleaved in each round (round 1 in order, round 2 reversed, ...).
# Per run: req/s, p50/p99 latency, CPU per request of the measured process (utime + stime from
# /proc/<pid>/stat right before and right after wrk, / requests), peak RSS (VmHWM), and the
# worker's log events (vitrine's bypasses, shard loads, ...). A "first view" phase runs each
# variant cold on pages it has never seen (each page once, in id order, persona loyal), in
# FV_ROUNDS rounds with the variants interleaved as the load's rounds are, and reports its CPU
# per request over all rounds (firstview_cpu_us) and per round (firstview_cpu_us_rounds). A
# correctness check runs first (fails loudly).
# Any non-2xx response or socket error voids the bench: the run says so, the table is still
# printed, but the RESULT lines are marked void=1, not appended, and the exit status is 1.
#
# usage: sh benches/workerd/longtail.sh
# env:   PAGES=5000 DURATION=20s (per variant per round) ROUNDS=2 CONNS=16 THREADS=2
#        TRACKING=0.35 (share of requests with a unique tracking parameter)
#        PARAM=0.05 (share of requests with ?page=N, on category pages)
#        FV_PAGES=1000 (first-view phase: that many distinct pages per variant, at most PAGES;
#        bounded by FV_MAX_SECS=300) FV_ROUNDS=3 (first-view runs per variant, interleaved;
#        with COLO=warm each vitrine/alt run has its own WARM_DURATION warm-up)
#        ALT_BUILD=<dir with index.js + index_bg.wasm>  adds variant "alt" (A/B of two builds)
#        ALT_VARS="NAME=value ..." settings only alt gets (A/B of settings: ALT_BUILD=build ALT_VARS=...)
#        COLO=cold|warm (default cold; see above)  WARM_DURATION (default DURATION)
#        TALLY=1 (diagnostic: counts how each body was built, from x-vitrine's body= and
#        Server-Timing's page;desc, printed per run; costs wrk CPU, so not for figures)
#        KEEP=1 keeps the work dir (/tmp/vitrine-longtail.*); LT_CACHE (/tmp/vitrine-longtail-cache)
#        holds the generated catalog and compiled snapshots between runs; LT_SNAPSHOT_DIR=<one of
#        them> uses that snapshot instead of compiling (when the CLI and build/ disagree on the
#        snapshot schema, which the correctness check reports).
# Prints a table and RESULT lines (key=value), appended to benches/results/longtail.txt
# (longtail-matrix.sh runs this for several PAGES and draws benches/results/longtail-cold.svg,
# or longtail.svg for COLO=warm).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PAGES="${PAGES:-5000}"; DURATION="${DURATION:-20s}"; ROUNDS="${ROUNDS:-2}"
CONNS="${CONNS:-16}"; THREADS="${THREADS:-2}"; TRACKING="${TRACKING:-0.35}"; PARAM="${PARAM:-0.05}"
FV_PAGES="${FV_PAGES:-1000}"; [ "$FV_PAGES" -le "$PAGES" ] || FV_PAGES=$PAGES; FV_MAX_SECS="${FV_MAX_SECS:-300}"
FV_ROUNDS="${FV_ROUNDS:-3}"; [[ "$FV_ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "longtail: FV_ROUNDS must be a positive integer" >&2; exit 2; }
WARM_DURATION="${WARM_DURATION:-$DURATION}"
COLO="${COLO:-cold}"; case "$COLO" in cold|warm) ;; *) echo "longtail: COLO must be cold or warm" >&2; exit 2 ;; esac
OUT="$ROOT/benches/results/longtail.txt"
VARIANTS=(passthrough peer vitrine)
[ -z "${ALT_BUILD:-}" ] || VARIANTS+=(alt)

die() { echo "longtail: $*" >&2; exit 1; }
WORKERD="${WORKERD:-$ROOT/node_modules/@cloudflare/workerd-linux-64/bin/workerd}"
[ -x "$WORKERD" ] || WORKERD="$(find "$ROOT/node_modules" -path '*bin/workerd' -type f -perm -u+x 2>/dev/null | head -n1)"
[ -x "$WORKERD" ] || die "workerd binary not found under node_modules"
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
  && apt-get install -y -qq wrk >/dev/null 2>&1; } || true
for c in wrk node python3 curl setsid timeout; do command -v "$c" >/dev/null || die "$c not found"; done
for f in build/index.js build/index_bg.wasm; do [ -f "$ROOT/$f" ] || die "missing $ROOT/$f (build the worker first)"; done
if [ -n "${ALT_BUILD:-}" ]; then
  ALT_BUILD="$(cd "$ALT_BUILD" && pwd)"
  for f in index.js index_bg.wasm; do [ -f "$ALT_BUILD/$f" ] || die "missing $ALT_BUILD/$f"; done
fi
if [ ! -x "${VITRINE_BIN:-$ROOT/target/debug/vitrine}" ]; then
  (cd "$ROOT" && cargo build --quiet -p vitrine-cli --bin vitrine) || die "cannot build the vitrine CLI"
fi
secs() { case "$1" in *ms) echo 1 ;; *s) echo "${1%s}" ;; *m) echo $(( ${1%m} * 60 )) ;; *h) echo $(( ${1%h} * 3600 )) ;; *) echo "$1" ;; esac; }
HZ="$(getconf CLK_TCK)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vitrine-longtail.XXXXXX")"
BACKEND_PID=; RUN_PID=
declare -A LIVE # the workerd processes this script started and has not stopped yet
stop_group() { # pid: TERM its process group, then KILL if it lingers
  local pid=$1 i
  [ -n "${LIVE[$pid]:-}" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "LIVE[$pid]"
}
WRK_PID=
cleanup() {
  local pid
  [ -z "$WRK_PID" ] || kill -INT "$WRK_PID" 2>/dev/null || true
  for pid in "${!LIVE[@]}"; do stop_group "$pid"; done
  if [ -n "${KEEP:-}" ]; then echo "longtail: work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports (bound then released by the kernel; tiny race, fine for a bench).
read -r P_ORIGIN P_KV P_CACHE P_PASS P_PEER P_VIT P_ALT < <(node -e '
const net=require("net");const ps=[];let n=0;
for(let i=0;i<7;i++){const s=net.createServer();s.listen(0,"127.0.0.1",()=>{ps[i]=s;if(++n===7){
console.log(ps.map(x=>x.address().port).join(" "));ps.forEach(x=>x.close());}});}')
declare -A PORT=([passthrough]=$P_PASS [peer]=$P_PEER [vitrine]=$P_VIT [alt]=$P_ALT)

LT_PAGES="$PAGES" LT_PORTS="$P_ORIGIN $P_KV $P_CACHE $P_PASS $P_PEER $P_VIT $P_ALT" \
  node "$HERE/longtail.mjs" "$WORK" "$ROOT" || die "generator failed"
VERSION="$(cat "$WORK/version.txt")"

listening() { # port: is a socket listening on 127.0.0.1:port (checked without connecting)
  local hex; hex="$(printf '%04X' "$1")"
  grep -q "^ *[0-9]*: 0100007F:$hex 00000000:0000 0A" /proc/net/tcp 2>/dev/null
}
start() { # capnp log port -> RUN_PID (or BACKEND_PID via caller); waits until it listens
  local capnp=$1 log=$2 port=$3 pid i
  # setsid: workerd leads its own process group (killed as a group). The script has no job
  # control, so setsid execs in place and $! is workerd itself (its /proc/<pid>/stat is read).
  (cd "$WORK" && exec setsid "$WORKERD" serve "$capnp") >"$log" 2>&1 &
  pid=$!
  STARTED=$pid; LIVE[$pid]=1
  for i in $(seq 1 300); do
    listening "$port" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  listening "$port" || { cat "$log" >&2; die "workerd serve $capnp did not start"; }
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = workerd ] || die "pid $pid is not workerd ($(cat "/proc/$pid/comm" 2>/dev/null))"
}
events() { # log -> "event=count ..." of vitrine's JSON log lines
  { grep -o '"event":"[a-z_.]*"' "$1" || true; } | sed 's/"event":"//; s/"$//' | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'
}
colo_purge() { curl -sf --max-time 10 -X DELETE -o /dev/null "http://127.0.0.1:$P_CACHE/" || die "the colo cache does not answer"; }
colo_stats() { # -> "hits=H misses=M puts=P" since the last purge or colo_stats
  local counts
  counts="$(curl -sf --max-time 10 -X OPTIONS "http://127.0.0.1:$P_CACHE/")" || die "the colo cache does not answer"
  echo "$counts" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(`hits=${j.hits} misses=${j.misses} puts=${j.puts}`)})'
}
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# --- the backend: origin + KV, its own process ------------------------------------------------
start backend.capnp "$WORK/backend.log" "$P_ORIGIN"; BACKEND_PID=$STARTED
for i in $(seq 1 200); do listening "$P_KV" && listening "$P_CACHE" && break; sleep 0.05; done
curl -sf --max-time 30 -o /dev/null "http://127.0.0.1:$P_ORIGIN/robots.txt" || die "origin does not answer"
# Also builds the KV service's catalog index (first peer record), before anything is measured.
curl -sf --max-time 30 -o /dev/null "http://127.0.0.1:$P_KV/peer%2Frec%2Fp000001" || die "KV does not answer"

BROWSER_UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
mapfile -t PERSONA_LINES < "$WORK/personas.txt"
mapfile -t SAMPLES < "$WORK/samples.txt"
cookie_of() { local l; for l in "${PERSONA_LINES[@]}"; do [ "${l%% *}" = "$1" ] && { echo "${l#* }"; return; }; done; }
fetch() { # port path persona out-body out-headers
  # A browser's User-Agent, as wrk sends (longtail.lua): curl's own is a tool's, which vitrine
  # serves as a bot (the anonymous page, crates/core/src/bots.rs).
  local c; c="$(cookie_of "$3")"; local h=(-H "Accept: text/html" -H "Sec-Fetch-Mode: navigate" -H "Sec-Fetch-Dest: document" -H "User-Agent: $BROWSER_UA")
  [ "$c" = "-" ] || h+=(-H "Cookie: $c")
  curl -s --max-time 15 -D "$5" -o "$4" "${h[@]}" "http://127.0.0.1:$1$2" || die "curl $2 failed on port $1"
  tr -d '\r' < "$5" > "$5.t" && mv "$5.t" "$5"
  head -n1 "$5" | grep -q ' 200' || die "GET $2 on port $1: $(head -n1 "$5")"
}
marks() { # body -> what the banner and recommendation fills are, one per line, in page order
  grep -o 'vt-lt--[a-z-]*--[a-z]*\|class="vt-rec"><a href="[^"]*"' "$1" || true
}

# --- correctness check, before any load ----------------------------------------------------------
echo "longtail: pages=$PAGES snapshot=$VERSION workerd $("$WORKERD" --version 2>/dev/null | awk '{print $2}') wasm=$(sha256sum "$ROOT/build/index_bg.wasm" | cut -c1-12) ($(wc -c < "$ROOT/build/index_bg.wasm") bytes)"
echo "correctness check (fresh processes; vitrine asked twice per page: learned, then spliced):"
CHECKED=(vitrine); [ -z "${ALT_BUILD:-}" ] || CHECKED+=(alt)
start peer.capnp "$WORK/check-peer.log" "${PORT[peer]}"; RUN_PID=$STARTED
declare -A CHKPID
for v in "${CHECKED[@]}"; do start "$v.capnp" "$WORK/check-$v.log" "${PORT[$v]}"; CHKPID[$v]=$STARTED; done
n_same=0; n_diff=0
for path in "${SAMPLES[@]}"; do
  curl -s --max-time 15 -o "$WORK/origin.out" "http://127.0.0.1:$P_ORIGIN$path"
  kind=x; case "$path" in /p/*) kind=p ;; /c/*) kind=c ;; /info/*) kind=i ;; esac
  for persona in loyal price_hunter anonymous tampered; do
    who=$persona; case $persona in price_hunter) who=deal ;; anonymous|tampered) who=anon ;; esac
    fetch "${PORT[peer]}" "$path" "$persona" "$WORK/peer.out" "$WORK/peer.hdr"
    want="$(marks "$WORK/peer.out")"
    nb=$(echo "$want" | grep -c "vt-lt--.*--$who$" || true); nr=$(echo "$want" | grep -c 'vt-rec' || true)
    if [ "$kind" = i ]; then [ -z "$want" ] || die "peer filled a slot on content page $path"
    else [ "$nb" = 3 ] || die "peer: $path ($persona): $nb banners for $who, expected 3"; fi
    if [ "$kind" = p ]; then [ "$nr" -ge 1 ] || die "peer: $path: no recommendations"; else [ "$nr" = 0 ] || die "peer: recs on $path"; fi
    for v in "${CHECKED[@]}"; do
      for pass in 1 2; do
        fetch "${PORT[$v]}" "$path" "$persona" "$WORK/$v.$pass.out" "$WORK/$v.$pass.hdr"
        xv="$(awk -F': ' 'tolower($1)=="x-vitrine" {print $2}' "$WORK/$v.$pass.hdr")"
        case "$xv" in
          "v=$VERSION; slots="*) ;;
          *snapshot_schema*) die "$v: x-vitrine '$xv': the snapshot from ${VITRINE_BIN:-target/debug/vitrine} is in another schema than the Worker in build/ reads (rebuild one of them, or pin a compatible snapshot of \$LT_CACHE with LT_SNAPSHOT_DIR)" ;;
          *) cat "$WORK/check-$v.log" >&2; die "$v: $path ($persona): x-vitrine '$xv'" ;;
        esac
        grep -qi '^cache-control: private, no-store' "$WORK/$v.$pass.hdr" || die "$v: $path: no 'cache-control: private, no-store'"
        ! grep -qi '^etag:' "$WORK/$v.$pass.hdr" || die "$v: $path: an etag on a personalized response"
        got="$(marks "$WORK/$v.$pass.out")"
        [ "$got" = "$want" ] || { echo "peer:    $(echo $want)" >&2; echo "$v: $(echo $got)" >&2; die "$v and the peer fill $path ($persona, request $pass) differently"; }
        # Slot-looking text in comments and script strings is left alone.
        for lit in 'not a slot: <vitrine-slot name="hero"><div class="hero-old">Old hero</div></vitrine-slot> -->' \
                   '<!-- <vitrine-slot name="x">disabled</vitrine-slot> -->' \
                   'var legacy = "<vitrine-slot name=\"promo-strip\">not a slot, a string</vitrine-slot>";'; do
          [ "$(grep -cF -- "$lit" "$WORK/origin.out")" = "$(grep -cF -- "$lit" "$WORK/$v.$pass.out")" ] \
            || die "$v: $path: text in a comment or script changed: $lit"
        done
      done
      cmp -s "$WORK/$v.1.out" "$WORK/$v.2.out" || die "$v: $path ($persona): learned and spliced responses differ"
      cp "$WORK/$v.2.out" "$WORK/shared-want.$v.$(echo "$path" | tr '/?=&' '____').$persona"
      # A spliced body is a Blob: its own length is sent, never the page's.
      cl="$(awk -F': ' 'tolower($1)=="content-length" {print $2}' "$WORK/$v.2.hdr")"
      if grep -qi '^x-vitrine:.*body=spliced' "$WORK/$v.2.hdr"; then
        [ "$cl" = "$(wc -c < "$WORK/$v.2.out" | tr -d ' ')" ] || die "$v: $path ($persona): spliced content-length '$cl' is not the body's $(wc -c < "$WORK/$v.2.out")"
      fi
      if cmp -s "$WORK/$v.2.out" "$WORK/peer.out"; then n_same=$((n_same + 1)); same=identical; else n_diff=$((n_diff + 1)); same=different; fi
      printf '  %-8s %-40s %-13s fills=%-2s %s  bodies %s vs peer  x-vitrine: %s\n' "$v" "$path" "$persona" \
        "$(echo -n "$got" | grep -c . || true)" "$(awk -F': ' 'tolower($1)=="x-vitrine" {print $2}' "$WORK/$v.2.hdr" | sed 's/.*; body=/body=/')" "$same" "$(echo "$xv" | cut -c1-60)..."
    done
  done
done
echo "  bodies byte-identical to the peer's: $n_same of $((n_same + n_diff)) (peer renders the same card markup)"
stop_group "$RUN_PID"; RUN_PID=
for v in "${CHECKED[@]}"; do stop_group "${CHKPID[$v]}"; done
for v in "${CHECKED[@]}"; do
  ev="$(events "$WORK/check-$v.log")"
  echo "  $v log during the check: ${ev:-(none)}"
done
# A new isolate of the same colo: the pages the check's isolate mapped are spliced from the maps
# it shared (body=shared on a page's first request here), byte-identical to what it sent.
for v in "${CHECKED[@]}"; do
  start "$v.capnp" "$WORK/check-shared-$v.log" "${PORT[$v]}"; RUN_PID=$STARTED
  n_shared=0; n_asked=0
  for path in "${SAMPLES[@]}"; do
    for persona in loyal price_hunter anonymous tampered; do
      fetch "${PORT[$v]}" "$path" "$persona" "$WORK/$v.3.out" "$WORK/$v.3.hdr"
      n_asked=$((n_asked + 1))
      cmp -s "$WORK/$v.3.out" "$WORK/shared-want.$v.$(echo "$path" | tr '/?=&' '____').$persona" \
        || die "$v: $path ($persona): a new isolate's response differs from the first isolate's spliced one"
      ! grep -qi '^x-vitrine:.*body=shared' "$WORK/$v.3.hdr" || n_shared=$((n_shared + 1))
    done
  done
  stop_group "$RUN_PID"; RUN_PID=
  echo "  $v in a new isolate: $n_shared of $n_asked responses spliced from a shared map (body=shared; a page's first request there), all byte-identical to the first isolate's"
  # The build under test shares its maps; an ALT_BUILD may predate sharing.
  [ "$v" != vitrine ] || [ "$n_shared" -ge 1 ] || die "vitrine: no page was spliced from a shared map in a new isolate"
done
colo_purge

# --- one measured run -------------------------------------------------------------------------
# run_wrk mode variant duration outfile: fresh workerd, wrk at once, CPU/RSS/log, stop.
run_wrk() {
  local mode=$1 v=$2 d=$3 out=$4 port=${PORT[$2]} t0 t1 b0 b1 w0 wpid done_dir
  start "$v.capnp" "$WORK/$v.$mode.log" "$port"; RUN_PID=$STARTED
  done_dir="$WORK/done.$mode.$v.$RANDOM"; mkdir -p "$done_dir"
  b0=$(cpu_ticks "$BACKEND_PID"); t0=$(cpu_ticks "$RUN_PID"); w0=$(date +%s.%N)
  LT_MODE=$mode LT_PATHS="$WORK/paths.txt" LT_PERSONAS="$WORK/personas.txt" LT_THREADS=$THREADS \
    LT_TRACKING=$TRACKING LT_PARAM=$PARAM LT_TALLY="${TALLY:-}" LT_DONE_DIR=$done_dir LT_FV_PAGES=$FV_PAGES \
    timeout -s INT $(( $(secs "$d") + 60 )) wrk -t"$THREADS" -c"$CONNS" -d"$d" --timeout 10s --latency \
    -s "$HERE/longtail.lua" "http://127.0.0.1:$port" > "$out" 2>&1 &
  wpid=$!; WRK_PID=$wpid
  if [ "$mode" = firstview ]; then # stop wrk once every thread has seen all its pages
    while [ "$(ls "$done_dir" | wc -l)" -lt "$THREADS" ] && kill -0 "$wpid" 2>/dev/null; do sleep 0.05; done
    kill -INT "$wpid" 2>/dev/null || true
  fi
  wait "$wpid" || true
  WRK_PID=
  t1=$(cpu_ticks "$RUN_PID"); b1=$(cpu_ticks "$BACKEND_PID")
  WALL=$(awk -v a="$w0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  HWM=$(hwm_kb "$RUN_PID")
  stop_group "$RUN_PID"; RUN_PID=
  TICKS=$((t1 - t0)); BTICKS=$((b1 - b0))
  EVENTS="$(events "$WORK/$v.$mode.log")"
  # Lines other than vitrine's JSON events, but for the server's complaints about clients that
  # hung up (wrk closes its connections mid-request when it stops).
  ERRLINES="$({ grep -v '^{' "$WORK/$v.$mode.log" || true; } | { grep -v 'disconnected: ::write\|Connection reset by peer\|^stack: \|^ *$' || true; } | sort | uniq -c | sort -rn | head -n 3 | sed 's/^ *//' | tr '\n' ';')"
  ! grep -q '^Requests/sec' "$out" && { cat "$out" >&2; die "$v ($mode): wrk did not finish"; }
  # Non-2xx responses and socket errors void the run; they are counted, shown with the run, and
  # make the whole bench fail at the end (after the table, which is then not appended).
  WRKERR=$(awk '/^  Non-2xx or 3xx responses:/ {n += $NF} /^  Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$out")
  if [ "$WRKERR" != 0 ]; then
    { echo "=== $v ($mode): $WRKERR non-2xx responses or socket errors:"; grep 'Non-2xx\|Socket errors' "$out"; } >&2
    FAILURES+=("$v $mode: $(grep 'Non-2xx\|Socket errors' "$out" | tr -s ' ' | tr '\n' ';')${ERRLINES:+ log: $ERRLINES}")
  fi
}
# prepare_colo variant: the colo a measured isolate of `variant` starts in (COLO, above).
prepare_colo() {
  colo_purge
  if [ "$COLO" = warm ] && { [ "$1" = vitrine ] || [ "$1" = alt ]; }; then
    run_wrk zipf "$1" "$WARM_DURATION" "$WORK/wrk-warm-$1.txt"
    echo "           (colo warmed by another $1 isolate: $WARM_DURATION of the Zipf traffic, $(awk '/requests in/ {print $1}' "$WORK/wrk-warm-$1.txt") requests; cache $(colo_stats))"
  fi
}
to_ms() { awk -v x="$1" 'BEGIN{ v=x+0; if (x ~ /us$/) v/=1000; else if (x ~ /ms$/) v=v; else if (x ~ /m$/) v*=60000; else if (x ~ /s$/) v*=1000; printf "%.2f", v }'; }
us_per() { awk -v t="$1" -v hz="$HZ" -v n="$2" 'BEGIN{ if (n>0) printf "%.0f", t/hz*1e6/n; else print "nan" }'; }

# --- first view: cold isolate, every page new ------------------------------------------------
# FV_ROUNDS rounds, the variants interleaved as the load's rounds are (round 1 in order, round 2
# reversed, ...), so a variant's first views are not all measured at one moment of a noisy
# machine. A variant's figure is its CPU over all its rounds / all its pages; the RESULT lines'
# firstview_pages, firstview_secs and firstview_shared are totals over the rounds too.
FAILURES=()
declare -A FV FVN FVS FVSH FVT FVR
echo
echo "first view (cold isolate; $FV_PAGES distinct pages, each asked for once, in id order; persona loyal; $FV_ROUNDS rounds, variants interleaved):"
declare -A FVCOLO
for v in "${VARIANTS[@]}"; do FVT[$v]=0; FVN[$v]=0; FVS[$v]=0; FVR[$v]=; done
for r in $(seq 1 "$FV_ROUNDS"); do
  order=("${VARIANTS[@]}")
  if [ $((r % 2)) = 0 ]; then order=(); for ((i=${#VARIANTS[@]}-1; i>=0; i--)); do order+=("${VARIANTS[$i]}"); done; fi
  for v in "${order[@]}"; do
    prepare_colo "$v"
    run_wrk firstview "$v" "${FV_MAX_SECS}s" "$WORK/wrk-fv-$v.txt"
    cs="$(colo_stats)"; FVCOLO[$v]="${FVCOLO[$v]:+${FVCOLO[$v]}/}$(echo "$cs" | tr ' ' ',')"
    line="$(grep '^LTFV' "$WORK/wrk-fv-$v.txt" || true)"
    n=$(echo "$line" | sed -n 's/.*pages=\([0-9]*\).*/\1/p'); bad=$(echo "$line" | sed -n 's/.*bad=\([0-9]*\).*/\1/p')
    [ "${n:-0}" = "$FV_PAGES" ] || { cat "$WORK/wrk-fv-$v.txt" >&2; die "$v: first view incomplete ($line)"; }
    [ "${bad:-1}" = 0 ] || FAILURES+=("$v firstview round $r: $bad page responses not 200 text/html")
    us=$(us_per "$TICKS" "$n")
    FVT[$v]=$((FVT[$v] + TICKS)); FVN[$v]=$((FVN[$v] + n)); FVR[$v]="${FVR[$v]:+${FVR[$v]}/}$us"
    FVS[$v]=$(awk -v a="${FVS[$v]}" -v b="$WALL" 'BEGIN{printf "%.1f", a+b}')
    sh=$(echo "$line" | sed -n 's/.*shared=\([0-9]*\).*/\1/p'); FVSH[$v]=$(( ${FVSH[$v]:-0} + ${sh:-0} ))
    printf '  round %d  %-12s %6d pages in %6ss  %8s us CPU/page  peak RSS %4s MB  (%s)  colo cache: %s  log: %s\n' "$r" "$v" "$n" "$WALL" "$us" "$((HWM / 1024))" "${line#LTFV }" "$cs" "${EVENTS:-(none)}"
    [ -z "$ERRLINES" ] || echo "           WARNING: $v's log has other lines than events (count line; ...): $ERRLINES" >&2
  done
done
for v in "${VARIANTS[@]}"; do FV[$v]=$(us_per "${FVT[$v]}" "${FVN[$v]}"); done

# --- the long-tail load: rounds, variants interleaved ----------------------------------------
declare -A RPS P50 P99 CPU RSS BCPU N EVS COLOS
for v in "${VARIANTS[@]}"; do RPS[$v]=0; P50[$v]=0; P99[$v]=0; CPU[$v]=0; RSS[$v]=0; BCPU[$v]=0; N[$v]=0; EVS[$v]=; done
echo
echo "load: zipf s=1 over $PAGES pages, tracking=$TRACKING, page param=$PARAM, 4 personas; wrk -t$THREADS -c$CONNS -d$DURATION per variant, $ROUNDS rounds, each run a cold isolate in a $COLO colo"
for r in $(seq 1 "$ROUNDS"); do
  order=("${VARIANTS[@]}")
  if [ $((r % 2)) = 0 ]; then order=(); for ((i=${#VARIANTS[@]}-1; i>=0; i--)); do order+=("${VARIANTS[$i]}"); done; fi
  for v in "${order[@]}"; do
    f="$WORK/wrk-$r-$v.txt"
    prepare_colo "$v"
    run_wrk zipf "$v" "$DURATION" "$f"
    cs="$(colo_stats)"; COLOS[$v]="${COLOS[$v]:+${COLOS[$v]}/}$(echo "$cs" | tr ' ' ',')"
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
    reqs=$(awk '/requests in/ {print $1}' "$f")
    p50=$(to_ms "$(awk '$1=="50%" {print $2}' "$f")"); p99=$(to_ms "$(awk '$1=="99%" {print $2}' "$f")")
    cpu=$(us_per "$TICKS" "$reqs"); bcpu=$(us_per "$BTICKS" "$reqs")
    printf '  round %d  %-12s %9s req/s  p50 %7s ms  p99 %8s ms  %6s us CPU/req  peak RSS %6s MB  (backend %s us/req)  %s  colo cache: %s\n' \
      "$r" "$v" "$rps" "$p50" "$p99" "$cpu" "$((HWM / 1024))" "$bcpu" "$(grep '^LTMIX' "$f" | sed 's/^LTMIX //')" "$cs"
    [ -z "$EVENTS" ] || echo "           log: $EVENTS"
    ! grep -q '^LTTALLY' "$f" || echo "           bodies (x-vitrine body= / Server-Timing page): $(grep '^LTTALLY' "$f" | sed 's/^LTTALLY //')"
    [ -z "$ERRLINES" ] || echo "           WARNING: $v's log has other lines than events (count line; ...): $ERRLINES" >&2
    [ "$WRKERR" = 0 ] || echo "           FAILED: $WRKERR non-2xx responses or socket errors in this run" >&2
    add() { awk -v a="$1" -v b="$2" 'BEGIN{print a+b}'; }
    RPS[$v]=$(add "${RPS[$v]}" "$rps"); P50[$v]=$(add "${P50[$v]}" "$p50"); P99[$v]=$(add "${P99[$v]}" "$p99")
    CPU[$v]=$(add "${CPU[$v]}" "$cpu"); BCPU[$v]=$(add "${BCPU[$v]}" "$bcpu"); N[$v]=$((N[$v] + 1))
    [ "$HWM" -gt "${RSS[$v]}" ] && RSS[$v]=$HWM
    EVS[$v]="$EVENTS"
  done
done

# --- report ------------------------------------------------------------------------------------
mean() { awk -v s="$1" -v n="$2" -v f="$3" 'BEGIN{ if (n>0) printf f, s/n; else print "nan" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.3f", a/b; else print "nan" }'; }
declare -A M_RPS M_P50 M_P99 M_CPU M_BCPU
echo
printf '%-12s %10s %9s %9s %12s %12s %14s %12s\n' variant "req/s" "p50 ms" "p99 ms" "CPU us/req" "peak RSS MB" "first-view us" "backend us"
for v in "${VARIANTS[@]}"; do
  M_RPS[$v]=$(mean "${RPS[$v]}" "${N[$v]}" "%.1f"); M_P50[$v]=$(mean "${P50[$v]}" "${N[$v]}" "%.2f")
  M_P99[$v]=$(mean "${P99[$v]}" "${N[$v]}" "%.2f"); M_CPU[$v]=$(mean "${CPU[$v]}" "${N[$v]}" "%.0f")
  M_BCPU[$v]=$(mean "${BCPU[$v]}" "${N[$v]}" "%.0f")
  printf '%-12s %10s %9s %9s %12s %12s %14s %12s\n' "$v" "${M_RPS[$v]}" "${M_P50[$v]}" "${M_P99[$v]}" "${M_CPU[$v]}" \
    "$((RSS[$v] / 1024))" "${FV[$v]}" "${M_BCPU[$v]}"
done
echo "(means over $ROUNDS rounds; CPU = utime+stime of the measured workerd / requests; peak RSS = max VmHWM; backend = origin+KV process, not measured)"
echo "vitrine/peer         req/s $(ratio "${M_RPS[vitrine]}" "${M_RPS[peer]}")   CPU $(ratio "${M_CPU[vitrine]}" "${M_CPU[peer]}")   first-view CPU $(ratio "${FV[vitrine]}" "${FV[peer]}")"
echo "vitrine/passthrough  req/s $(ratio "${M_RPS[vitrine]}" "${M_RPS[passthrough]}")   CPU $(ratio "${M_CPU[vitrine]}" "${M_CPU[passthrough]}")"
echo "peer/passthrough     req/s $(ratio "${M_RPS[peer]}" "${M_RPS[passthrough]}")   CPU $(ratio "${M_CPU[peer]}" "${M_CPU[passthrough]}")"
# Per-round first-view ratios: "a1/a2/..." over "b1/b2/...".
round_ratios() { awk -v a="$1" -v b="$2" 'BEGIN{ n = split(a, x, "/"); split(b, y, "/"); for (i = 1; i <= n; i++) printf "%s%.3f", (i > 1 ? "/" : ""), (y[i] > 0 ? x[i] / y[i] : 0) }'; }
echo "first view per round (us/page): $(for v in "${VARIANTS[@]}"; do printf '%s %s  ' "$v" "${FVR[$v]}"; done)"
echo "vitrine/peer first view per round: $(round_ratios "${FVR[vitrine]}" "${FVR[peer]}")"
[ -z "${ALT_BUILD:-}" ] || echo "alt/vitrine          req/s $(ratio "${M_RPS[alt]}" "${M_RPS[vitrine]}")   CPU $(ratio "${M_CPU[alt]}" "${M_CPU[vitrine]}")   (alt: $ALT_BUILD)"
for v in vitrine alt; do
  [ -n "${EVS[$v]:-}" ] && echo "$v log events (last round): ${EVS[$v]}"
  case "${EVS[$v]:-}" in *vitrine.bypass=*|*vitrine.shard_failed=*|*vitrine.shard_budget=*|*vitrine.snapshot_kept=*)
    echo "NOTE: $v logged bypasses or catalog-shard problems under load (above): some of its requests did less work" >&2 ;; esac
done

stamp="$(date -u +%Y-%m-%dT%H:%MZ)"; run="$(date -u +%Y%m%dT%H%M%S)-$$"
colo_fields="colo=$COLO"; [ "$COLO" = cold ] || colo_fields="$colo_fields warm_duration=$WARM_DURATION"
common="at=$stamp run=$run $colo_fields${ALT_VARS:+ alt_vars=$(echo "$ALT_VARS" | tr ' ' ',')}${TALLY:+ tally=1} pages=$PAGES duration=$DURATION rounds=$ROUNDS conns=$CONNS threads=$THREADS tracking=$TRACKING param=$PARAM snapshot=$VERSION wasm=$(sha256sum "$ROOT/build/index_bg.wasm" | cut -c1-12) workerd=$("$WORKERD" --version 2>/dev/null | awk '{print $2}')${ALT_BUILD:+ alt_wasm=$(sha256sum "$ALT_BUILD/index_bg.wasm" | cut -c1-12)}"
{
  for v in "${VARIANTS[@]}"; do
    ev="$(echo "${EVS[$v]}" | tr -s ' ' | sed 's/ $//; s/ /,/g')"
    echo "RESULT longtail $common variant=$v rps=${M_RPS[$v]} p50_ms=${M_P50[$v]} p99_ms=${M_P99[$v]} cpu_us=${M_CPU[$v]} rss_kb=${RSS[$v]} firstview_cpu_us=${FV[$v]} firstview_cpu_us_rounds=${FVR[$v]} firstview_rounds=$FV_ROUNDS firstview_pages=${FVN[$v]} firstview_secs=${FVS[$v]} firstview_shared=${FVSH[$v]:-0} backend_cpu_us=${M_BCPU[$v]} colo_zipf=${COLOS[$v]} colo_firstview=$(echo "${FVCOLO[$v]}" | tr ' ' ',')${ev:+ log=$ev}"
  done
  echo "RESULT longtail $common summary=1 vitrine/peer_rps=$(ratio "${M_RPS[vitrine]}" "${M_RPS[peer]}") vitrine/peer_cpu=$(ratio "${M_CPU[vitrine]}" "${M_CPU[peer]}") vitrine/peer_firstview_cpu=$(ratio "${FV[vitrine]}" "${FV[peer]}") vitrine/peer_firstview_cpu_rounds=$(round_ratios "${FVR[vitrine]}" "${FVR[peer]}") vitrine/passthrough_rps=$(ratio "${M_RPS[vitrine]}" "${M_RPS[passthrough]}") vitrine/passthrough_cpu=$(ratio "${M_CPU[vitrine]}" "${M_CPU[passthrough]}") p99_ms_passthrough=${M_P99[passthrough]} p99_ms_peer=${M_P99[peer]} p99_ms_vitrine=${M_P99[vitrine]}${ALT_BUILD:+ alt/vitrine_rps=$(ratio "${M_RPS[alt]}" "${M_RPS[vitrine]}") alt/vitrine_cpu=$(ratio "${M_CPU[alt]}" "${M_CPU[vitrine]}")}"
} > "$WORK/result.txt"
if [ ${#FAILURES[@]} = 0 ]; then
  tee -a "$OUT" < "$WORK/result.txt"
else
  sed 's/^RESULT longtail /RESULT longtail void=1 /' "$WORK/result.txt"
  echo >&2
  echo "longtail: FAILED: the bench is void (RESULT lines above not appended to $OUT):" >&2
  printf '  %s\n' "${FAILURES[@]}" >&2
  exit 1
fi
