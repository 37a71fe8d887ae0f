"""Hostile input benchmark: IAM wildcard matching, the old regular expression against the matcher.

What it does:

1. Times one ``StringLike`` value of the hostile shape, ``*?`` repeated ``k`` times then
   ``#0``, matched against the service name the service-linked role check probes with, for
   growing ``k``: once with the translation to a regular expression that scalewarden used
   before (``*`` → ``[^\\n]*``, ``?`` → ``.``, Python's backtracking ``re``), and once with
   ``scalewarden.checks.lib.wildcard``. The regular expression is only run while one match
   stays under ``--cap`` seconds; past that its growth factor per ``k`` is reported instead.
2. Times whole documents through the IAM evaluator (both questions the IAM checks ask): the
   278-character policy (10 ``*?`` pairs, as reported), a condition with 200 such values, and
   a 6 KB policy of worst-case wildcards in Action, Resource and Condition, with the work
   counted in matching steps.

Usage: ``python bench/hostile.py [--cap 2.0] [--json]``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

# Running ``python bench/hostile.py`` puts bench/ first on sys.path, where bench/http.py would
# shadow the standard library's ``http`` package once botocore imports it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from scalewarden.checks.lib.iam_policy import (  # noqa: E402
    UNLISTED_SERVICE,
    Statement,
    aas_write_grant,
    create_slr_grant,
    parse_statements,
)
from scalewarden.checks.lib.wildcard import WorkBudget, iam_wildcard  # noqa: E402


def old_glob(pattern: str) -> re.Pattern[str]:
    """The translation scalewarden used before: a backtracking regular expression."""
    parts = ["[^\n]*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts))


def best_of(runs: int, fn: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def single_values(cap: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    regex_alive = True
    for k in range(2, 21, 2):
        value = "*?" * k + "#0"
        new = best_of(5, partial(iam_wildcard(value).matches, UNLISTED_SERVICE))
        row: dict[str, Any] = {"pairs": k, "length": len(value), "matcher_s": new}
        if regex_alive:
            compiled = old_glob(value)
            old = best_of(1, partial(compiled.fullmatch, UNLISTED_SERVICE))
            row["regex_s"] = old
            regex_alive = old < cap
        rows.append(row)
    return rows


def document(values: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": "*",
                "Condition": {"StringLike": {"iam:AWSServiceName": values}},
            }
        ],
    }


def six_kb() -> dict[str, Any]:
    patterns: list[str] = []
    while len(json.dumps(patterns)) < 2000:
        patterns.append("*" + "?" * 20 + "#" + "?" * (len(patterns) % 5) + "*")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [*patterns, "application-autoscaling:Put*"],
                "Resource": [*patterns, "*"],
                "Condition": {"StringLike": {"iam:AWSServiceName": patterns}},
            }
        ],
    }


def documents() -> list[dict[str, Any]]:
    cases = {
        "reported policy (10 pairs, 2 values)": document(["*?" * 10 + "#0", "*?" * 10 + "#1"]),
        "200-value condition (12 pairs each)": document([f"{'*?' * 12}#{i}" for i in range(200)]),
        "6 KB of worst-case wildcards": six_kb(),
    }
    rows = []
    for name, doc in cases.items():
        statements = parse_statements(doc)
        budget = WorkBudget(10**12)

        def both(b: WorkBudget | None = None, st: list[Statement] = statements) -> None:
            create_slr_grant(st, budget=b)
            aas_write_grant(st, budget=b)

        both(budget)
        rows.append(
            {
                "document": name,
                "chars": len(json.dumps(doc, separators=(",", ":"))),
                "steps": budget.spent,
                "seconds": best_of(5, both),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cap", type=float, default=2.0, help="stop the regex past this time")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    singles = single_values(args.cap)
    docs = documents()
    if args.json:
        print(json.dumps({"single_values": singles, "documents": docs}, indent=2))
        return
    print(f"One StringLike value against {UNLISTED_SERVICE!r}")
    print("| `*?` pairs | value length | regular expression | linear matcher |")
    print("| --- | --- | --- | --- |")
    for row in singles:
        old = f"{row['regex_s'] * 1000:.3f} ms" if "regex_s" in row else "(not run)"
        print(f"| {row['pairs']} | {row['length']} | {old} | {row['matcher_s'] * 1e6:.1f} µs |")
    timed = [r for r in singles if "regex_s" in r]
    if len(timed) >= 2:
        a, b = timed[-2], timed[-1]
        factor = (b["regex_s"] / a["regex_s"]) ** (1 / (b["pairs"] - a["pairs"]))
        print(f"\nregex growth: ×{factor:.1f} per extra `*?` pair at the end of the run")
    print("\nWhole documents through the IAM evaluator (both IAM questions)")
    print("| document | characters | matching steps | time |")
    print("| --- | --- | --- | --- |")
    for row in docs:
        print(
            f"| {row['document']} | {row['chars']:,} | {row['steps']:,} | "
            f"{row['seconds'] * 1000:.2f} ms |"
        )


if __name__ == "__main__":
    main()
