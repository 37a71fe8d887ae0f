"""A static reading of regular expressions for the shapes that cost more than linear time.

Python's ``re`` backtracks and counts no steps, so a test cannot measure an expression's work.
It can read the expression instead (``re._parser``) and refuse the three shapes behind every
super-linear expression this project has had:

* **nested repeats**: an unbounded repeat inside another (``(a+)+``), which can split one run
  of text in exponentially many ways. Allowed only when each round of the outer repeat starts
  with a character the inner ones cannot match (``(?:@[^@]+)*``): then there is one way.
* **overlapping alternatives** repeated (``(?:\\\\.|.)*``): a run of backslashes splits in
  exponentially many ways (the session log filter took 13 s on 24 of them).
* **restarts**: an unbounded repeat followed by something that can fail, entered from many
  places of the same run. ``finditer``/``search`` try each start position in turn, and each
  reads the run to its end before failing: ``[a-z]+@`` over a megabyte of letters without an
  ``@`` reads it once per letter. Allowed when something of fixed length just before the
  repeat cannot match inside the run (a keyword, ``://``, a lookbehind, ``^``), so that a run
  is entered from a bounded number of places; or when the repeat is last (a greedy repeat at
  the end cannot fail).

An expression that is linear for a reason these rules cannot see is listed by the test with
the reason, as an exception someone reviewed.
"""

from __future__ import annotations

import re
import re._constants as C
import re._parser as P
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: The characters classes are compared on: Latin-1, general punctuation and a few of each
#: script the detector folds. Two classes that share none of them are taken as disjoint.
_SAMPLE = (
    [chr(c) for c in range(0x250)]
    + [chr(c) for c in range(0x2000, 0x2070)]
    + list("\u0430\u0435\u043e\u03b1\u03bf\u3000\ufeff\uff10\uff41")
)
_CATEGORY = {
    C.CATEGORY_SPACE: re.compile(r"\s"),
    C.CATEGORY_NOT_SPACE: re.compile(r"\S"),
    C.CATEGORY_DIGIT: re.compile(r"\d"),
    C.CATEGORY_NOT_DIGIT: re.compile(r"\D"),
    C.CATEGORY_WORD: re.compile(r"\w"),
    C.CATEGORY_NOT_WORD: re.compile(r"\W"),
}
_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)


def _one_char(node: tuple) -> Callable[[str], bool] | None:
    """Whether ``node`` matches one character, as a membership test (else None)."""
    op, av = node
    if op is C.LITERAL:
        return lambda ch: ord(ch) == av
    if op is C.NOT_LITERAL:
        return lambda ch: ord(ch) != av
    if op is C.ANY:
        return lambda ch: ch != "\n"
    if op is C.IN:
        items = list(av)
        negate = bool(items) and items[0][0] is C.NEGATE

        def member(ch: str) -> bool:
            hit = False
            for iop, iav in items:
                if iop is C.LITERAL:
                    hit = hit or ord(ch) == iav
                elif iop is C.RANGE:
                    hit = hit or iav[0] <= ord(ch) <= iav[1]
                elif iop is C.CATEGORY:
                    hit = hit or bool(_CATEGORY[iav].match(ch))
            return hit != negate

        return member
    return None


def _first_chars(seq: list) -> Callable[[str], bool] | None:
    """What the first character of ``seq`` can be, when its first node fixes one."""
    for node in seq:
        op, av = node
        if op in (C.ASSERT, C.ASSERT_NOT, C.AT):
            continue
        if op is C.SUBPATTERN:
            return _first_chars(list(av[3]))
        return _one_char(node)
    return None


def _disjoint(a: Callable[[str], bool], b: Callable[[str], bool]) -> bool:
    return not any(a(ch) and b(ch) for ch in _SAMPLE)


def _can_be_empty(node: tuple) -> bool:
    op, av = node
    if op in _REPEATS:
        return av[0] == 0
    if op is C.SUBPATTERN:
        return all(_can_be_empty(n) for n in av[3])
    if op is C.BRANCH:
        return any(all(_can_be_empty(n) for n in alt) for alt in av[1])
    return op is C.AT and av is not C.AT_END  # ``\b`` and the like fail, but only at once


def _unbounded(node: tuple) -> bool:
    return node[0] in _REPEATS and node[1][1] == C.MAXREPEAT


def _contains_unbounded(seq: list) -> Iterator[tuple]:
    for node in seq:
        op, av = node
        if _unbounded(node):
            yield node
        if op in _REPEATS:
            yield from _contains_unbounded(list(av[2]))
        elif op is C.SUBPATTERN:
            yield from _contains_unbounded(list(av[3]))
        elif op is C.BRANCH:
            for alt in av[1]:
                yield from _contains_unbounded(list(alt))
        elif op in (C.ASSERT, C.ASSERT_NOT, C.ATOMIC_GROUP):
            yield from _contains_unbounded(list(av[1] if op is not C.ATOMIC_GROUP else av))


