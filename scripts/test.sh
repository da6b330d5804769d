#!/usr/bin/env bash
# Runs every check and test that CI runs, installing what is missing first:
#   the real clients (scripts/install-test-clients.sh), cargo fmt --check, cargo clippy -D warnings,
#   every cargo test (with nextest when it is installed), then the end-to-end suite (pytest, tests/e2e)
#   against the release binary.
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
  # nextest does not run doctests.
  cargo test --workspace --locked --doc
else
  cargo test --workspace --locked --no-fail-fast
fi

step "release build"
cargo build --release --locked -p ekslite

step "end-to-end tests"
EKSLITE_BIN="$PWD/target/release/ekslite" python -m pytest tests/e2e -q -p no:cacheprovider "$@"

step "all tests passed"
