"""Text from a scanned account as the secret detector reads it, and as every output may hold it.

Names, tags and event fields are chosen by whoever controls the account. Two tricks defeat a
detector that reads them literally: spelling a key word with characters that look like its
letters (``pаssword=`` with a Cyrillic ``а``, fullwidth ``ｔｏｋｅｎ``, ``e`` with a combining
accent) or with invisible ones inside (``tok\u200ben=``). ``matching_view`` gives the text the
detector reads instead: each character folded to what it looks like, invisible ones dropped,
with the position in the original of every character, so the detector hides the original
span, lookalikes and all. The view is only ever read, never shown.

A third trick breaks outputs rather than detection: a lone surrogate (``\ud800``, which JSON
escapes can carry) is no character at all. UTF-8 cannot encode it, so a Slack payload, a
report file, a database row or a log line holding one fails to be written. ``well_formed``
replaces each with U+FFFD; the detector's ``redact`` applies it to everything it returns,
which is every piece of account text any output shows.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Sequence
from functools import lru_cache
from itertools import repeat

#: Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters that
#: render as nothing (zero-width space and joiners, soft hyphen, bidirectional and tag
#: characters, variation selectors, Hangul fillers).
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)

#: Letters of other scripts that are drawn like a Latin letter in common fonts (from
#: Unicode's confusables.txt, the Latin targets of Cyrillic, Greek and a few others). NFKD
#: already folds fullwidth, mathematical and accented forms; these have no decomposition.
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "ӏ": "l",
        "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "ѕ": "s", "т": "t", "ц": "u",
        "ѵ": "v", "ԝ": "w", "х": "x", "у": "y", "ԁ": "d", "ɡ": "g", "ո": "n", "ս": "u",
        "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "І": "I", "Ј": "J", "К": "K",
        "М": "M", "О": "O", "Р": "P", "Ѕ": "S", "Т": "T", "Х": "X", "У": "Y", "Ԝ": "W",
        "Ԁ": "D", "Ԛ": "Q", "Ү": "Y", "с": "c",
        # Greek
        "α": "a", "ο": "o", "ρ": "p", "ν": "v", "υ": "u", "ι": "i", "κ": "k", "τ": "t",
        "χ": "x", "ε": "e", "η": "n", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H",
        "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y",
        "Χ": "X",
        # Latin letters that are not the ASCII ones
        "ı": "i", "ȷ": "j", "ɑ": "a", "ɩ": "i", "ʋ": "u", "ꞵ": "b", "ſ": "s",
    }
)  # fmt: skip

#: Runs of ASCII (kept as they are) and single other characters (folded one by one).
_PIECES = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=4096)
def _fold(ch: str) -> str:
    """What one non-ASCII character looks like: compatibility form without accents, with
    lookalikes replaced; nothing for an invisible character."""
    if _IGNORABLE.match(ch) or _SURROGATE.match(ch):
        return ""
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base.translate(_CONFUSABLES)


def matching_view(text: str) -> tuple[str, Sequence[int] | None]:
    """``text`` as a detector should read it, and where each of its characters came from.

    The second item maps every character of the view to the index of the original character
    it came from (``None`` when the view is ``text`` itself, as for all ASCII text). Linear:
    each character is folded once, through a small cache.
    """
    if text.isascii():
        return text, None
    pieces: list[str] = []
    origin = array("q")  # 8 bytes a character, not a list of int objects
    changed = False
    for m in _PIECES.finditer(text):
        piece = m.group()
        start = m.start()
        if piece[0] < "\x80":
            pieces.append(piece)
            origin.extend(range(start, m.end()))
            continue
        folded = _fold(piece)
        changed = changed or folded != piece
        pieces.append(folded)
        origin.extend(repeat(start, len(folded)))
    if not changed:
        return text, None
    return "".join(pieces), origin


def well_formed(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, so that it encodes as UTF-8."""
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)
