"""Article Markdown → Slack mrkdwn, and text that is safe to truncate and to paste.

Slack's mrkdwn is not Markdown: bold is ``*one star*``, links are ``<url|label>``, there are no
tables, and ``&``, ``<`` and ``>`` must be escaped or Slack reads them as markup. Our articles
are Markdown with hard line breaks, pipe tables and links to AWS pages, so an answer posted as
is shows raw ``**`` and pipes, and breaks sentences where the source file wrapped them.

Everything here is pure: text in, text out, so the Slack views and the tests share one renderer.
Identifiers are never cut: a long IAM action, ARN or JSON key is what people copy from an
answer, and half of one is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from scalewarden.knowledge.pages import page_title
from scalewarden.knowledge.snippets import blocks

#: A table whose code-block rendering is at most this wide stays a table (in a code block).
NARROW_TABLE = 60
#: What marks a cut.
ELLIPSIS = "…"

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__", re.S)
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![*\w])")
_LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|(\d+)[.)])\s+(.*)$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_FENCE = re.compile(r"^\s{0,3}(```+|~~~+)")


def escape(text: str) -> str:
    """Escape the three characters Slack treats as markup (``&``, ``<``, ``>``)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def _outside_code(text: str, convert: Callable[[str], str]) -> str:
    """Apply ``convert`` to the text between inline code spans; escape the spans' contents."""
    out: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(text):
        out.append(convert(text[last : match.start()]))
        out.append(f"`{escape(match.group(2))}`")
        last = match.end()
    out.append(convert(text[last:]))
    return "".join(out)


def _link_label(label: str, url: str) -> str:
    """A link's label: the page title when the label is only the URL or the page's slug."""
    bare = label.strip("`")
    if bare == url or url.rstrip("/").endswith(f"/{bare}.html") or url.endswith(f"/{bare}"):
        label = page_title(url)
    # "|" ends a label and ">" the link in Slack's syntax; neither may appear inside
    return escape(label.replace("|", "/")).replace("&gt;", "›")


def inline(text: str) -> str:
    """One run of Markdown text → mrkdwn: emphasis, links and escaping (code left as code)."""

    def convert(part: str) -> str:
        links: list[str] = []

        def keep_link(match: re.Match[str]) -> str:
            label, url = match.group(1), match.group(2)
            links.append(f"<{escape(url)}|{_link_label(label, url)}>")
            return f"\x00{len(links) - 1}\x00"

        part = _LINK.sub(keep_link, part)
        part = escape(part)
        part = _ITALIC.sub(lambda m: f"_{m.group(1)}_", part)
        part = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", part)
        return re.sub(r"\x00(\d+)\x00", lambda m: links[int(m.group(1))], part)

    return _outside_code(text, convert)


def reflow(text: str) -> str:
    """Join the hard-wrapped lines of a paragraph into one line."""
    return " ".join(line.strip() for line in text.split("\n") if line.strip())


def _list(text: str) -> str:
    items: list[tuple[str, str, str]] = []  # (indent, marker, text)
    for line in text.split("\n"):
        match = _LIST_ITEM.match(line)
        if match:
            indent = "    " * (len(match.group(1).expandtabs(4)) // 2)
            marker = f"{match.group(2)}." if match.group(2) else "•"
            items.append((indent, marker, match.group(3).strip()))
        elif items and line.strip():
            indent, marker, body = items[-1]
            items[-1] = (indent, marker, f"{body} {line.strip()}")
    return "\n".join(f"{indent}{marker} {inline(body)}" for indent, marker, body in items)


def table_rows(text: str) -> list[list[str]]:
    """The cells of a pipe table, header first, without the ``---`` rule."""
    rows: list[list[str]] = []
    for line in text.split("\n"):
        if not line.strip() or _TABLE_RULE.match(line):
            continue
        cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
        rows.append([cell.strip().replace("\\|", "|") for cell in cells])
    return rows


def _plain_cell(cell: str) -> str:
    """A cell as it reads in a code block: no emphasis markers or backticks, links as labels."""
    cell = _LINK.sub(lambda m: m.group(1), cell)
    return re.sub(r"\*\*|__|`", "", cell)


def _table(text: str, narrow: int) -> str:
    rows = table_rows(text)
    if not rows:
        return ""
    columns = max(len(row) for row in rows)
    rows = [row + [""] * (columns - len(row)) for row in rows]
    plain = [[_plain_cell(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in plain) for i in range(columns)]
    if sum(widths) + 2 * (columns - 1) <= narrow:
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in plain
        ]
        return "```\n" + escape("\n".join(lines)) + "\n```"
    header, *body = rows
    fields: list[str] = []
    for row in body:
        first, *rest = row
        pairs = [
            f"{inline(name)}: {inline(value)}"
            for name, value in zip(header[1:], rest, strict=True)
            if value
        ]
        head = f"*{inline(first)}*" if first and "`" not in first else inline(first)
        if columns == 2:  # a key and its value: "severity: Medium"
            fields.append(f"• {head}: {inline(rest[0])}")
        else:
            fields.append(f"• {head}" + (f" — {'; '.join(pairs)}" if pairs else ""))
    return "\n".join(fields)


def _code(text: str) -> str:
    lines = text.split("\n")
    if lines and _FENCE.match(lines[0]):
        lines = lines[1:]  # the opening fence and its language tag, which Slack would print
    if lines and _FENCE.match(lines[-1]):
        lines = lines[:-1]
    return "```\n" + escape("\n".join(lines)) + "\n```"


def to_mrkdwn(markdown: str, *, narrow_table: int = NARROW_TABLE) -> str:
    """Article Markdown → Slack mrkdwn: paragraphs reflowed, emphasis and links converted,
    headings bold, lists with bullets, tables as a field list (or a code block when narrow),
    code blocks without their language tag, and ``&<>`` escaped everywhere."""
    out: list[str] = []
    for block in blocks(markdown):
        if block.kind == "code":
            out.append(_code(block.text))
        elif block.kind == "table":
            out.append(_table(block.text, narrow_table))
        elif block.kind == "list":
            out.append(_list(block.text))
        elif block.kind == "heading":
            match = _HEADING.match(block.text)
            out.append(f"*{inline(match.group(1) if match else block.text)}*")
        else:
            out.append(inline(reflow(block.text)))
    return "\n\n".join(part for part in out if part)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, never inside a word or identifier.

    The cut falls on white space, so an IAM action, an ARN or a JSON key is either whole or
    absent; an open code block or code span is closed so that what follows is not swallowed
    by it; the cut is marked with an ellipsis.
    """
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS) - len("\n```")
    cut = max(text.rfind(" ", 0, room + 1), text.rfind("\n", 0, room + 1))
    head = text[: cut if cut > 0 else 0].rstrip()
    if head.count("```") % 2:
        return f"{head}\n{ELLIPSIS}\n```"[:limit] if len(head) + 6 <= limit else ELLIPSIS
    if _unclosed_span(head):
        head = head[: head.rfind("`")].rstrip()
    return f"{head} {ELLIPSIS}" if head else ELLIPSIS


def _unclosed_span(text: str) -> bool:
    outside_fences = re.sub(r"```.*?```", "", text, flags=re.S)
    return outside_fences.count("`") % 2 == 1


def fallback_text(parts: Sequence[str], limit: int = 3000) -> str:
    """A message's fallback ``text`` (notifications, screen readers): the parts escaped like
    the blocks are, joined, and cut safely to ``limit``."""
    return truncate(escape(" ".join(p.strip() for p in parts if p.strip())), limit)
