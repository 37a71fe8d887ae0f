"""Mutation testing summary: the kill rate per guarded module, and every survivor by name.

``make mutation`` runs mutmut over the modules listed in ``[tool.mutmut]`` (pyproject.toml),
then this script reads mutmut's results (``mutants/**/*.py.meta``) and prints one Markdown
table row per module, grouped as ``docs/benchmarks.md`` reports them. For the no-answer rule
only the rule's own functions in ``knowledge/answer.py`` count (``Engine.decide`` and the floor
in ``Engine.answer``); the rest of that module (input checks, JSON shape) is covered elsewhere
and listed apart.

A mutant counts as killed when a test failed or timed out on it. "No tests" (no selected test
reaches the function) counts as a survivor: an unreached line is an untested line.

Usage: ``python bench/mutation.py [--survivors]`` (after ``mutmut run``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants" / "src"

#: Report row → (source file, function-name prefixes counted; empty = the whole file).
GROUPS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "check engine": [("scalewarden/checks/engine.py", ())],
    "redaction": [
        ("scalewarden/checks/lib/redact.py", ()),
        ("scalewarden/slack/redact.py", ()),
    ],
    "mutelist": [("scalewarden/checks/mutelist.py", ())],
    "no-answer rule": [
        ("scalewarden/knowledge/anchors.py", ()),
        ("scalewarden/knowledge/answer.py", ("xǁEngineǁdecide__", "xǁEngineǁanswer__")),
    ],
    "access control": [("scalewarden/slack/access.py", ())],
    "signature verification": [("scalewarden/slack/signature.py", ())],
    "digest diff": [("scalewarden/digests/diff.py", ())],
}

KILLED = {1, 3, 24, -24, 36, 152, 255}  # a failing test, or a timeout (see mutmut.stats)
NOT_RUN = {None, 2, 34}


def load(path: str) -> dict[str, int | None]:
    """Exit code per mutant name for one source file (``{}`` when mutmut has not run)."""
    meta = MUTANTS / (path + ".meta")
    if not meta.exists():
        return {}
    data: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return data


def short(name: str) -> str:
    """``scalewarden.slack.access.xǁAccessPolicyǁmay_scan__mutmut_7`` becomes
    ``AccessPolicy.may_scan#7``."""
    local = name.rsplit(".", 1)[-1] if "ǁ" not in name else name.split(".x", 1)[-1]
    local = local.lstrip("xǁ_").replace("ǁ", ".")
    function, _, number = local.partition("__mutmut_")
    return f"{function.strip('.')}#{number}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--survivors", action="store_true", help="list every survivor")
    args = parser.parse_args()
    print("| module | mutants | killed | survived | not run | kill rate |")
    print("| --- | --- | --- | --- | --- | --- |")
    survivors: dict[str, list[str]] = {}
    below = False
    for group, files in GROUPS.items():
        counts: Counter[str] = Counter()
        for path, prefixes in files:
            for name, code in load(path).items():
                local = name.split(".", 2)[-1] if "ǁ" not in name else name[name.index("xǁ") :]
                if prefixes and not any(local.startswith(p) for p in prefixes):
                    continue
                if code in NOT_RUN:
                    counts["not run"] += 1
                elif code in KILLED:
                    counts["killed"] += 1
                else:
                    counts["survived"] += 1
                    survivors.setdefault(group, []).append(f"{Path(path).name}: {short(name)}")
        checked = counts["killed"] + counts["survived"]
        rate = counts["killed"] / checked if checked else 0.0
        below |= rate < 0.9
        print(
            f"| {group} | {checked + counts['not run']} | {counts['killed']} | "
            f"{counts['survived']} | {counts['not run']} | {rate:.1%} |"
        )
    if args.survivors:
        for group, names in survivors.items():
            print(f"\n{group}: " + ", ".join(names))
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
