"""Loading the knowledge base: Markdown articles → sections, the unit of retrieval.

Two kinds of folders feed the index. The shipped ``knowledge/`` folder holds articles with
strict YAML front matter (the contract in ``docs/architecture.md``); every field is checked
because a wrong source URL or a misspelt topic would reach users as a broken citation. Extra
folders from ``SCALEWARDEN_KNOWLEDGE_DIRS`` hold whatever a team has (runbooks, a copy of the
AWS docs): front matter is optional there, the title comes from the first heading and the id
from the folder's name and the file's path inside it ("runbooks/db/failover").

One bad file never takes the knowledge base down: it is reported as a :class:`LoadProblem`
naming the file, and every other file still loads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scalewarden.topics import TOPICS

SOURCE_PREFIX = "https://docs.aws.amazon.com/autoscaling/application/userguide/"
_SOURCE_URL_RE = re.compile(
    r"^https://docs\.aws\.amazon\.com/autoscaling/application/userguide/([A-Za-z0-9_-]+)\.html$"
)
_PAGE_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SOURCES_LINE_RE = re.compile(r"^[*_]*sources?[*_]*\s*:\s*(.*?)[*_]*\s*$", re.IGNORECASE)
_FENCE_RE = re.compile(r"^\s{0,3}(```+|~~~+)")
_QUESTIONS_FENCE_RE = re.compile(r"^\s{0,3}```\s*questions\s*$")
#: Most questions one section may list, and the longest one (a question, not a paragraph).
MAX_SECTION_QUESTIONS = 20
MAX_QUESTION_CHARS = 200
_REQUIRED_FIELDS = ("id", "title", "topic", "sources", "reviewed")
_MARKDOWN_SUFFIXES = (".md", ".markdown")

#: In extra folders, an introduction (text between the title and the first ``##``) shorter
#: than this many words is a lead-in, not an answer, and is not indexed on its own.
MIN_INTRO_WORDS = 30


class ArticleError(ValueError):
    """An article that cannot be loaded; the message names the file and the problem."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.problem = message


@dataclass(frozen=True, slots=True)
class Section:
    """One ``##`` section: what a search returns and what a snippet is cut from.

    ``anchor`` names the section within its article: the heading's explicit ``{#anchor}``
    when it has one (what checks link to, so rewording a heading breaks no link), else the
    heading's slug. ``section_id`` (``article-id#anchor``) names it in the whole base.
    """

    article_id: str
    title: str
    heading: str
    body: str
    sources: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    topic: str | None = None
    path: str = ""
    anchor: str = ""
    #: questions this section answers, as people phrase them (indexed, never shown)
    questions: tuple[str, ...] = ()

    @property
    def section_id(self) -> str:
        return section_id(self.article_id, self.anchor or slug(self.heading))


def slug(heading: str) -> str:
    """A heading as an anchor: lower case, letters and digits, words joined by hyphens."""
    return "-".join(re.findall(r"[a-z0-9]+", heading.lower()))


def section_id(article_id: str, anchor: str) -> str:
    """The id of a section in the whole knowledge base: ``article-id#anchor``."""
    return f"{article_id}#{anchor}"


@dataclass(frozen=True, slots=True)
class Article:
    """A whole file, parsed."""

    id: str
    title: str
    topic: str | None
    sources: tuple[str, ...]
    aliases: tuple[str, ...]
    reviewed: dt.date | None
    path: str
    sections: tuple[Section, ...]
    shipped: bool = True


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """A file that did not load, and why (shown to the user as a warning)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A Markdown file read from disk, before parsing (what the cache key is computed from)."""

    path: Path
    rel_id: str
    shipped: bool
    data: bytes | None
    error: str | None = None


