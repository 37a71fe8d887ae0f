"""Writing a report to ``--output FILE``: checked before the scan, replaced atomically after.

A scan of a large organization can take many minutes; finding out only at the end that the
output directory does not exist (or is read-only) throws that work away. So the file is
claimed up front: a temporary file is created beside the target, which proves the directory
is writable, and the finished report is written into it and moved over the target with one
``os.replace``. A failure at any point leaves no partial report behind, and an existing file
at the target keeps its old content.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from types import TracebackType


class OutputError(ValueError):
    """The report cannot be written to the requested path (a usage error)."""


class ReportFile:
    """A claimed output path; use as a context manager, ``commit`` the text at the end.

    Leaving the context without a commit (an error, an interrupted scan) removes the
    temporary file, so nothing half-written ever appears at the target.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        if target.is_dir():
            raise OutputError(f"cannot write {target}: it is a directory")
        parent = target.parent
        if not parent.is_dir():
            raise OutputError(f"cannot write {target}: directory {parent} does not exist")
        try:
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
        os.close(fd)
        self._temp: Path | None = Path(name)

    def __enter__(self) -> ReportFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()

    def commit(self, text: str) -> None:
        """Write ``text`` (newline-terminated) and move it over the target in one step."""
        if self._temp is None:
            raise OutputError(f"report for {self.target} already written or discarded")
        body = text if text.endswith("\n") else text + "\n"
        try:
            self._temp.write_text(body, encoding="utf-8")
            # mkstemp creates the file 0600, which suits a report listing weaknesses; a file
            # being replaced keeps the permissions its owner gave it.
            if self.target.exists():
                os.chmod(self._temp, self.target.stat().st_mode & 0o7777)
            os.replace(self._temp, self.target)
        except OSError as exc:
            self.discard()
            raise OutputError(f"cannot write {self.target}: {exc.strerror or exc}") from exc
        self._temp = None

    def discard(self) -> None:
        """Remove the temporary file if the report was not committed."""
        if self._temp is not None:
            with contextlib.suppress(OSError):
                self._temp.unlink()
            self._temp = None


def writable_dir(folder: Path) -> None:
    """Make sure reports can be written into ``folder`` (created if missing), before a scan.

    Proved the way ``ReportFile`` proves a file: a temporary file is created there and removed.
    """
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"cannot write into {folder}: it is not a directory")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {folder}: {exc.strerror or exc}") from exc
    with ReportFile(folder / "scalewarden-probe"):
        pass
