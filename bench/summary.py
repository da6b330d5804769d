#!/usr/bin/env python3
"""Writes the benchmark suite's summary: the headline figures of every benchmark's JSON results, each beside its
anchor and goal, with a verdict, and the list of goals missed.

Usage: python bench/summary.py RESULTS_DIR OUTPUT.md
RESULTS_DIR holds store.json, apiserver.json, scheduler.json, dataplane-small.json, dataplane-large.json and
endtoend.json (as `scripts/bench.sh` leaves them); a missing file leaves its rows out and is named in the summary.
"""

import json
import math
import sys
from pathlib import Path


def seconds(value: float) -> str:
    """A duration in the unit that suits it."""
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.0f} ms"
    if value < 120:
        return f"{value:.2f} s"
    return f"{value / 60:.1f} min"


def count(value: float) -> str:
    return f"{round(value):,}"


def load(directory: Path, name: str):
    path = directory / f"{name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def results_by(document, key: str) -> dict:
    """A bench-report document's result rows, by one of their fields."""
    return {row[key]: row for row in document["results"] if key in row}


def measures(document) -> dict:
    """The data plane report's `measure` rows as a name -> value map."""
    return {row["measure"]: row["value"] for row in document["results"] if "measure" in row}


def verdict(met: bool, how_far: str = "") -> str:
    return "met" if met else f"missed{f' ({how_far})' if how_far else ''}"


class Summary:
    def __init__(self):
        self.rows: list[tuple[str, str, str, str]] = []
        self.missed: list[str] = []
        self.absent: list[str] = []

    def add(self, measure: str, figure: str, anchor: str, met: bool | None = None, how_far: str = ""):
        """One row; `met` None means the figure has anchors but no goal to meet."""
        state = "" if met is None else verdict(met, how_far)
        if met is False:
            self.missed.append(f"{measure}: {figure} against {anchor}")
        self.rows.append((measure, figure, anchor, state))


def cluster_rows(summary: Summary, endtoend):
    anchors = "real EKS 9–16 min · LocalStack 60–120 s · kind ~30 s · goal < 1 s"
    readiness = endtoend.get("cluster_readiness", {})
    for key, label in [("create_to_active_s", "`aws eks create-cluster` → ACTIVE (median)"),
                       ("create_to_kubectl_s", "`create-cluster` → first `kubectl get nodes` (median)")]:
        if key not in readiness:
            continue
        value = readiness[key]["median"]
        summary.add(label, seconds(value), anchors, value < 1.0, f"{value:.1f}x")
    up = endtoend.get("ekslite_up")
    if up:
        value = up["up_to_ready_nodes_s"]
        summary.add(f"`ekslite up` → {up['nodes']} Ready nodes", seconds(value), anchors, value < 1.0,
                    f"{value:.1f}x")


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(value) for value in values) / len(values))


def eks_api_rows(summary: Summary, endtoend):
    api = endtoend.get("eks_api", {})
    ratios = api.get("ekslite_over_moto")
    if not ratios:
        return
    processes = api.get("client_processes")
    throughput = [entry["throughput_ratio"] for entry in ratios.values()]
    summary.add(f"EKS API requests/s, ekslite ÷ moto (geometric mean of {len(ratios)} operations), one client "
                "process", f"{geometric_mean(throughput):.1f}x", "")
    many = [entry["throughput_ratio_many_clients"] for entry in ratios.values()
            if entry.get("throughput_ratio_many_clients")]
    if many:
        summary.add(f"… with {processes} client processes", f"{geometric_mean(many):.1f}x", "")
    key = "server_cpu_per_request_ratio_many_clients" if many else "server_cpu_per_request_ratio"
    driven = f", {processes} client processes" if many else ""
    cpu = [entry[key] for entry in ratios.values() if entry.get(key)]
    if cpu:
        summary.add(f"EKS API server CPU per request, moto ÷ ekslite (geometric mean{driven})",
                    f"{geometric_mean(cpu):.1f}x", "the client-independent comparison")
    settled = "server_cpu_until_settled_ratio_many_clients" if many else "server_cpu_until_settled_ratio"
    for goal, label, key in [(20, "reads and metadata writes", key), (5, "deletes, over the calls", key),
                             (5, "deletes, with their background work until gone", settled)]:
        rows = {name: entry[key] for name, entry in ratios.items()
                if entry.get("cpu_goal") == goal and entry.get(key) and (goal == 20 or name.startswith("delete"))}
        if not rows:
            continue
        name, lowest = min(rows.items(), key=lambda item: item[1])
        summary.add(f"EKS API server CPU per request, moto ÷ ekslite, {label}{driven}: the lowest",
                    f"{name} {lowest:.1f}x",
                    f"goal ≥ {goal}x on each", lowest >= goal, f"{lowest / goal:.2f} of the goal")


