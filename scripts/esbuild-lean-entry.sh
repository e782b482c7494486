#!/usr/bin/env sh
# The `ESBUILD_BIN` that scripts/build.sh gives worker-build. worker-build bundles its shim from
# its staging directory (`./shim.js`) with esbuild; before that bundle, this puts the Worker's
# own default export (scripts/lean-entry.js: the same recovery after a Wasm trap, without a
# proxy per request, per property read and per method call) in place of worker-build's, then
# runs esbuild with worker-build's arguments. Any other call runs esbuild unchanged. The bundle
# call fails, rather than ship another entry unnoticed, when the shim lacks the export line
# replaced here or the names lean-entry.js uses (another worker-build, or its unwind shim), or
# when lean-entry.js cannot be read; scripts/build.sh then checks the bundle for the entry's
# marker. Why: BENCHMARKS.md, "Fifteenth pass".
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
lean="$root/scripts/lean-entry.js"
line='export default new Proxy(Entrypoint, classProxyHooks);'
bundling=false
for arg in "$@"; do [ "$arg" = ./shim.js ] && bundling=true; done
if $bundling; then
  fail() { echo "esbuild-lean-entry: $*; see scripts/lean-entry.js" >&2; exit 1; }
  [ -r "$lean" ] || fail "cannot read $lean"
  grep -qxF "$line" ./shim.js || fail "worker-build's ./shim.js has no line '$line'"
  for name in 'function checkReinitialize' 'function handleMaybeCritical' 'const initState' 'class Entrypoint'; do
    grep -qF "$name" ./shim.js || fail "worker-build's ./shim.js has no '$name'"
  done
  awk -v line="$line" -v lean="$lean" '
    $0 == line {
      n = 0
      while ((r = (getline l < lean)) > 0) { print l; n++ }
      if (r < 0 || n == 0) { print "cannot read " lean > "/dev/stderr"; exit 1 }
      close(lean); next
    }
    { print }' ./shim.js > ./shim.js.lean
  mv ./shim.js.lean ./shim.js
fi
exec "$root/node_modules/.bin/esbuild" "$@"
