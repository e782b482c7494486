#!/usr/bin/env sh
# Builds the Worker (build/index.js + wasm) with local, pinned tools only.
set -eu
cd "$(dirname "$0")/.."
if [ "${VITRINE_SKIP_BUILD:-}" = 1 ] && [ -f build/index.js ]; then exit 0; fi
export WASM_BINDGEN_BIN="$PWD/.tools/bin/wasm-bindgen"
export ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"
export WASM_OPT_BIN="$PWD/node_modules/binaryen/bin/wasm-opt"
export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+simd128"
.tools/bin/worker-build --release
# worker-build keeps the wasm name section (~115 KB: function names for stack traces). Strip it
# and the producers section for deployment; VITRINE_KEEP_NAMES=1 keeps them for debugging.
if [ "${VITRINE_KEEP_NAMES:-}" != 1 ]; then
  "$WASM_OPT_BIN" build/index_bg.wasm -o build/index_bg.wasm --strip-debug --strip-producers \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling
fi
