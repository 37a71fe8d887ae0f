"""Formats under hostile or oversized text: limits, escaping, one finding per row."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest

from scalewarden.checks.model import Finding, ScanReport, Severity, Status
from scalewarden.reports import FORMATS, render
from scalewarden.reports.asff import OTHER_VALUE_MAX
from scalewarden.reports.table import render as render_table

#: Custom-resource ids are URLs of up to 1,600 characters, and AWS allows CR/LF/TAB in them.
LONG_ID = "https://api.example.com/prod/" + "x" * 1500 + "/END-OF-ID"
NEWLINE_ID = "table/orders\n| FAIL | forged | row |\r\n=cmd|' /C calc'!A0"


def finding(resource_id: str, **overrides: object) -> Finding:
    values: dict[str, object] = {
        "check_id": "target_fixed_capacity",
        "title": "Target has a fixed capacity",
        "severity": Severity.HIGH,
        "status": Status.FAIL,
        "account_id": "111122223333",
        "account_name": "prod",
        "region": "us-east-1",
        "resource_id": resource_id,
        "resource_arn": None,
        "message": "MinCapacity equals MaxCapacity",
        "remediation": "Widen the range",
        "kb_article": "resilience",
    }
    values.update(overrides)
    return Finding(**values)  # type: ignore[arg-type]


def report_of(*findings: Finding) -> ScanReport:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return ScanReport(
        scan_id="s-1",
        started_at=when,
        finished_at=when,
        accounts=[{"id": "111122223333", "name": "prod"}],
        regions=["us-east-1"],
        findings=list(findings),
        coverage=[],
    )


def test_asff_text_fields_within_security_hub_limits() -> None:
    big = finding(
        LONG_ID,
        title="T" * 400,
        message="M" * 5000,
        remediation="R" * 2000,
        evidence={"blob": "e" * 5000},
    )
    (item,) = json.loads(render(report_of(big), "asff"))
    assert len(item["Title"]) == 256 and item["Title"].endswith("…")
    assert len(item["Description"]) == 1024
    assert len(item["Remediation"]["Recommendation"]["Text"]) <= 512
    other = item["Resources"][0]["Details"]["Other"]
    # "Each value must contain fewer than 1,024 characters."
    assert all(len(v) < 1024 for v in other.values()), {k: len(v) for k, v in other.items()}
    assert len(other["resource_id"]) == OTHER_VALUE_MAX


def test_csv_neutralises_formulas_in_every_cell_and_keeps_rows_intact() -> None:
    rows_in = [
        finding(NEWLINE_ID),
        finding('=HYPERLINK("http://x")', account_name="@SUM(A1)", message="+1", remediation="-1"),
        finding("\tcmd", message="\r=2"),
    ]
    rows = list(csv.reader(io.StringIO(render(report_of(*rows_in), "csv"), newline="")))
    assert len(rows) == 1 + len(rows_in)  # embedded newlines stayed inside quoted cells
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # The text is all there, on one line: a line break inside a cell is one more place for a
    # reader that splits rows naively to forge one.
    assert any(c.startswith("table/orders | FAIL | forged") for c in cells)
    assert not [c for c in cells if "\n" in c or "\r" in c]
    assert '\'=HYPERLINK("http://x")' in cells


def test_markdown_keeps_one_row_per_finding() -> None:
    text = render(report_of(finding(NEWLINE_ID), finding("b|c")), "markdown")
    rows = [line for line in text.splitlines() if line.startswith("| FAIL | target_")]
    assert len(rows) == 2
    for line in rows:
        assert len(re.findall(r"(?<!\\)\|", line)) == 7, line
    assert any("forged" in line for line in rows)  # the text is still there, in its cell


@pytest.mark.parametrize(("width", "most_lines"), [(80, 30), (160, 12)])
def test_table_shortens_very_long_resource_ids(width: int, most_lines: int) -> None:
    # Folded whole, this id filled 150 lines at width 80 for a single finding.
    text = render_table(report_of(finding(LONG_ID)), width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    body = [line for line in lines if line.startswith("│")]
    assert len(body) <= most_lines
    resource = "".join(line.split("│")[2].strip() for line in body)  # the Finding column
    joined = resource
    assert "https://api.example.com" in joined and "END-OF-ID" in joined and "…" in joined


def test_table_cells_are_single_line_without_control_characters() -> None:
    text = render(report_of(finding(NEWLINE_ID, message="line one\nline two\x1b[2J")), "table")
    assert "\x1b" not in text and "\r" not in text
    body = [line for line in text.splitlines() if line.startswith("│")]
    assert not any(line.lstrip("│ ").startswith("| FAIL") for line in body)
    assert "forged" in text


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("wide", [False, True])
def test_table_prints_no_bidi_override_or_terminal_escape(color: bool, wide: bool) -> None:
    # U+202E flips the rest of the line ("policy/evil\u202etxt.exe" reads as "exe.txt");
    # an OSC sequence retitles the terminal. Neither may reach it from account data.
    hostile = finding(
        "policy/evil\u202etxt.exe\u2066x\u2069",
        message="see \x1b]0;owned\x07 and \x1b[31mred\x1b[0m \u200fhere",
        account_name="prod\u202e",
    )
    text = render_table(report_of(hostile), width=80, color=color, wide=wide)
    assert not [c for c in text if c in BIDI]
    assert "\x1b]" not in text and "\x07" not in text
    if not color:
        assert "\x1b" not in text
    assert "evil" in text and "txt.exe" in text and "red" in text


#: What a scanned account can hide in a name: C0 and C1 controls (ESC, BEL, NEL, CSI), every
#: bidirectional control, and other invisible format characters (zero-width space and joiner,
#: word joiner, byte order mark, soft hyphen, a tag character).
INVISIBLE = "\x1b\x07\x00\x7f\x85\x9b" + BIDI + "\u200b\u200d\u2060\ufeff\u00ad\U000e0041"
_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069"
    "\ufeff\U000e0000-\U000e007f]"
)


def _hostile_report() -> ScanReport:
    name = "evil" + "".join(f"{c}x" for c in INVISIBLE) + "txt.exe"
    return report_of(
        finding(
            f"policy/{name}",
            account_name=f"prod\u202e{name}",
            message=f"see \x1b]0;owned\x07 {name}",
            remediation=f'\x1b=HYPERLINK("http://evil") {name}',
            evidence={f"tag\u202e{name}": [name, {"k\x9b": name}]},
        )
    )


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_no_export_keeps_a_control_bidi_or_invisible_character(fmt: str) -> None:
    """Neither in the file nor in what a reader decodes from it: every format shows what the
    table shows (one line, controls as spaces, invisible characters as U+FFFD)."""
    out = render(_hostile_report(), fmt)
    assert not _HIDDEN.findall(out.replace("\r\n", "").replace("\n", "")), fmt
    shown = out
    if fmt in ("json", "ocsf", "asff"):
        decoded = _strings(json.loads(out))
        assert decoded and not [t for t in decoded if _HIDDEN.search(t) or "\n" in t]
        shown = " ".join(decoded)
    if fmt == "csv":
        cells = [c for row in csv.reader(io.StringIO(out, newline="")) for c in row]
        assert not [c for c in cells if _HIDDEN.search(c)]
        # The formula guard still holds: the ESC before "=" became a space, then went.
        assert '\'=HYPERLINK("http://evil")' in " ".join(cells)
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert "evil" in shown and "txt.exe" in shown and "\ufffd" in shown
