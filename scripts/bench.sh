#!/usr/bin/env bash
# Runs the benchmark suite and writes its results to docs/benchmarks/ (markdown) and target/bench/ (JSON):
#   the store (SQLite, memory and a real etcd), the API server over HTTPS, the scheduler's decisions, the data
#   plane wired as `ekslite serve` at 1,000 nodes / 30,000 pods in one EKS cluster and at 5,000 nodes / 150,000
#   pods in five, EC2 at 2,000 nodes in one cluster through the aws CLI, and the end-to-end measurements with the
#   real clients (cluster ACTIVE and kubectl-ready, `ekslite up`, EKS API throughput beside moto's server).
# Usage: scripts/bench.sh [--quick]   (--quick: small sizes, to check that the suite runs)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }

quick=false
case "${1:-}" in
  --quick) quick=true ;;
  "") ;;
  *) echo "usage: scripts/bench.sh [--quick]" >&2; exit 2 ;;
esac

step "installing the clients, etcd and moto"
scripts/install-test-clients.sh
# shellcheck source=/dev/null
source .clients/env.sh
python -c 'import moto' 2>/dev/null || python -m pip install --quiet --disable-pip-version-check 'moto[server]'

results="${CARGO_TARGET_DIR:-target}/bench"
mkdir -p "$results" docs/benchmarks

# One build of every bench binary, with the whole workspace's features so that each later `cargo bench` finds it
# fresh; it also makes the release binary the end-to-end measurements run, since the ekslite package has benches.
step "building the bench binaries and the release binary"
cargo bench --workspace --locked --no-run
binary="${CARGO_TARGET_DIR:-target}/release/ekslite"

if $quick; then
  seconds=1 small_nodes=100 small_pods=1000 large_nodes=300 large_pods=3000 pods=500 paced_pods=1000 rate=100
  scale_nodes=100
else
  seconds=3 small_nodes=1000 small_pods=30000 large_nodes=5000 large_pods=150000 pods=5000 paced_pods=30000 rate=250
  scale_nodes=2000
fi

step "store: SQLite, memory, etcd"
cargo bench --workspace --locked --bench store -- --seconds "$seconds"

step "API server over HTTPS"
cargo bench --workspace --locked --bench apiserver -- --seconds "$seconds"

step "scheduler decisions"
SCHEDULER_BENCH_PODS="$pods" cargo bench --workspace --locked --bench scheduling

step "data plane: $small_nodes nodes, $small_pods pods"
cargo bench --workspace --locked --bench dataplane -- --nodes "$small_nodes" --pods "$small_pods" --store sqlite
mv "$results/dataplane.json" "$results/dataplane-small.json"
mv "$results/dataplane.md" "$results/dataplane-small.md"

step "data plane: $small_nodes nodes, $paced_pods pods created at $rate per second"
cargo bench --workspace --locked --bench dataplane -- --nodes "$small_nodes" --pods "$paced_pods" --store sqlite \
  --rate "$rate"
mv "$results/dataplane.json" "$results/dataplane-paced.json"
mv "$results/dataplane.md" "$results/dataplane-paced.md"

step "data plane: $large_nodes nodes, $large_pods pods in five clusters"
cargo bench --workspace --locked --bench dataplane -- --clusters 5 --nodes "$large_nodes" --pods "$large_pods" \
  --store sqlite
mv "$results/dataplane.json" "$results/dataplane-large.json"
mv "$results/dataplane.md" "$results/dataplane-large.md"

step "EC2 at scale: $scale_nodes nodes in one cluster through the aws CLI"
python bench/scale.py --binary "$binary" --nodes "$scale_nodes"

step "end to end with the real clients"
if $quick; then
  python bench/endtoend.py --binary "$binary" --quick
else
  python bench/endtoend.py --binary "$binary"
fi

step "summary"
for name in store apiserver scheduler dataplane-small dataplane-paced dataplane-large scale endtoend; do
  cp "$results/$name.md" "docs/benchmarks/$name.md"
done
python bench/summary.py "$results" docs/benchmarks/README.md

step "done: docs/benchmarks/README.md"
