"""The source registry, derived from the code: every source has one module, nothing twice."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from scalewarden.aws import sources
from scalewarden.aws.inventory import Source


def test_every_source_is_filled_by_exactly_one_module() -> None:
    filled = Counter(s for module in sources.MODULES for s in module.fills)
    assert set(filled) == set(Source)
    assert [s for s, n in filled.items() if n > 1] == []


def test_no_two_modules_declare_the_same_need_or_page_size() -> None:
    needs = Counter(s for module in sources.MODULES for s in module.needs)
    ops = Counter(op for module in sources.MODULES for op in module.page_sizes)
    assert [s for s, n in needs.items() if n > 1] == []
    assert [op for op, n in ops.items() if n > 1] == []


def test_a_module_declares_needs_only_for_what_it_fills() -> None:
    for module in sources.MODULES:
        assert set(module.needs) <= set(module.fills), module.name


def test_every_module_is_started_or_started_by_another() -> None:
    started = {m.name for m in (*sources.ACCOUNT_WIDE, *sources.LONG_CHAINS, *sources.REGIONAL)}
    for module in sources.MODULES:
        assert (module.start is not None) == (module.name in started), module.name


def test_source_modules_never_call_boto3_themselves() -> None:
    # Every call must go through the collector's wrapper (stop-after-permanent-failure,
    # errors[source]): a module that imports boto3/botocore clients or reaches for the
    # client factory would bypass it. aas_namespaces reads botocore's *model* only.
    folder = Path(sources.__file__).parent
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                assert node.attr not in {"clients", "client"}, f"{path.name}: .{node.attr}"
            if isinstance(node, ast.Import):
                assert all(a.name != "boto3" for a in node.names), path.name
            if isinstance(node, ast.ImportFrom):
                assert node.module not in {"boto3", "scalewarden.aws.session"}, path.name
