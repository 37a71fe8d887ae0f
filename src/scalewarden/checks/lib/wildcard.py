"""Wildcard matching in linear time, with the work it did counted.

Wildcards in IAM policies (``*`` and ``?`` in ``Action``, ``Resource`` and the ``StringLike``
/ ``ArnLike`` condition values) and in EventBridge patterns (``*``, with ``\\*`` for a literal
star) are text that anyone who may write a policy or a rule chooses. Translating them to a
backtracking regular expression is exponential on ``*?*?*?…``: one 278-character policy can
keep a scan busy for hours. This module matches them without backtracking.

A pattern is split once, at its stars, into *segments* of fixed length (literal characters
and ``?``, which matches any one character). A text matches when the first segment matches
at its start, the last at its end, and the middle ones in order in between. Taking each middle
segment at its leftmost place is always right: a later place only leaves less text for the
segments after it. So one match costs at most ``len(text) × len(pattern)`` character
comparisons, and usually about ``len(text) + len(pattern)``; nothing is ever retried.

Every match reports the comparisons it made to a :class:`WorkBudget`, so a caller can bound
the total work of one hostile document and say ERROR instead of running on.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


class WorkLimitExceeded(ValueError):
    """Matching one document would take more steps than its budget allows."""

    def __init__(self, spent: int, limit: int) -> None:
        super().__init__(
            f"judging it takes more than {limit:,} wildcard matching steps, so it was not evaluated"
        )
        self.spent = spent
        self.limit = limit


class WorkBudget:
    """A running count of matching steps with a ceiling; ``spend`` raises past it."""

    __slots__ = ("limit", "spent")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self, steps: int) -> None:
        self.spent += steps
        if self.spent > self.limit:
            raise WorkLimitExceeded(self.spent, self.limit)


@dataclass(frozen=True)
class Segment:
    """Fixed-length text between two stars; ``anys`` are the positions of ``?``."""

    text: str
    anys: frozenset[int]

    def at(self, subject: str, pos: int) -> int:
        """Comparisons made checking the segment at ``pos`` (negative when it does not fit).

        The count is returned as ``-(count)`` on a mismatch and ``count`` on a match (a
        zero-length segment matches anywhere at no cost).
        """
        n = len(self.text)
        if not self.anys:
            return n if subject.startswith(self.text, pos) else -max(n, 1)
        for i, ch in enumerate(self.text):
            if i not in self.anys and subject[pos + i] != ch:
                return -(i + 1)
        return n

    def find(self, subject: str, start: int, stop: int) -> tuple[int, int]:
        """Leftmost ``pos`` in ``[start, stop - len]`` where the segment matches, and the cost.

        ``pos`` is -1 when there is none.
        """
        n = len(self.text)
        last = stop - n
        if not self.anys:
            pos = subject.find(self.text, start, stop)
            # Counted as one step per position passed plus the segment: str.find is a
            # linear-time search in C, far cheaper than the Python loop below.
            end = pos if pos >= 0 else max(last, start - 1)
            return pos, (end - start + 1) + n
        steps = 0
        for pos in range(start, last + 1):
            cost = self.at(subject, pos)
            steps += abs(cost)
            if cost >= 0:
                return pos, steps + 1
        return -1, steps + 1


@dataclass(frozen=True)
class Wildcard:
    """A compiled wildcard pattern: ``segments`` separated by stars (``starred`` if any)."""

    segments: tuple[Segment, ...]
    starred: bool
    ignore_case: bool

    def matches(self, text: str, budget: WorkBudget | None = None) -> bool:
        """Whether the whole of ``text`` matches; the comparisons made go to ``budget``."""
        subject = text.lower() if self.ignore_case else text
        matched, steps = self._match(subject)
        if budget is not None:
            budget.spend(steps + 1)
        return matched

    def _match(self, subject: str) -> tuple[bool, int]:
        segs = self.segments
        size = len(subject)
        if not self.starred:
            head = segs[0]
            if len(head.text) != size:
                return False, 1
            cost = head.at(subject, 0)
            return cost >= 0, abs(cost)
        head, tail = segs[0], segs[-1]
        if len(head.text) + len(tail.text) > size:
            return False, 1
        steps = 0
        cost = head.at(subject, 0)
        steps += abs(cost)
        if cost < 0:
            return False, steps
        stop = size - len(tail.text)
        cost = tail.at(subject, stop)
        steps += abs(cost)
        if cost < 0:
            return False, steps
        pos = len(head.text)
        for seg in segs[1:-1]:
            if not seg.text:
                continue
            found, cost = seg.find(subject, pos, stop)
            steps += cost
            if found < 0:
                return False, steps
            pos = found + len(seg.text)
        return True, steps


def _segment(chars: list[tuple[str, bool]]) -> Segment:
    return Segment(
        "".join(c for c, _ in chars), frozenset(i for i, (_, a) in enumerate(chars) if a)
    )


def _compile(tokens: list[tuple[str, str]], ignore_case: bool) -> Wildcard:
    """Build a ``Wildcard`` from ``(kind, char)`` tokens: ``star``, ``any`` or ``lit``."""
    segments: list[Segment] = []
    current: list[tuple[str, bool]] = []
    starred = False
    for kind, char in tokens:
        if kind == "star":
            starred = True
            segments.append(_segment(current))
            current = []
        elif kind == "any":
            current.append(("?", True))
        else:
            current.append((char.lower() if ignore_case else char, False))
    segments.append(_segment(current))
    return Wildcard(tuple(segments), starred, ignore_case)


@lru_cache(maxsize=8192)
def iam_wildcard(pattern: str, ignore_case: bool = False) -> Wildcard:
    """An IAM pattern: ``*`` any run of characters, ``?`` any one; everything else literal.

    IAM action names are case-insensitive (``ignore_case=True``); ARNs and condition values
    are case-sensitive. Compiling costs one pass over the pattern and is cached.
    """
    tokens = [("star", c) if c == "*" else ("any", c) if c == "?" else ("lit", c) for c in pattern]
    return _compile(tokens, ignore_case)


@lru_cache(maxsize=1024)
def eventbridge_wildcard(pattern: str) -> Wildcard:
    """An EventBridge ``wildcard`` pattern: ``*`` any run of characters, ``\\x`` a literal x."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            tokens.append(("lit", pattern[i + 1]))
            i += 2
            continue
        tokens.append(("star", c) if c == "*" else ("lit", c))
        i += 1
    return _compile(tokens, False)
