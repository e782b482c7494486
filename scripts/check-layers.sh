#!/usr/bin/env sh
# The workspace's layering, proven from Cargo's own dependency graph (docs/developers.md):
#   - the core (vitrine-core) depends on neither the Worker runtime nor any CLI-side crate;
#   - the Worker's wasm32 tree holds no CLI-side crate;
#   - no module is gated on the target (`cfg(not(target_arch = "wasm32"))`): Cargo, not cfg
#     flags, keeps the layers apart.
# Import cycles between modules are checked by `tests/layering.rs`.
set -eu
cd "$(dirname "$0")/.."
runtime='worker|worker-sys|worker-macros|wasm-bindgen|js-sys|web-sys|console_error_panic_hook'
cli='clap|toml|toml_edit|ammonia|statrs|ureq|csv|indicatif|codespan-reporting|time|url|axum|maud|vitrine-compile|vitrine-report|vitrine-studio|vitrine-cli'
names() { cargo tree --quiet "$@" -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u; }
failed=0
bad=$(names -p vitrine-core | grep -Ex "$runtime|$cli" || true)
if [ -n "$bad" ]; then echo "vitrine-core depends on: $(echo $bad)" >&2; failed=1; fi
# `url` is in that tree as the worker crate's own dependency, not the CLI's.
bad=$(names -p vitrine --target wasm32-unknown-unknown | grep -Ex "$cli" | grep -vx url || true)
if [ -n "$bad" ]; then echo "the Worker's wasm32 tree has CLI crates: $(echo $bad)" >&2; failed=1; fi
gated=$(grep -rln 'cfg(not(target_arch' src crates --include='*.rs' || true)
if [ -n "$gated" ]; then echo "target-gated code in: $(echo $gated)" >&2; failed=1; fi
[ "$failed" = 0 ] && echo "layers: core has no runtime or CLI crate; the Worker has no CLI crate; no target gating"
exit "$failed"
