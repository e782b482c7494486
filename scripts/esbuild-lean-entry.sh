#!/usr/bin/env sh
# The `ESBUILD_BIN` that scripts/build.sh gives worker-build. worker-build bundles its shim from
# its staging directory (`./shim.js`) with esbuild; before that bundle, this puts the Worker's
# own default export (scripts/lean-entry.js: the same recovery after a Wasm trap, without a
# proxy per request, per property read and per method call) in place of worker-build's, then
# runs esbuild with worker-build's arguments. Any other call runs esbuild unchanged. A shim
# that has worker-build's proxies but not the export line replaced here (a worker-build that
# changed its shim) fails the build, rather than ship another entry unnoticed.
# Why: BENCHMARKS.md, "Fifteenth pass".
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
line='export default new Proxy(Entrypoint, classProxyHooks);'
if [ -f ./shim.js ] && grep -q 'classProxyHooks' ./shim.js; then
  if ! grep -qxF "$line" ./shim.js; then
    echo "esbuild-lean-entry: worker-build's ./shim.js has no line '$line'; see scripts/lean-entry.js" >&2
    exit 1
  fi
  awk -v line="$line" -v lean="$root/scripts/lean-entry.js" \
    '$0 == line { while ((getline l < lean) > 0) print l; close(lean); next } { print }' \
    ./shim.js > ./shim.js.lean
  mv ./shim.js.lean ./shim.js
fi
exec "$root/node_modules/.bin/esbuild" "$@"
