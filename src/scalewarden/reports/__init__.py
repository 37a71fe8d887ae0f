"""Report formatters: one module per output format, all reading a ``ScanReport``.

Renderers never decide anything: every format is a view of the same findings, so a finding
that is FAIL in the table is FAIL in JSON, CSV, OCSF, ASFF and Markdown. Formatter modules
are imported on demand to keep ``scalewarden`` start-up fast.

``FORMATS`` is the one list of output formats. Every place that lets a user name a format
resolves the word through ``resolve_format`` (the CLI's ``--format``, Slack's report upload
and the API's ``/api/v1/scans/{id}/report``), so a format or an alias such as ``md``
that one of them accepts, all of them accept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scalewarden.checks.model import ScanReport


@dataclass(frozen=True)
class OutputFormat:
    """One output format: its name, the other names it answers to, and how it is stored."""

    name: str
    #: The formatter module under ``scalewarden.reports`` (it has ``render(report) -> str``).
    module: str
    #: File name extension, without the dot (``scalewarden-scan-<id>.<extension>``).
    extension: str
    media_type: str
    aliases: tuple[str, ...] = ()

    def render(self, report: ScanReport) -> str:
        """The report in this format."""
        module = import_module(f"scalewarden.reports.{self.module}")
        text: str = module.render(report)
        return text

    def filename(self, stem: str) -> str:
        """A file name for a report in this format, e.g. ``filename("scan-1")``."""
        return f"{stem}.{self.extension}"


#: Canonical name → format, in the order help texts list them.
FORMATS: Mapping[str, OutputFormat] = MappingProxyType(
    {
        f.name: f
        for f in (
            OutputFormat("table", "table", "txt", "text/plain; charset=utf-8"),
            OutputFormat("json", "json", "json", "application/json"),
            OutputFormat("csv", "csv", "csv", "text/csv; charset=utf-8"),
            OutputFormat("ocsf", "ocsf", "ocsf.json", "application/json"),
            OutputFormat("asff", "asff", "asff.json", "application/json"),
            OutputFormat("markdown", "markdown", "md", "text/markdown; charset=utf-8", ("md",)),
            OutputFormat("html", "html", "html", "text/html; charset=utf-8"),
        )
    }
)

#: Every word a user may type for a format (names and aliases, lower case) → its format.
_BY_WORD: Mapping[str, OutputFormat] = MappingProxyType(
    {word: f for f in FORMATS.values() for word in (f.name, *f.aliases)}
)


def format_choices() -> str:
    """The accepted names for help and error texts: ``table, json, …, markdown (md)``."""
    return ", ".join(
        f"{f.name} ({', '.join(f.aliases)})" if f.aliases else f.name for f in FORMATS.values()
    )


def resolve_format(name: str) -> OutputFormat:
    """The format a user named (any case, aliases included); ValueError listing the choices."""
    found = _BY_WORD.get((name or "").strip().lower())
    if found is None:
        raise ValueError(f"unknown format {name!r}; expected one of: {format_choices()}")
    return found


def render(report: ScanReport, fmt: str) -> str:
    """The report in format ``fmt`` (a name or alias); ValueError when unknown."""
    return resolve_format(fmt).render(report)