def scale_rows(summary: Summary, document, label: str):
    settings, values = document["settings"], measures(document)
    nodes, pods = count(settings["nodes"]), count(settings["pods"])
    summary.add(f"{label}: {nodes} nodes Ready", seconds(values["nodes_ready_seconds"]), "")
    p50, p99 = values["pod_startup_p50_seconds"], values["pod_startup_p99_seconds"]
    summary.add(f"{label}: pod startup p50 / p99, {pods} pods", f"{seconds(p50)} / {seconds(p99)}",
                "SLO p99 ≤ 5 s · goal p99 < 1 s", p99 < 1.0, f"{p99:.1f}x")
    rate = values["scheduled_and_running_per_second"]
    if not settings.get("rate"):  # a paced run's throughput is its pace
        summary.add(f"{label}: pods created → Running per second", count(rate),
                    "kube-scheduler CI floor 680 pods/s at 5,000 nodes", rate >= 680)
    if "create_call_p99_seconds" in values:
        p99_call = values["create_call_p99_seconds"]
        summary.add(f"{label}: API p99 (pod creates under load)", seconds(p99_call), "SLO ≤ 1 s", p99_call <= 1.0,
                    f"{p99_call:.1f}x")
    if "largest_value_bytes" in values:
        largest = values["largest_value_bytes"]
        summary.add(f"{label}: largest record written", f"{count(largest)} B", "goal < 64 KB",
                    largest < 64 * 1024, f"{largest / (64 * 1024):.1f}x")
        summary.add(f"{label}: store bytes written per node / per pod",
                    f"{count(values['store_bytes_per_node'])} B / {count(values['store_bytes_per_pod'])} B", "")
    rss = values["peak_rss_bytes"] / 2**30
    summary.add(f"{label}: peak RSS", f"{rss:.2f} GiB", "goal < 4 GiB at 5,000 nodes / 150,000 pods",
                rss < 4.0 if settings["nodes"] >= 5000 else None, f"{rss / 4:.1f}x")


def ec2_scale_rows(summary: Summary, document):
    results = document["results"]
    nodes = count(results["nodes"])
    tag = results["create_tags_bytes"]
    summary.add(f"EC2 at {nodes} nodes in one cluster (`bench/scale.py`, aws CLI): bytes a VPC tag stores",
                f"{count(tag)} B", "goal < 4 KB", tag < 4096, f"{tag / 4096:.1f}x")
    listed = results["instances_with_address"]
    summary.add(f"EC2 at {nodes} nodes: `describe-instances` through every instance with its address",
                f"{results['describe_instances_s']:.1f} s, {count(listed)} of {nodes}", "",
                listed == results["nodes"])


def scheduler_rows(summary: Summary, document):
    for row in document["results"]:
        rate = row["pods_per_second"]
        goal = 6800 if row["nodes"] >= 5000 else None
        summary.add(f"scheduler decisions/s at {count(row['nodes'])} nodes", count(rate),
                    "CI floor 680 · goal 10x = 6,800" if goal else "",
                    rate >= goal if goal else None)


def store_rows(summary: Summary, document):
    rows = [(row["backend"], row["operation"], row) for row in document["results"]]
    creates = {backend: row["ops_per_sec"] for backend, operation, row in rows if operation == "create"}
    if "sqlite" in creates:
        anchor = f"etcd on the same machine: {count(creates['etcd'])}/s" if "etcd" in creates else ""
        summary.add("store: durable creates/s (SQLite, 256 in flight)", count(creates["sqlite"]), anchor)


