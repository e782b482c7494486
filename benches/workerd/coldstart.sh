#!/usr/bin/env bash
# Cold start of passthrough, the JS peer and vitrine in workerd (median of RUNS starts each):
# spawn → listening, first request, a warm request. vitrine's extra start time over
# passthrough is its .wasm compile + instantiate; its first request includes the first
# snapshot load from KV and the first (streamed + recorded) rewrite of the page.
#
# usage: sh benches/workerd/coldstart.sh [page.html]     env: RUNS=7
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PAGE="${1:-$ROOT/fixtures/pages/listing-136k.html}"
WORKERD="$(find "$ROOT/node_modules" -path '*bin/workerd' -type f -perm -u+x 2>/dev/null | head -n1)"
[ -x "$WORKERD" ] || { echo "workerd binary not found under node_modules" >&2; exit 1; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vitrine-cold.XXXXXX")"
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
read -r p1 p2 p3 < <(node -e '
const net=require("net");const ps=[];let n=0;
for(let i=0;i<3;i++){const s=net.createServer();s.listen(0,"127.0.0.1",()=>{ps[i]=s;if(++n===3){
console.log(ps.map(x=>x.address().port).join(" "));ps.forEach(x=>x.close());}});}')
node "$HERE/gen.mjs" "$PAGE" "$WORK" "$p1" "$p2" "$p3" "$ROOT"
echo "wasm: $(wc -c < "$ROOT/build/index_bg.wasm") bytes; workerd $("$WORKERD" --version | awk '{print $2}')"
node "$HERE/coldstart.mjs" "$WORKERD" "$WORK" "vitrine_profile=$(cat "$WORK/cookie.txt")" "${RUNS:-7}" \
  "passthrough=$p1" "peer=$p2" "vitrine=$p3"
