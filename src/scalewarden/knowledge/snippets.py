"""Focused snippets: the part of a section that answers the question, not the whole section.

A section is cut into Markdown blocks (paragraphs, lists, fenced code, tables). The block that
holds most of the question's weight wins; the first paragraph gets a head start because our
articles answer the section's question there directly. A lead-in that ends with a colon takes
the list or code it introduces along, and a code block or table takes the sentence that
introduces it, because either half alone does not make sense in Slack.

A question that names one item of a table or list ("name of the DynamoDB service-linked
role", where the section lists every namespace's role) wants that row, not only the lead-in:
when the chosen text lacks some of the question's words and one row of a table (or one item
of a list) elsewhere in the section holds them, that row is added, under its table's header.
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


#: A code block's words count for this share of their weight when blocks compete. Its words
#: are mostly flags and placeholders (``--service-name``, ``--vpc-endpoint-type``): "vpce service
#: name" matched the CLI example more fully than the sentence that gives the name. A code block
#: still wins when it holds clearly more of the question than the prose.
CODE_WEIGHT = 0.5

#: A row must hold at least this share of the question's missing weight to be added.
MIN_ROW_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph, list, code block, table or sub-heading of a section."""

    kind: str  # "paragraph" | "list" | "code" | "table" | "heading"
    text: str


@dataclass(frozen=True, slots=True)
class Analysed:
    """A block with the index terms it holds, and its rows (table rows, list items) with theirs.

    ``head`` is what a row needs above it to be read alone: a table's header and separator.
    """

    block: Block
    terms: frozenset[str]
    rows: tuple[tuple[str, frozenset[str]], ...] = ()
    head: str = ""


def _terms(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in expand(words(text)) if w not in STOP_WORDS)


def _rows(block: Block) -> tuple[tuple[tuple[str, frozenset[str]], ...], str]:
    """A table's body rows (after its header) or a list's items, each with its terms."""
    lines = block.text.split("\n")
    if block.kind == "table" and len(lines) > 2:
        return tuple((line, _terms(line)) for line in lines[2:]), "\n".join(lines[:2])
    if block.kind == "list":
        items: list[list[str]] = []
        for line in lines:
            if _LIST_RE.match(line) or not items:
                items.append([line])
            else:
                items[-1].append(line)
        joined = ["\n".join(item) for item in items]
        return tuple((item, _terms(item)) for item in joined), ""
    return (), ""


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


def analyse_blocks(markdown: str) -> list[Analysed]:
    """The section's blocks (sub-headings dropped) with the index terms each contains.

    Callers that answer many questions keep this per section: it is the costly part.
    """
    out = []
    for b in blocks(markdown):
        if b.kind != "heading":
            rows, head = _rows(b)
            out.append(Analysed(b, _terms(b.text), rows, head))
    return out


def best_snippet(markdown: str, term_weights: dict[str, float], limit: int = MAX_SNIPPET) -> str:
    """The most relevant block of a section (with its lead-in or follow-up), at most ``limit``."""
    return choose_snippet(analyse_blocks(markdown), term_weights, limit) or _truncate(
        markdown.strip(), limit
    )


def choose_snippet(
    analysed: list[Analysed],
    term_weights: dict[str, float],
    limit: int = MAX_SNIPPET,
) -> str:
    """:func:`best_snippet` on blocks from :func:`analyse_blocks` ("" when there are none)."""
    if not analysed:
        return ""
    parts = [a.block for a in analysed]
    masses = [
        sum(w for t, w in term_weights.items() if t in a.terms)
        * (CODE_WEIGHT if a.block.kind == "code" else 1.0)
        for a in analysed
    ]
    first_paragraph = next((i for i, b in enumerate(parts) if b.kind == "paragraph"), 0)
    best = first_paragraph
    for i, mass in enumerate(masses):
        if mass > masses[best] * LEAD_ADVANTAGE and mass > masses[first_paragraph] * LEAD_ADVANTAGE:
            best = i
    chosen = [best]
    block = parts[best]
    if block.kind in ("code", "table") and best > 0 and parts[best - 1].text.rstrip().endswith(":"):
        chosen.insert(0, best - 1)
    elif block.kind == "paragraph" and block.text.rstrip().endswith(":") and best + 1 < len(parts):
        chosen.append(best + 1)
    texts = {i: parts[i].text for i in chosen}
    found = _named_row(analysed, chosen, term_weights)
    if found is not None:
        at, row = found
        if at in texts:
            texts[at] = row  # the chosen table or list, cut to the row the question names
        elif sum(map(len, texts.values())) + len(row) + 2 <= limit:
            texts[at] = row
    return _truncate("\n\n".join(texts[i] for i in sorted(texts)), limit)


def _named_row(
    analysed: list[Analysed], chosen: list[int], term_weights: dict[str, float]
) -> tuple[int, str] | None:
    """The one table row or list item that holds the question's words the chosen prose lacks,
    as (its block, the row under its table's header); ``None`` when no row clearly does.

    A row counts only if it holds at least :data:`MIN_ROW_SHARE` of the missing weight and
    more than the question's average word weighs (a common word like "name" names no row), and
    more than any other row (a word every row shares names none of them).
    """
    prose = [
        analysed[i].terms if not analysed[i].rows else _terms(analysed[i].head) for i in chosen
    ]
    have = frozenset().union(*prose)
    missing = {t: w for t, w in term_weights.items() if t not in have and w > 0}
    if not missing:
        return None
    best: tuple[int, str] | None = None
    best_mass, runner_up = 0.0, 0.0
    for i, item in enumerate(analysed):
        for line, terms in item.rows:
            mass = sum(w for t, w in missing.items() if t in terms)
            if mass > best_mass:
                runner_up, best_mass = best_mass, mass
                best = (i, f"{item.head}\n{line}" if item.head else line)
            elif mass > runner_up:
                runner_up = mass
    average = sum(term_weights.values()) / len(term_weights)
    if (
        best_mass < MIN_ROW_SHARE * sum(missing.values())
        or best_mass < average
        or best_mass <= runner_up
    ):
        return None
    return best


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
