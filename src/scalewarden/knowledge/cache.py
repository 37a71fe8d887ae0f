"""An on-disk cache of the built index, keyed on the exact knowledge-base content.

Building needs ``bm25s`` (and through it SciPy), which costs more to import than the whole
search takes; a cached index is a single ``.npz`` file that numpy loads in milliseconds. The
key covers every indexed file's path and bytes *and* the source of the modules that analyse
text, so editing an article or the stemmer can never serve a stale index. Files are written
atomically (temporary file, then rename) so that two processes starting together never read
half a cache, and ``allow_pickle=False`` means a planted cache file cannot run code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from scalewarden.knowledge.index import SearchIndex

log = logging.getLogger(__name__)

#: Modules whose code decides what the index contains.
_ANALYSIS_MODULES = (
    "text.py",
    "synonyms.py",
    "index.py",
    "corpus.py",
    "cache.py",
    "wordlist.py",
)
#: How many cache files to keep (one per distinct set of knowledge folders, roughly).
KEEP = 4
_META_KEY = "__meta__"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/scalewarden`` or ``~/.cache/scalewarden``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "scalewarden"


def cache_key(content_digest: str) -> str:
    """Digest of the knowledge content plus the code that analyses it, and botocore's release
    (its ``__init__.py`` holds the version): the index stores AWS's service names from it."""
    from scalewarden.knowledge.wordlist import botocore_data_dir

    digest = hashlib.sha256(content_digest.encode())
    here = Path(__file__).resolve().parent
    botocore = botocore_data_dir()
    sources = [here / name for name in _ANALYSIS_MODULES]
    if botocore is not None:
        sources.append(botocore.parent / "__init__.py")
    for path in sources:
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(path.name.encode())
    return digest.hexdigest()[:32]


def _path(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"index-{key}.npz"


def load(cache_dir: Path, key: str) -> SearchIndex | None:
    """The cached index for ``key``, or ``None`` (missing, unreadable or corrupt: rebuild)."""
    path = _path(cache_dir, key)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files if name != _META_KEY}
            meta: dict[str, Any] = json.loads(npz[_META_KEY].tobytes().decode("utf-8"))
        return SearchIndex.from_state(arrays, meta)
    except FileNotFoundError:
        return None
    except Exception as exc:  # any corrupt or foreign file just means "rebuild"
        log.debug("ignoring unreadable index cache %s: %s", path, exc)
        return None


def save(cache_dir: Path, key: str, index: SearchIndex) -> Path | None:
    """Write the index atomically; a read-only or full disk only costs a rebuild next time."""
    arrays, meta = index.to_state()
    payload = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    target = _path(cache_dir, key)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".npz", dir=cache_dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                # (typed as Any: numpy's stub reads ``**arrays`` as a possible allow_pickle)
                savez: Any = np.savez
                savez(fh, **arrays, **{_META_KEY: payload})
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.debug("cannot write index cache in %s: %s", cache_dir, exc)
        return None
    _prune(cache_dir, keep=target)
    return target


def _prune(cache_dir: Path, keep: Path) -> None:
    """Drop all but the most recent :data:`KEEP` cache files."""
    try:
        files = sorted(cache_dir.glob("index-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in [p for p in files if p != keep][KEEP - 1 :]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("cannot prune index cache in %s: %s", cache_dir, exc)
