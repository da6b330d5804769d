#!/usr/bin/env bash
# Runs every check and test that CI runs, installing what is missing first:
#   the real clients (scripts/install-test-clients.sh), cargo fmt --check, cargo clippy -D warnings,
#   every cargo test (with nextest when it is installed), the release build, then the end-to-end suite
#   (pytest, tests/e2e, two tests at a time) against the release binary.
# Usage: scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }

step "installing test clients"
scripts/install-test-clients.sh
# shellcheck source=/dev/null
source .clients/env.sh

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
  # nextest does not run doctests; building every library again for rustdoc only pays when there are some.
  if grep -rq --include='*.rs' '```' crates; then
    cargo test --workspace --locked --doc
  fi
else
  cargo test --workspace --locked --no-fail-fast
fi

step "release build"
cargo build --release --locked -p ekslite
binary="${CARGO_TARGET_DIR:-target}/release/ekslite"
case "$binary" in /*) ;; *) binary="$PWD/$binary" ;; esac

# Every end-to-end test starts its own servers on free ports in its own directory, so they run two at a time.
step "end-to-end tests"
EKSLITE_BIN="$binary" python -m pytest tests/e2e -q -p no:cacheprovider -n 2 "$@"

step "all tests passed"
