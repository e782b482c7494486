#!/usr/bin/env sh
# Brings a fresh machine to a buildable vitrine without GitHub. Idempotent.
# Installs: the wasm32 target, pinned worker-build and wasm-bindgen-cli into .tools/ (skipped
# when present), and the pinned npm tools (wrangler, esbuild, binaryen) from package-lock.json.
set -eu
cd "$(dirname "$0")/.."
WORKER_BUILD_VERSION=0.8.7
# Must equal the `wasm-bindgen = "=…"` pin in Cargo.toml.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown

have() { [ -x ".tools/bin/$1" ] && ".tools/bin/$1" --version 2>/dev/null | grep -q "$2"; }
if ! have worker-build "$WORKER_BUILD_VERSION"; then
  cargo install --locked --root .tools worker-build --version "=$WORKER_BUILD_VERSION"
fi
if ! have wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  # --locked fails here: its lockfile pins a webpki-roots release the registry no longer serves.
  cargo install --locked --root .tools wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" \
    || cargo install --root .tools wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
fi
if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
