#!/usr/bin/env bash
# What one Cache API call costs the isolate that makes it, in CPU, on raw `workerd serve`: a
# worker that makes N calls per request (cache.put of a 60-byte entry, cache.match of one, or a
# fetch of a small body), against the long-tail bench's cache service (cache.js) in its own
# workerd process over loopback, as longtail.sh runs it. CPU per call = the measured workerd's
# utime + stime over ROUNDS x 40 requests of N calls, / calls. Each kind is measured twice,
# interleaved. Used to weigh shared slot maps (src/colo.rs): a read that finds nothing costs a
# match, a write a match and a put.
#
# usage: sh benches/workerd/cache-ops.sh        env: N=50 (calls per request)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(cd "$HERE/../.." && pwd)"
N="${N:-50}"
WORKERD="${WORKERD:-$ROOT/node_modules/@cloudflare/workerd-linux-64/bin/workerd}"
[ -x "$WORKERD" ] || { echo "cache-ops: workerd not found under node_modules" >&2; exit 1; }
W="$(mktemp -d "${TMPDIR:-/tmp}/vitrine-cache-ops.XXXXXX")"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -- "-$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
read -r PC PM < <(node -e 'const n=require("net");const a=n.createServer().listen(0,"127.0.0.1",()=>{const b=n.createServer().listen(0,"127.0.0.1",()=>{console.log(a.address().port,b.address().port);a.close();b.close();});});')
cp "$HERE/cache.js" "$W/"
cat > "$W/w.js" <<'JS'
let opened = null;
const maps = () => (opened ??= caches.open("vitrine-maps"));
const bytes = new Uint8Array(60).fill(7);
export default {
  async fetch(req) {
    const u = new URL(req.url);
    const op = u.searchParams.get("op"), n = Number(u.searchParams.get("n")), base = Number(u.searchParams.get("base"));
    const c = await maps();
    for (let i = 0; i < n; i++) {
      const url = `http://shop.test/__vitrine/maps/bench/${base + i}`;
      if (op === "put") {
        await c.put(url, new Response(bytes.slice(), { headers: { "cache-control": "max-age=604800" } }));
      } else if (op === "match") {
        const r = await c.match(url);
        if (r) await r.arrayBuffer();
      } else {
        await (await fetch(`http://cache/${i}`, { method: "OPTIONS" })).arrayBuffer();
      }
    }
    return new Response("ok");
  },
};
JS
cat > "$W/b.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "cache", worker = .cache) ],
  sockets = [ (name = "cache", address = "127.0.0.1:$PC", http = (), service = "cache") ],
);
const cache :Workerd.Worker = ( modules = [ (name = "cache.js", esModule = embed "cache.js") ], compatibilityDate = "2025-09-01" );
CAPNP
cat > "$W/m.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .main), (name = "cache", external = (address = "127.0.0.1:$PC", http = ())) ],
  sockets = [ (name = "http", address = "127.0.0.1:$PM", http = (), service = "main") ],
);
const main :Workerd.Worker = ( modules = [ (name = "w.js", esModule = embed "w.js") ], compatibilityDate = "2025-09-01", cacheApiOutbound = "cache", globalOutbound = "cache" );
CAPNP
(cd "$W" && exec setsid "$WORKERD" serve b.capnp) > "$W/b.log" 2>&1 & PIDS+=($!)
(cd "$W" && exec setsid "$WORKERD" serve m.capnp) > "$W/m.log" 2>&1 & MP=$!; PIDS+=($MP)
for i in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PM/?op=match&n=1&base=0" && break; sleep 0.1; done
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
HZ="$(getconf CLK_TCK)"
base=0
for op in put match fetch put match fetch; do
  t0=$(ticks "$MP")
  for r in $(seq 1 40); do curl -sf -o /dev/null "http://127.0.0.1:$PM/?op=$op&n=$N&base=$((base + r * N))"; done
  t1=$(ticks "$MP")
  [ "$op" = fetch ] && base=$((base + 100000))
  awk -v t=$((t1 - t0)) -v hz="$HZ" -v n=$((40 * N)) -v op="$op" 'BEGIN{printf "%-6s %5.0f us CPU per call (%d calls)\n", op, t / hz * 1e6 / n, n}'
done
