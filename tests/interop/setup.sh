#!/usr/bin/env sh
# Installs the JWT libraries of other languages for tests/interop/main.rs, idempotently, from the
# package registries into target/interop/: PyJWT (PyPI) in a venv, jose and jsonwebtoken (npm),
# and php-cli and a JDK (Debian) for the PHP and Java snippets.
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
# PHP and a JDK run the PHP and Java minting snippets (Debian packages).
missing=
command -v php >/dev/null 2>&1 || missing="$missing php-cli"
command -v java >/dev/null 2>&1 || missing="$missing default-jdk-headless"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    # shellcheck disable=SC2086 # $missing is a list of package names
    (apt-get install -y -qq $missing >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $missing >/dev/null 2>&1; })
  fi
  command -v php >/dev/null 2>&1 && command -v java >/dev/null 2>&1 || { echo "interop: needs php and java (apt-get install$missing)" >&2; exit 1; }
fi