def apiserver_rows(summary: Summary, document):
    for row in document["results"]:
        if row["operation"].startswith("create"):
            p99 = row["p99_us"] / 1e6
            summary.add(f"API server: {row['operation']} p99 over HTTPS", seconds(p99), "SLO ≤ 1 s · aim < 10 ms",
                        p99 < 0.01, f"{p99 / 0.01:.1f}x the aim")
            return


def machine_line(documents) -> str:
    for document in documents:
        if document and "machine" in document:
            machine = document["machine"]
            memory = machine.get("memory") or f"{machine.get('memory_bytes', 0) / 2**30:.1f} GiB"
            return (f"{machine['cpu_model']}, {machine['cores']} cores, {memory} RAM, {machine['os']}, "
                    f"{machine['kernel'].removeprefix('Linux ')}")
    return "unknown"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: python bench/summary.py RESULTS_DIR OUTPUT.md")
    directory, output = Path(sys.argv[1]), Path(sys.argv[2])
    names = ["endtoend", "dataplane-large", "scale", "dataplane-small", "dataplane-paced", "scheduler", "apiserver",
             "store"]
    documents = {name: load(directory, name) for name in names}
    summary = Summary()
    builders = {
        "endtoend": lambda d: (cluster_rows(summary, d), eks_api_rows(summary, d)),
        "dataplane-large": lambda d: scale_rows(summary, d, "scale"),
        "scale": lambda d: ec2_scale_rows(summary, d),
        "dataplane-small": lambda d: scale_rows(summary, d, "data plane"),
        "dataplane-paced": lambda d: scale_rows(summary, d, f"paced at {count(d['settings']['rate'])} pods/s"),
        "scheduler": lambda d: scheduler_rows(summary, d),
        "apiserver": lambda d: apiserver_rows(summary, d),
        "store": lambda d: store_rows(summary, d),
    }
    for name in names:
        if documents[name] is None:
            summary.absent.append(name)
        else:
            builders[name](documents[name])

    quick = bool(documents["endtoend"] and documents["endtoend"].get("quick"))
    lines = ["# Benchmarks", "",
             f"Machine: {machine_line(documents.values())}. Produced by `scripts/bench.sh`"
             f"{' --quick (small sizes: not figures to quote)' if quick else ''}; each figure beside its anchor. "
             "Details, settings and every measurement are in the pages below.", "",
             "| Measure | ekslite | Anchor / goal | Goal |", "|---|---:|---|---|"]
    lines += [f"| {measure} | {figure} | {anchor} | {state} |" for measure, figure, anchor, state in summary.rows]
    lines += ["", "## Goals missed", ""]
    lines += [f"- {missed}" for missed in summary.missed] or ["- none"]
    if summary.absent:
        lines += ["", f"Not run: {', '.join(summary.absent)}."]
    lines += ["", "## Pages", "",
              "- [endtoend.md](endtoend.md): cluster readiness, `ekslite up`, the EKS API beside moto",
              "- [dataplane-large.md](dataplane-large.md) and [dataplane-small.md](dataplane-small.md): nodes, "
              "scheduling and pod startup in one process wired as `ekslite serve`, pods created as fast as the API "
              "takes them; store bytes per node and pod, the largest record",
              "- [scale.md](scale.md): EC2 at 2,000 nodes in one cluster through the aws CLI: what a VPC tag stores, "
              "DescribeInstances paging",
              "- [dataplane-paced.md](dataplane-paced.md): the same with pods created at a steady rate below the "
              "throughput, as Kubernetes' density tests pace them: startup latency without the queue",
              "- [scheduler.md](scheduler.md): scheduling decisions alone",
              "- [apiserver.md](apiserver.md): the Kubernetes API over HTTPS",
              "- [store.md](store.md): SQLite, memory and etcd", ""]
    output.write_text("\n".join(lines))
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
