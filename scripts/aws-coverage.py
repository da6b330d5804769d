#!/usr/bin/env python3
"""Writes the table of AWS operations served per service into docs/aws.md (between its coverage markers): for each
service, how many of the operations in botocore's model the binary serves (`ekslite operations`, which names each
service by its botocore model), and which.

Usage: python scripts/aws-coverage.py [--binary PATH] [--check]
Needs botocore (`source .clients/env.sh`). With --check it writes nothing and fails when the table is stale or when
the binary serves an operation its service's model does not have."""

import argparse
import subprocess
import sys
from pathlib import Path

import botocore.session

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "aws.md"
BEGIN = "<!-- coverage: written by scripts/aws-coverage.py -->"
END = "<!-- end of coverage -->"


def served(binary: str) -> dict[str, list[str]]:
    lines = subprocess.run([binary, "operations"], capture_output=True, text=True, check=True).stdout.splitlines()
    by_service: dict[str, list[str]] = {}
    for line in lines:
        service, operation = line.split()
        by_service.setdefault(service, []).append(operation)
    return by_service


def table(by_service: dict[str, list[str]]) -> tuple[str, list[str]]:
    """The markdown table, and the served operations no model has."""
    session = botocore.session.get_session()
    rows = ["| Service | Served / in botocore's model | Served operations |", "| --- | --- | --- |"]
    unknown = []
    for service, operations in by_service.items():
        model = session.get_service_model(service)
        names = set(model.operation_names)
        unknown += [f"{service} {name}" for name in operations if name not in names]
        title = model.metadata.get("serviceFullName", service)
        rows.append(f"| {title} (`{service}`) | {len(set(operations) & names)} / {len(names)} | "
                    f"{', '.join(sorted(operations))} |")
    return "\n".join(rows) + "\n", unknown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(ROOT / "target" / "release" / "ekslite"))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text, unknown = table(served(args.binary))
    if unknown:
        print("served operations missing from botocore's models:", ", ".join(unknown), file=sys.stderr)
        return 1
    doc = DOC.read_text()
    start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    updated = doc[:start] + "\n\n" + text + "\n" + doc[end:]
    if args.check:
        if updated != doc:
            print("docs/aws.md's coverage table is stale: run python scripts/aws-coverage.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
