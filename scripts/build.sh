#!/usr/bin/env sh
# Builds the Worker (build/index.js + wasm) with local, pinned tools only.
set -eu
cd "$(dirname "$0")/.."
if [ "${VITRINE_SKIP_BUILD:-}" = 1 ] && [ -f build/index.js ]; then exit 0; fi
export WASM_BINDGEN_BIN="$PWD/.tools/bin/wasm-bindgen"
# esbuild, with the Worker's own default export put in place of worker-build's proxies first
# (scripts/esbuild-lean-entry.sh, scripts/lean-entry.js).
export ESBUILD_BIN="$PWD/scripts/esbuild-lean-entry.sh"
export WASM_OPT_BIN="$PWD/node_modules/binaryen/bin/wasm-opt"
# Panic locations are the only file paths in the .wasm: name them relative to the crate's own
# source (`lol_html-3.0.3/src/…`, `crates/core/src/…`) instead of this machine's Cargo home, so the
# artifact does not carry a build path and the strings are shorter.
remap=""
for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
  [ -d "$d" ] && remap="$remap --remap-path-prefix=$d="
done
export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+simd128 --remap-path-prefix=$PWD/= $remap"
# The release profile unwinds for the native CLI (Cargo.toml); the Worker aborts on panic, as it
# always has: wasm-bindgen's glue differs under `panic = "unwind"`, so the .wasm says abort here.
export CARGO_PROFILE_RELEASE_PANIC=abort
[ -x "$ESBUILD_BIN" ] || { echo "build: $ESBUILD_BIN is not executable" >&2; exit 1; }
.tools/bin/worker-build --release
# worker-build falls back to its own esbuild when it cannot run ESBUILD_BIN: make sure the
# bundle has the lean entry.
grep -q 'vitrine-lean-entry' build/index.js || { echo "build: build/index.js lacks scripts/lean-entry.js" >&2; exit 1; }
# worker-build's wasm-opt is off (Cargo.toml, package.metadata.wasm-pack): it always passes
# `--debuginfo`, which keeps the name section and makes the optimized code larger. Optimize here
# and strip the name and producers sections for deployment; VITRINE_KEEP_NAMES=1 keeps the
# function names for debugging. `--low-memory-unused`: rustc's wasm32 layout puts the stack
# below the data, growing down from 1 MiB, so the low 1 KiB is never a valid object address.
# BENCHMARKS.md ("Artifact size") has each flag's measured gain.
if [ "${VITRINE_KEEP_NAMES:-}" = 1 ]; then names=--debuginfo; else names="--strip-debug --strip-producers"; fi
# `-ocimfs 20`: a function with one caller is inlined only when small. By default wasm-opt
# inlines every such function, which made the request one function of about 95 KB that V8's
# optimizing compiler takes long to compile in every new isolate (BENCHMARKS.md, "Fourth pass";
# 150 until the eighth pass there, which measured 20 as less compile time and a smaller gzip).
# shellcheck disable=SC2086 # $names is two flags or one
"$WASM_OPT_BIN" build/index_bg.wasm -o build/index_bg.wasm -O --low-memory-unused --converge $names \
  --one-caller-inline-max-function-size 20 \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling
