#!/usr/bin/env sh
# WASM cost of the identity stage: builds this crate for wasm32 with the Worker's flags and
# release profile, then times it under Node (V8, the engine workerd embeds).
# Also the full decision with experiments and recommendations over the demo shop snapshot.
# Usage: sh benches/wasm-identity/run.sh   (N=iterations per run, default 20000)
# CARGO_PROFILE_RELEASE_OPT_LEVEL=z times the Worker's shipped opt-level (this crate's default is 3).
set -eu
cd "$(dirname "$0")"
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+simd128" \
  cargo build --quiet --release --target wasm32-unknown-unknown --target-dir ../../target/wasm-identity-bench
node run.mjs ../../target/wasm-identity-bench/wasm32-unknown-unknown/release/vitrine_wasm_identity_bench.wasm
