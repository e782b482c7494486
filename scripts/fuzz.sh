#!/usr/bin/env sh
# Replays every fuzz target's committed corpus, then fuzzes each target for a bounded time.
# Idempotent; installs a pinned cargo-fuzz into .tools/ when missing. Run by `.ci/run`.
#
# usage: sh scripts/fuzz.sh [target ...]        (default: every target in fuzz/Cargo.toml)
# env:   FUZZ_SECS=30   seconds of fuzzing per target after the replay (0: replay only)
#        FUZZ_REPLAY_ONLY="parquet parquet_patched"   targets only replayed, never fuzzed, by
#                       default the Parquet reader's: the Parquet library sizes buffers from counts
#                       in the page data and libFuzzer finds such a file in seconds
#                       (docs/developers.md#fuzzing); `FUZZ_REPLAY_ONLY= sh scripts/fuzz.sh parquet`
#                       fuzzes them
#
# A crash, a leak or a timeout fails the run; libFuzzer writes the input that triggered it to
# fuzz/artifacts/<target>/ (reproduce: `sh scripts/fuzz.sh <target>` prints the command).
# New inputs the fuzzer finds go to a scratch directory, never into the committed corpus.
#
# The machine has one stable toolchain and no other can be fetched: cargo-fuzz's `-Z` flags
# (sanitizer coverage) are allowed on it with RUSTC_BOOTSTRAP=1, for the fuzz build only.
set -eu
cd "$(dirname "$0")/.."
CARGO_FUZZ_VERSION=0.13.1
FUZZ_SECS="${FUZZ_SECS:-30}"
FUZZ_REPLAY_ONLY="${FUZZ_REPLAY_ONLY-parquet parquet_patched}"

if ! { [ -x .tools/bin/cargo-fuzz ] && .tools/bin/cargo-fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; }; then
  cargo install --locked --root .tools cargo-fuzz --version "=$CARGO_FUZZ_VERSION"
fi
PATH="$PWD/.tools/bin:$PATH"
export RUSTC_BOOTSTRAP=1

if [ "$#" -gt 0 ]; then
  targets="$*"
else
  targets=$(sed -n 's/^name = "\(.*\)"/\1/p' fuzz/Cargo.toml | grep -v '^vitrine-fuzz$')
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/vitrine-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# One build of every target (release, debug assertions on, address sanitizer).
cargo fuzz build --fuzz-dir fuzz

for t in $targets; do
  corpus="fuzz/corpus/$t"
  [ -d "$corpus" ] || { echo "fuzz: $t has no corpus at $corpus" >&2; exit 1; }
  n=$(find "$corpus" -type f | wc -l)
  [ "$n" -gt 0 ] || { echo "fuzz: the corpus of $t is empty" >&2; exit 1; }
  mkdir -p "$scratch/$t" "fuzz/artifacts/$t"
  echo "fuzz: $t: replaying $n committed inputs"
  cargo fuzz run --fuzz-dir fuzz "$t" "$corpus" -- -runs=0 -rss_limit_mb=2048 \
    || { echo "fuzz: $t fails on its committed corpus (cargo fuzz run --fuzz-dir fuzz $t $corpus)" >&2; exit 1; }
  case " $FUZZ_REPLAY_ONLY " in
    *" $t "*) echo "fuzz: $t: replay only (FUZZ_REPLAY_ONLY)"; continue ;;
  esac
  if [ "$FUZZ_SECS" -gt 0 ]; then
    echo "fuzz: $t: fuzzing for ${FUZZ_SECS}s"
    # The scratch directory comes first: libFuzzer writes what it finds into the first one.
    cargo fuzz run --fuzz-dir fuzz "$t" "$scratch/$t" "$corpus" -- \
      -max_total_time="$FUZZ_SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      || { echo "fuzz: $t failed; the input is in fuzz/artifacts/$t/ (replay: cargo fuzz run --fuzz-dir fuzz $t fuzz/artifacts/$t/<file>)" >&2; exit 1; }
  fi
done
echo "fuzz: every target passed ($(echo "$targets" | wc -w) targets, ${FUZZ_SECS}s each after the replay; replay only: ${FUZZ_REPLAY_ONLY:-none})"
