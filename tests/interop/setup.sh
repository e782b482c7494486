#!/usr/bin/env sh
# Installs the JWT libraries of other languages for tests/interop.rs, idempotently, from the
# package registries into target/interop/: PyJWT (PyPI) in a venv, jose and jsonwebtoken (npm).
set -eu
cd "$(dirname "$0")/../.."
DIR=target/interop
mkdir -p "$DIR"
if ! "$DIR/venv/bin/python" -c 'import jwt' >/dev/null 2>&1; then
  python3 -m venv "$DIR/venv"
  "$DIR/venv/bin/pip" install --quiet --disable-pip-version-check 'PyJWT==2.10.1'
fi
if [ ! -f "$DIR/node/node_modules/jose/package.json" ] || [ ! -f "$DIR/node/node_modules/jsonwebtoken/package.json" ]; then
  mkdir -p "$DIR/node"
  [ -f "$DIR/node/package.json" ] || echo '{"private":true}' > "$DIR/node/package.json"
  npm install --silent --no-audit --no-fund --prefix "$DIR/node" jose@5.10.0 jsonwebtoken@9.0.2
fi