def _fences(node: tuple) -> list[Callable[[str], bool]]:
    """Classes of characters a fixed-length node must match (a keyword, ``://``, ``[=:]``)."""
    op, av = node
    one = _one_char(node)
    if one is not None:
        return [one]
    if op is C.ASSERT and av[0] == -1:  # a lookbehind: the text just before is fixed
        return [f for n in av[1] for f in _fences(n)]
    if op is C.SUBPATTERN:
        return [f for n in av[3] for f in _fences(n)]
    if op is C.BRANCH:
        # Each alternative holds some fence: a character of its own that must be there.
        alts = [[f for n in alt for f in _fences(n)] for alt in av[1]]
        if all(alts):
            return [lambda ch, a=alts: all(any(f(ch) for f in fs) for fs in a)]
    if op in _REPEATS and av[0] >= 1 and av[1] != C.MAXREPEAT:
        return [f for n in av[2] for f in _fences(n)]
    return []


@dataclass(frozen=True)
class Problem:
    shape: str
    where: str


def problems(pattern: re.Pattern[str]) -> list[Problem]:
    """The super-linear shapes in ``pattern`` (empty when it passes both rules)."""
    found: list[Problem] = []
    _walk(list(P.parse(pattern.pattern, pattern.flags)), found, anchored=False)
    return found


def _walk(seq: list, found: list[Problem], *, anchored: bool, start: int = 0) -> None:
    """Check ``seq`` from ``start`` on; what comes before it is the text's fixed lead-in.

    Groups and alternatives are read inline (``a(?:b|c)d`` as ``abd`` and ``acd``), so what
    precedes and follows a repeat inside one is seen. Inside a repeat's body, restarts are
    the outer repeat's business (``anchored``)."""
    for i in range(start, len(seq)):
        op, av = seq[i]
        if op in _REPEATS:
            body = list(av[2])
            inner = list(_contains_unbounded(body))
            if _unbounded(seq[i]) and inner:
                lead = _first_chars(body)
                if not (
                    lead is not None
                    and all(
                        (c := _one_char(n[1][2][0]) if len(n[1][2]) == 1 else None) is not None
                        and _disjoint(lead, c)
                        for n in inner
                    )
                ):
                    found.append(Problem("nested repeats", str(seq[i])[:80]))
            if _unbounded(seq[i]) and _overlapping_alternatives(body):
                found.append(Problem("overlapping alternatives", str(seq[i])[:80]))
            can_fail_after = not all(_can_be_empty(n) for n in seq[i + 1 :])
            if (
                _unbounded(seq[i])
                and can_fail_after
                and not _entered_at_a_fence(seq, i, anchored=anchored)
            ):
                found.append(Problem("restarts", str(seq[i])[:80]))
            _walk(body, found, anchored=True)
        elif op is C.SUBPATTERN:
            _walk(seq[:i] + list(av[3]) + seq[i + 1 :], found, anchored=anchored, start=i)
            return
        elif op is C.ATOMIC_GROUP:
            _walk(seq[:i] + list(av) + seq[i + 1 :], found, anchored=anchored, start=i)
            return
        elif op is C.BRANCH:
            for alt in av[1]:
                _walk(seq[:i] + list(alt) + seq[i + 1 :], found, anchored=anchored, start=i)
            return


def _overlapping_alternatives(body: list) -> bool:
    """Whether a repeated body is alternatives two of which can start with one character
    (``(?:\\\\.|.)*``): a run of such characters splits in exponentially many ways."""
    while len(body) == 1 and body[0][0] is C.SUBPATTERN:
        body = list(body[0][1][3])
    if len(body) != 1 or body[0][0] is not C.BRANCH:
        return False
    firsts = [_first_chars(list(alt)) for alt in body[0][1][1]]
    if any(f is None for f in firsts):
        return True
    return any(
        not _disjoint(a, b)  # type: ignore[arg-type]
        for k, a in enumerate(firsts)
        for b in firsts[k + 1 :]
    )


def _entered_at_a_fence(seq: list, i: int, *, anchored: bool) -> bool:
    """Whether the repeat at ``seq[i]`` is entered from a bounded number of places of a run.

    Walking back from it: a fixed-length node that cannot match inside the run fences it; so
    does ``^``, or a negative lookbehind refusing every character read since (``(?<![a-z])``
    before ``[a-z]+``: only a run's first character starts it). Possessive repeats on the way
    are stepped over (nothing backtracks into them); another greedy one ends the walk.
    """
    repeat = seq[i]
    body = list(repeat[1][2])
    cls = _one_char(body[0]) if len(body) == 1 else _first_chars(body)
    if cls is None:
        return anchored
    read: list[Callable[[str], bool]] = [cls]
    for node in reversed(seq[:i]):
        op, av = node
        if op is C.AT and av in (C.AT_BEGINNING, C.AT_BEGINNING_STRING):
            return True
        if op is C.ASSERT_NOT and av[0] == -1 and len(av[1]) == 1:
            refused = _one_char(next(iter(av[1])))
            if refused is not None and all(
                refused(ch) for ch in _SAMPLE if any(r(ch) for r in read)
            ):
                return True
        if _unbounded(node):
            inner = list(node[1][2])
            prev = _one_char(inner[0]) if len(inner) == 1 else None
            if prev is None:
                return anchored
            if _disjoint(prev, cls):
                # Right after a run whose characters this one cannot start with: it starts
                # where that run ends, so it is entered as often as that one (checked too).
                return True
            if op is not C.POSSESSIVE_REPEAT:
                return anchored
            read.append(prev)
            continue
        fences = _fences(node)
        if any(_disjoint(fence, cls) for fence in fences):
            return True
        read.extend(fences)
    return anchored
