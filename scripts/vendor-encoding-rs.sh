#!/usr/bin/env sh
# vendor/encoding_rs is encoding_rs 0.8.44 as published plus vendor/encoding_rs.patch, nothing
# else (Cargo.toml, [patch.crates-io], says why). This script fetches the published crate with
# cargo and:
#   --check   fails unless vendor/encoding_rs is exactly that crate with the patch applied (CI);
#   (none)    rebuilds vendor/encoding_rs from the crate and the patch (after editing the patch,
#             or with VERSION=… for an upgrade once the patch applies to it).
# To change the patch: edit vendor/encoding_rs, then `sh scripts/vendor-encoding-rs.sh --diff`
# rewrites vendor/encoding_rs.patch from the difference.
set -eu
cd "$(dirname "$0")/.."
root=$PWD
version=${VERSION:-0.8.44}
mode=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/fetch/src"
cat > "$tmp/fetch/Cargo.toml" <<TOML
[package]
name = "fetch-encoding-rs"
version = "0.0.0"
edition = "2021"
[dependencies]
encoding_rs = "=$version"
TOML
: > "$tmp/fetch/src/lib.rs"
(cd "$tmp/fetch" && cargo vendor --quiet --versioned-dirs "$tmp/crates" > /dev/null)
mkdir -p "$tmp/a" "$tmp/b"
cp -R "$tmp/crates/encoding_rs-$version/." "$tmp/a/"
rm -f "$tmp/a/.cargo-checksum.json"
case "$mode" in
  --diff)
    cp -R vendor/encoding_rs/. "$tmp/b/"
    # No timestamps in the headers, so the patch only changes when the difference does.
    (cd "$tmp" && diff -ruN a b | sed -E 's/^(---|\+\+\+) ([^	]+)	.*/\1 \2/' \
      > "$root/vendor/encoding_rs.patch")
    echo "wrote vendor/encoding_rs.patch ($(grep -c '^[+-][^+-]' vendor/encoding_rs.patch) changed lines)"
    ;;
  --check | "")
    cp -R "$tmp/a/." "$tmp/b/"
    (cd "$tmp/b" && git apply -p1 "$root/vendor/encoding_rs.patch")
    if [ "$mode" = --check ]; then
      if ! diff -r "$tmp/b" vendor/encoding_rs > "$tmp/differ"; then
        echo "vendor/encoding_rs is not encoding_rs $version + vendor/encoding_rs.patch:" >&2
        head -40 "$tmp/differ" >&2
        exit 1
      fi
      echo "vendor/encoding_rs = encoding_rs $version + vendor/encoding_rs.patch"
    else
      rm -rf vendor/encoding_rs
      cp -R "$tmp/b" vendor/encoding_rs
      echo "rebuilt vendor/encoding_rs from encoding_rs $version + vendor/encoding_rs.patch"
    fi
    ;;
  *)
    echo "usage: sh scripts/vendor-encoding-rs.sh [--check | --diff]" >&2
    exit 2
    ;;
esac
