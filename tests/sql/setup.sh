#!/usr/bin/env sh
# Installs DuckDB's Python package (PyPI `duckdb`) into target/sql/venv for tests/sql/main.rs,
# idempotently: the engine that runs `vitrine report --sql` in the test.
set -eu
cd "$(dirname "$0")/../.."
DIR=target/sql
mkdir -p "$DIR"
if ! "$DIR/venv/bin/python" -c 'import duckdb' >/dev/null 2>&1; then
  python3 -m venv "$DIR/venv"
  "$DIR/venv/bin/pip" install --quiet --disable-pip-version-check 'duckdb==1.4.2'
fi
