#!/usr/bin/env bash
# Memory in page size: does a 10 MB page cost more than a ~100 KB one? One workerd process per
# variant serves both pages (from the same bench origin, which answers 304 to a matching
# If-None-Match), and is driven by SEQUENTIAL requests (one at a time, so nothing is in flight
# concurrently and the figures measure one request's working set, not wrk's concurrency):
#   N_SMALL requests of the 136 KB listing, then N_BIG requests of a 10 MB listing
#   (listing-1m.html with its cards repeated to 10 MB; over the 2 MB recording bound, so
#   vitrine streams it through lol_html every time), then N_ATTR requests of the same 10 MB page
#   with a 4 MiB attribute value at the top of <body> (a tag lol_html must buffer whole: its
#   memory limit makes vitrine bail out and pass the page through unchanged). That needs the
#   attribute form on (ATTRIBUTE_SLOTS=on, this script's default): with it off, lol_html skips
#   the attributes of tags that are not <vitrine-slot>, buffers nothing and fills the slots.
# After start-up, after the small page and after the big page it reads
#  - the isolate's own memory through the V8 inspector (workerd --inspector-addr; heap.mjs):
#    the WASM linear memory size (never shrinks, so after the requests it is the peak) and the
#    live JS heap after a forced full GC. These separate vitrine from the runtime;
#  - VmRSS and VmHWM (peak RSS) of the whole workerd process, for context (runtime included).
# Loopback only, bounded in count and time.
#
# usage: sh benches/workerd/memory.sh     env: N_SMALL=200 N_BIG=20 N_ATTR=5 VARIANTS="vitrine passthrough"
#                                              ATTRIBUTE_SLOTS=on (off: /2 is then rewritten, not bailed out)
#                                              REWRITE_MEMORY_LIMIT=<bytes> (the worker's var)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
N_SMALL="${N_SMALL:-200}"; N_BIG="${N_BIG:-20}"; N_ATTR="${N_ATTR:-5}"; VARIANTS="${VARIANTS:-vitrine passthrough}"
WORKERD="$(find "$ROOT/node_modules" -path '*bin/workerd' -type f -perm -u+x 2>/dev/null | head -n1)"
[ -x "$WORKERD" ] || { echo "workerd binary not found under node_modules" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vitrine-mem.XXXXXX")"
PID=
stop() {
  if [ -n "$PID" ]; then kill -TERM -- "-$PID" 2>/dev/null || true; sleep 0.3; kill -KILL -- "-$PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  PID=
}
cleanup() { stop; [ -n "${KEEP:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

BIG="$WORK/listing-10m.html"
node -e '
const fs = require("fs");
const page = fs.readFileSync(process.argv[1], "utf8");
const first = page.indexOf("<article class=\"card\"");
const last = page.lastIndexOf("</article>") + "</article>".length;
const cards = page.slice(first, last);
let mid = cards;
while (page.length + mid.length < 10 * 1024 * 1024) mid += cards;
fs.writeFileSync(process.argv[2], page.slice(0, first) + mid + page.slice(last));
' "$ROOT/fixtures/pages/listing-1m.html" "$BIG"
ATTR="$WORK/listing-10m-attr.html"
node -e '
const fs = require("fs");
const page = fs.readFileSync(process.argv[1], "utf8");
const at = page.indexOf(">", page.indexOf("<body")) + 1;
const blob = `<div data-blob="${"x".repeat(4 * 1024 * 1024)}"></div>`;
fs.writeFileSync(process.argv[2], page.slice(0, at) + blob + page.slice(at));
' "$BIG" "$ATTR"
SMALL="$ROOT/fixtures/pages/listing-136k.html"

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port="$(free_port)"; iport="$(free_port)"
LOAD_PAGES="$SMALL,$BIG,$ATTR" ATTRIBUTE_SLOTS="${ATTRIBUTE_SLOTS:-on}" node "$HERE/gen.mjs" "$SMALL" "$WORK" "$port" "$port" "$port" "$ROOT" >/dev/null
COOKIE="vitrine_profile=$(cat "$WORK/cookie.txt")"
if [ -n "${REWRITE_MEMORY_LIMIT:-}" ]; then # the worker's var of the same name: lol_html's cap
  sed -i "s|(name = \"PAGE_SOURCE\"|(name = \"REWRITE_MEMORY_LIMIT\", text = \"$REWRITE_MEMORY_LIMIT\"),\n    &|" "$WORK/vitrine.capnp"
fi
isolate() { # -> "used_bytes=.. total_bytes=.. backing_bytes=.. embedder_bytes=.. wasm_bytes=.. wasm_memories=.."
  node --experimental-websocket --no-warnings "$HERE/heap.mjs" "127.0.0.1:$iport" | sed -n 's/^HEAP //p'
}
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
mem() { awk '/^VmRSS|^VmHWM/ {printf "%s %s ", $1, $2}' "/proc/$PID/status"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$PID/status"; }
seq_get() { # path count -> bytes of the last body
  local n=0 len=0
  for _ in $(seq 1 "$2"); do
    len="$(curl -s --max-time 30 -o /dev/null -w '%{size_download}' -H "Cookie: $COOKIE" "http://127.0.0.1:$port$1")"
    n=$((n + 1))
  done
  echo "$len"
}

echo "pages: /0 $(wc -c <"$SMALL") bytes, /1 $(wc -c <"$BIG") bytes, /2 $(wc -c <"$ATTR") bytes; $N_SMALL, $N_BIG, $N_ATTR sequential requests; workerd $("$WORKERD" --version 2>/dev/null | awk '{print $2}')"
for v in $VARIANTS; do
  (cd "$WORK" && exec setsid "$WORKERD" serve --inspector-addr="127.0.0.1:$iport" "$v.capnp") >"$WORK/$v.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/0" && break; sleep 0.1; done
  start="$(hwm)"; i0="$(isolate)"; echo "$v start: $(mem)| $i0"
  small_len="$(seq_get /0 "$N_SMALL")"; small="$(hwm)"; i1="$(isolate)"
  echo "$v after $N_SMALL x /0 ($small_len B): $(mem)| $i1"
  big_len="$(seq_get /1 "$N_BIG")"; big="$(hwm)"; i2="$(isolate)"
  echo "$v after $N_BIG x /1 ($big_len B): $(mem)| $i2"
  [ "$big_len" -gt 9000000 ] || { echo "$v: big page body too short ($big_len)" >&2; exit 1; }
  attr_len="$(seq_get /2 "$N_ATTR")"; i3="$(isolate)"
  echo "$v after $N_ATTR x /2 ($attr_len B): $(mem)| $i3"
  [ "$attr_len" = "$(wc -c <"$ATTR")" ] || { echo "$v: /2 not passed through whole ($attr_len B)" >&2; exit 1; }
  echo "RESULT variant=$v wasm_start=$(field "$i0" wasm_bytes) wasm_small=$(field "$i1" wasm_bytes)" \
    "wasm_big=$(field "$i2" wasm_bytes) wasm_big_minus_small=$(( $(field "$i2" wasm_bytes) - $(field "$i1" wasm_bytes) ))" \
    "heap_start=$(field "$i0" used_bytes) heap_small=$(field "$i1" used_bytes) heap_big=$(field "$i2" used_bytes)" \
    "heap_big_minus_small=$(( $(field "$i2" used_bytes) - $(field "$i1" used_bytes) ))" \
    "wasm_attr=$(field "$i3" wasm_bytes) heap_attr=$(field "$i3" used_bytes)" \
    "backing_small=$(field "$i1" backing_bytes) backing_big=$(field "$i2" backing_bytes)" \
    "backing_attr=$(field "$i3" backing_bytes)" \
    "hwm_start_kb=$start hwm_small_kb=$small hwm_big_kb=$big hwm_big_minus_small_kb=$((big - small))"
  stop
done