@dataclass(frozen=True)
class Corpus:
    """Everything that loaded, plus what did not."""

    articles: tuple[Article, ...]
    problems: tuple[LoadProblem, ...] = ()
    sections: tuple[Section, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sections", tuple(s for a in self.articles for s in a.sections))


# --------------------------------------------------------------------------- sources


def source_url(item: str) -> str:
    """Turn a page name (``security_iam_troubleshoot``) or an official URL into the URL.

    Raises ``ValueError`` for anything that is not an official user-guide page, so a typo in
    a citation is caught when the article loads rather than when a user clicks it.
    """
    value = item.strip().strip("<>`")
    if _SOURCE_URL_RE.match(value):
        return value
    for suffix in (".html", ".md"):
        if value.endswith(suffix):
            value = value[: -len(suffix)]
    if _PAGE_RE.match(value):
        return f"{SOURCE_PREFIX}{value}.html"
    raise ValueError(
        f"source {item.strip()!r} is not a page name or a URL of the form "
        f"{SOURCE_PREFIX}<page>.html"
    )


def source_page(url: str) -> str:
    """The ``<page>`` part of an official source URL."""
    match = _SOURCE_URL_RE.match(url)
    if match is None:
        raise ValueError(f"not an official user-guide URL: {url}")
    return match.group(1)


def _extra_source(item: str) -> str:
    """Extra folders may cite any web page, or a user-guide page by name."""
    value = item.strip()
    if value.startswith(("https://", "http://")):
        return value
    return source_url(value)


# --------------------------------------------------------------------------- parsing


def split_front_matter(text: str, path: str) -> tuple[dict[str, Any] | None, str]:
    """Split ``---`` YAML front matter from the body; ``None`` when there is none."""
    if not text.startswith("---"):
        return None, text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return None, text
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise ArticleError(path, "front matter starts with '---' but never ends")
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        meta = yaml.load("\n".join(lines[1:end]), Loader=loader)  # a safe loader: plain data only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ArticleError(path, f"invalid YAML in front matter{where}: {problem}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ArticleError(path, "front matter must be a YAML mapping of fields")
    return meta, "\n".join(lines[end + 1 :])


def _str_list(meta: dict[str, Any], key: str, path: str) -> list[str]:
    value = meta.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if key == "aliases" and isinstance(value, list):
        # YAML reads an alias such as 403 as a number; it is still a phrasing people type.
        value = [
            str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in value
        ]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ArticleError(path, f"'{key}' must be a list of non-empty strings")
    return [v.strip() for v in value]


def _reviewed(value: Any, path: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ArticleError(path, f"'reviewed' must be a date (YYYY-MM-DD), got {value!r}")


@dataclass
class _RawSection:
    heading: str
    lines: list[str]
    anchor: str = ""


def _split_sections(body: str) -> tuple[str | None, list[str], list[_RawSection]]:
    """Split Markdown on ``##`` headings outside fenced code: (title, intro lines, sections)."""
    title: str | None = None
    intro: list[str] = []
    sections: list[_RawSection] = []
    fence: str | None = None
    for line in body.split("\n"):
        match = _FENCE_RE.match(line)
        if match:
            marker = match.group(1)[:3]
            if fence is None:
                fence = marker
            elif marker == fence:
                fence = None
        elif fence is None:
            stripped = line.strip()
            if stripped.startswith("## ") or stripped == "##":
                heading = _heading_text(stripped[2:])
                sections.append(_RawSection(heading, [], _anchor(stripped[2:]) or slug(heading)))
                continue
            if title is None and stripped.startswith("# ") and not sections:
                title = _heading_text(stripped[1:])
                continue
        (sections[-1].lines if sections else intro).append(line)
    return title, intro, sections


_ANCHOR_RE = re.compile(r"\{#([a-z0-9][a-z0-9-]*)\}$")


def _anchor(raw: str) -> str:
    """The explicit ``{#anchor}`` at the end of a heading, or ``""``."""
    match = _ANCHOR_RE.search(raw.strip().rstrip("#").strip())
    return match.group(1) if match else ""


def _heading_text(raw: str) -> str:
    text = raw.strip().rstrip("#").strip()
    text = re.sub(r"\s*\{#[^}]*\}$", "", text)  # {#anchor}
    return re.sub(r"<a name=[^>]*></a>", "", text).strip()


def _section_sources(
    lines: list[str], inherited: Sequence[str], path: str, heading: str, shipped: bool
) -> tuple[list[str], tuple[str, ...]]:
    """Pull an optional ``Sources:`` line from the top of a section; returns (body, sources)."""
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        match = _SOURCES_LINE_RE.match(line.strip())
        if match is None:
            return lines, tuple(inherited)
        items = [p for p in re.split(r"[,\s]+", match.group(1)) if p.strip()]
        if not items:
            raise ArticleError(path, f"section '{heading}': empty Sources line")
        convert = source_url if shipped else _extra_source
        try:
            urls = tuple(dict.fromkeys(convert(item) for item in items))
        except ValueError as exc:
            raise ArticleError(path, f"section '{heading}': {exc}") from None
        return lines[:i] + lines[i + 1 :], urls
    return lines, tuple(inherited)


def _section_questions(
    lines: list[str], path: str, heading: str
) -> tuple[list[str], tuple[str, ...]]:
    """Pull an optional fenced ``questions`` block from the top of a section.

    The block is a YAML list of the questions the section answers, phrased the way people ask
    them (abbreviations, plain words). They are indexed as a field of their own so that a
    question worded unlike the article still finds it, and are never shown in an answer:
    returns (body without the block, questions).
    """
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or not _QUESTIONS_FENCE_RE.match(lines[start]):
        return lines, ()
    for end in range(start + 1, len(lines)):
        if lines[end].strip() == "```":
            break
    else:
        raise ArticleError(path, f"section '{heading}': questions block never ends")
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        value = yaml.load("\n".join(lines[start + 1 : end]), Loader=loader)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ArticleError(
            path, f"section '{heading}': invalid questions block: {problem}"
        ) from None
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ArticleError(
            path, f"section '{heading}': the questions block must be a YAML list of questions"
        )
    if len(value) > MAX_SECTION_QUESTIONS or any(len(v) > MAX_QUESTION_CHARS for v in value):
        raise ArticleError(
            path,
            f"section '{heading}': at most {MAX_SECTION_QUESTIONS} questions of at most "
            f"{MAX_QUESTION_CHARS} characters",
        )
    return lines[:start] + lines[end + 1 :], tuple(v.strip() for v in value)


def _words_in(lines: Iterable[str]) -> int:
    return sum(len(line.split()) for line in lines)


def parse_article(text: str, path: str, rel_id: str, *, shipped: bool) -> Article:
    """Parse one Markdown file. ``shipped`` applies the strict front-matter contract."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    meta, body = split_front_matter(text, path)
    if shipped and meta is None:
        raise ArticleError(path, "missing YAML front matter (--- ... ---)")
    meta = meta or {}
    title_line, intro, raw_sections = _split_sections(body)

    if shipped:
        missing = [k for k in _REQUIRED_FIELDS if meta.get(k) in (None, "", [])]
        if missing:
            raise ArticleError(path, f"front matter is missing: {', '.join(missing)}")
        article_id = meta["id"]
        if not isinstance(article_id, str) or article_id != rel_id:
            raise ArticleError(path, f"'id' must equal the file name stem {rel_id!r}")
        if not _ID_RE.match(article_id):
            raise ArticleError(path, "'id' must be lower-case letters, digits and hyphens")
        topic = meta["topic"]
        if topic not in TOPICS:
            raise ArticleError(path, f"'topic' {topic!r} is not one of: {', '.join(TOPICS)}")
        if not isinstance(meta["title"], str):
            raise ArticleError(path, "'title' must be a string")
        title = meta["title"].strip()
        try:
            sources = tuple(source_url(u) for u in _str_list(meta, "sources", path))
        except ValueError as exc:
            raise ArticleError(path, str(exc)) from None
        reviewed: dt.date | None = _reviewed(meta["reviewed"], path)
    else:
        article_id = rel_id
        raw_title = meta.get("title")
        title = (raw_title if isinstance(raw_title, str) else None) or title_line or rel_id
        raw_topic = meta.get("topic")
        topic = raw_topic if isinstance(raw_topic, str) else None
        try:
            sources = tuple(_extra_source(u) for u in _str_list(meta, "sources", path))
        except ValueError as exc:
            raise ArticleError(path, str(exc)) from None
        reviewed = None
    aliases = tuple(_str_list(meta, "aliases", path))

    sections: list[Section] = []

    def add(heading: str, lines: list[str], anchor: str) -> None:
        body_lines, section_sources = _section_sources(lines, sources, path, heading, shipped)
        body_lines, questions = _section_questions(body_lines, path, heading)
        text = "\n".join(body_lines).strip()
        if text:
            sections.append(
                Section(
                    article_id,
                    title,
                    heading,
                    text,
                    section_sources,
                    aliases,
                    topic,
                    path,
                    anchor,
                    questions,
                )
            )

    # Shipped articles answer in their ``##`` sections (the contract); their introduction is
    # an overview. Plain Markdown may have no ``##`` at all, or a real answer before it.
    if not shipped and (_words_in(intro) >= MIN_INTRO_WORDS or not raw_sections):
        add(title, intro, slug(title))
    seen: set[str] = set()
    anchors: set[str] = set()
    for raw in raw_sections:
        if shipped and raw.heading in seen:
            raise ArticleError(path, f"two sections share the heading '{raw.heading}'")
        if shipped and raw.anchor in anchors:
            raise ArticleError(path, f"two sections share the anchor '{raw.anchor}'")
        seen.add(raw.heading)
        anchors.add(raw.anchor)
        add(raw.heading, raw.lines, raw.anchor)
    if shipped and not sections:
        raise ArticleError(path, "no '##' sections with text")
    return Article(
        article_id, title, topic, sources, aliases, reviewed, path, tuple(sections), shipped
    )


# --------------------------------------------------------------------------- folders


def _markdown_files(folder: Path) -> list[Path]:
    files = [
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in _MARKDOWN_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    return sorted(files)


def read_sources(knowledge_dir: Path | None, extra_dirs: Sequence[Path] = ()) -> list[SourceFile]:
    """Read every Markdown file of the shipped folder and the extra folders (bytes only).

    Reading is separate from parsing so that the index cache can be keyed on the exact bytes
    and a warm start never parses YAML.
    """
    out: list[SourceFile] = []
    folders: list[tuple[Path, bool]] = []
    if knowledge_dir is not None:
        folders.append((knowledge_dir, True))
    folders.extend((d, False) for d in extra_dirs)
    for folder, shipped in folders:
        if not folder.is_dir():
            out.append(SourceFile(folder, str(folder), shipped, None, "folder not found"))
            continue
        for path in _markdown_files(folder):
            if shipped and path.name.lower() == "readme.md":
                continue  # the folder's own description, not an article
            rel = path.relative_to(folder).with_suffix("")
            # Extra articles are named by folder and relative path ("runbooks/db/failover"):
            # two folders may both hold a README.md, and neither may take a shipped id.
            rel_id = rel.name if shipped else f"{folder.name}/{rel.as_posix()}"
            try:
                data: bytes | None = path.read_bytes()
                error = None
            except OSError as exc:
                data, error = None, f"cannot read file ({exc.strerror or exc})"
            out.append(SourceFile(path, rel_id, shipped, data, error))
    return out


def content_hash(files: Sequence[SourceFile]) -> str:
    """A digest of names and bytes: equal digests mean an identical knowledge base."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(str(f.path).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(f.rel_id.encode() + (b"\1" if f.shipped else b"\2"))
        digest.update(f.data if f.data is not None else f"!{f.error}".encode())
        digest.update(b"\0")
    return digest.hexdigest()


def parse_sources(files: Sequence[SourceFile]) -> Corpus:
    """Parse what :func:`read_sources` read; bad files become problems, the rest loads."""
    articles: list[Article] = []
    problems: list[LoadProblem] = []
    seen_ids: dict[str, str] = {}
    for f in files:
        name = str(f.path)
        if f.data is None:
            problems.append(LoadProblem(name, f.error or "cannot read file"))
            continue
        try:
            text = f.data.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(LoadProblem(name, "not valid UTF-8 text"))
            continue
        try:
            article = parse_article(text, name, f.rel_id, shipped=f.shipped)
        except ArticleError as exc:
            problems.append(LoadProblem(name, exc.problem))
            continue
        if article.id in seen_ids:
            problems.append(
                LoadProblem(name, f"id {article.id!r} is already used by {seen_ids[article.id]}")
            )
            continue
        seen_ids[article.id] = name
        articles.append(article)
    return Corpus(tuple(articles), tuple(problems))


def load_corpus(knowledge_dir: Path | None, extra_dirs: Sequence[Path] = ()) -> Corpus:
    """Read and parse the shipped folder plus the extra folders."""
    return parse_sources(read_sources(knowledge_dir, extra_dirs))
