"""Focused snippets: the part of a section that answers the question, not the whole section.

A section is cut into Markdown blocks (paragraphs, lists, fenced code, tables). The block that
holds most of the question's weight wins; the first paragraph gets a head start because our
articles answer the section's question there directly. A lead-in that ends with a colon takes
the list or code it introduces along, and a code block takes the sentence that introduces it,
because either half alone does not make sense in Slack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scalewarden.knowledge.synonyms import expand
from scalewarden.knowledge.text import STOP_WORDS, stem, words

#: Upper bound of a snippet, in characters (Slack sections allow 3,000; this stays readable).
MAX_SNIPPET = 1200
#: How much more weight another block needs before it beats the first paragraph.
LEAD_ADVANTAGE = 1.5

_FENCE_RE = re.compile(r"^\s{0,3}(```+|~~~+)")
_LIST_RE = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)])\s")


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph, list, code block, table or sub-heading of a section."""

    kind: str  # "paragraph" | "list" | "code" | "table" | "heading"
    text: str


def blocks(markdown: str) -> list[Block]:
    """Split Markdown into blocks; fenced code is never split, whatever it contains."""
    out: list[Block] = []
    current: list[str] = []
    kind = "paragraph"
    fence: str | None = None

    def flush() -> None:
        nonlocal current, kind
        text = "\n".join(current).strip("\n")
        if text.strip():
            out.append(Block(kind, text))
        current = []
        kind = "paragraph"

    for line in markdown.split("\n"):
        match = _FENCE_RE.match(line)
        if fence is not None:
            current.append(line)
            if match and match.group(1)[:3] == fence:
                fence = None
                flush()
            continue
        if match:
            flush()
            fence = match.group(1)[:3]
            kind = "code"
            current.append(line)
            continue
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        if stripped.startswith("#"):
            flush()
            out.append(Block("heading", stripped.lstrip("#").strip()))
            continue
        line_kind = (
            "list" if _LIST_RE.match(line) else "table" if stripped.startswith("|") else None
        )
        if current and line_kind and kind != line_kind and not (kind == "list" and line[:1] == " "):
            flush()
        if not current:
            kind = line_kind or "paragraph"
        current.append(line)
    flush()
    return out


def analyse_blocks(markdown: str) -> list[tuple[Block, frozenset[str]]]:
    """The section's blocks (sub-headings dropped) with the index terms each contains.

    Callers that answer many questions keep this per section: it is the costly part.
    """
    return [
        (b, frozenset(stem(w) for w in expand(words(b.text)) if w not in STOP_WORDS))
        for b in blocks(markdown)
        if b.kind != "heading"
    ]


def best_snippet(markdown: str, term_weights: dict[str, float], limit: int = MAX_SNIPPET) -> str:
    """The most relevant block of a section (with its lead-in or follow-up), at most ``limit``."""
    return choose_snippet(analyse_blocks(markdown), term_weights, limit) or _truncate(
        markdown.strip(), limit
    )


def choose_snippet(
    analysed: list[tuple[Block, frozenset[str]]],
    term_weights: dict[str, float],
    limit: int = MAX_SNIPPET,
) -> str:
    """:func:`best_snippet` on blocks from :func:`analyse_blocks` ("" when there are none)."""
    if not analysed:
        return ""
    parts = [b for b, _ in analysed]
    masses = [sum(w for t, w in term_weights.items() if t in terms) for _, terms in analysed]
    first_paragraph = next((i for i, b in enumerate(parts) if b.kind == "paragraph"), 0)
    best = first_paragraph
    for i, mass in enumerate(masses):
        if mass > masses[best] * LEAD_ADVANTAGE and mass > masses[first_paragraph] * LEAD_ADVANTAGE:
            best = i
    chosen = [best]
    block = parts[best]
    if block.kind == "code" and best > 0 and parts[best - 1].text.rstrip().endswith(":"):
        chosen.insert(0, best - 1)
    elif block.kind == "paragraph" and block.text.rstrip().endswith(":") and best + 1 < len(parts):
        chosen.append(best + 1)
    text = "\n\n".join(parts[i].text for i in chosen)
    return _truncate(text, limit)


def _truncate(text: str, limit: int) -> str:
    """Cut at a line or sentence boundary, closing an open code fence, adding an ellipsis."""
    if len(text) <= limit:
        return text
    budget = limit - 8  # room for a closing fence and the ellipsis
    lines: list[str] = []
    used = 0
    for line in text.split("\n"):
        if used + len(line) + 1 > budget:
            if not lines:
                cut = line[:budget]
                sentence_end = max(cut.rfind(". "), cut.rfind("; "))
                lines.append(cut[: sentence_end + 1] if sentence_end > budget // 2 else cut)
            break
        lines.append(line)
        used += len(line) + 1
    fences = sum(1 for line in lines if _FENCE_RE.match(line))
    if fences % 2:
        lines.append("```")
        return "\n".join(lines) + "\n…"
    return "\n".join(lines).rstrip() + " …"
