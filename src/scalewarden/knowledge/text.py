"""Text analysis shared by the index, the snippets and the benchmark baselines.

Questions arrive from Slack as people type them: mixed case, punctuation, IAM action names in
CamelCase, version numbers, plurals. Documents and queries go through the *same* analysis so
that both sides meet on the same terms. The stemmer is deliberately light (plurals and common
verb endings only): an aggressive stemmer merges words that matter in security questions
("encryption" and "encrypted" are fine together, "policy" and "police" are not).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

#: Words that carry no meaning for retrieval. Kept short on purpose: "not", "no", "without"
#: and "all" change the meaning of a security question, so they stay.
STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against am an and any are aren as at be because been before
    being below between both but by can cannot could couldn d did didn do does doesn doing
    don down during each either else ever few for from further get gets getting got had hadn
    has hasn have haven having he her here hers herself him himself his how i if in into is
    isn it its itself just ll m me might mine more most must mustn my myself need needs nor
    now o of off on once only or other our ours ourselves out over own please re s same shall
    she should shouldn so some such t than thank thanks that the their theirs them themselves
    then there these they this those through thx to too under until up us ve very via was
    wasn we were weren what whats when where which while who whom why will with won would
    wouldn y you your yours yourself yourselves hi hello hey anyone someone somebody tell
    know let lets like want wanna gonna also really actually pls plz ok okay yes yeah
    vs etc eg ie im ive id youre theyre thats theres heres hows wheres whos cant dont
    doesnt didnt isnt arent wasnt werent wont wouldnt shouldnt couldnt havent hasnt
    lemme gotta guys folks ppl thru tho though anyway anyways even still ever stuff thing
    things something anything everything somehow fine asking ask wondering wonder
    tbh iirc afaik btw fyi imo imho idk asap ty tia basically
    """.split()  # noqa: SIM905 (a word list reads better as prose)
)

_TOKEN_RE = re.compile(r"[a-z]+(?=[0-9]+\.[0-9])|[0-9]+(?:\.[0-9]+)+|[a-z0-9]+")
_CAMEL_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_RAW_RE = re.compile(r"[A-Za-z0-9]+")
#: Tried at the start of each run of letters and digits only (the lookbehind), skipping its
#: leading digits: whether a run goes on as ``-word`` does not depend on where in it the match
#: starts, and trying each letter read a long run once per letter (quadratic: a question of
#: 40,000 letters took 40 s).
_HYPHENATED_RE = re.compile(r"(?<![a-z0-9])[0-9]*+([a-z][a-z0-9]*+(?:-[a-z][a-z0-9]*+)+)")


def normalise(text: str) -> str:
    """Unicode-normalise (NFKC) so that full-width letters, ligatures and odd dashes match."""
    return unicodedata.normalize("NFKC", text)


def words(text: str) -> list[str]:
    """Lower-cased surface words, without stemming or stop-word removal.

    CamelCase identifiers (``RegisterScalableTarget``, ``iam:PassRole``) yield the whole word,
    and their parts are added at the end, so both "passrole" and "pass role" find a section
    that names the action. The common case is one C-level regex over the lowered text.
    """
    text = normalise(text)
    lowered = text.lower()
    out: list[str] = _TOKEN_RE.findall(lowered)
    # "scalable-dimension" (a condition key) also as one word, so it can match exactly
    out.extend(h.replace("-", "") for h in _HYPHENATED_RE.findall(lowered))
    for parts in _camel_parts(text):
        out.extend(p.lower() for p in parts)
    return out


def _camel_parts(text: str) -> Iterator[list[str]]:
    """The parts of each mixed-case token of ``text`` that has more than one."""
    for raw in _RAW_RE.findall(text):
        if raw.islower() or raw.isupper() or raw.istitle() or raw.isdigit():
            continue
        parts = _CAMEL_RE.findall(raw)
        if len(parts) > 1:
            yield parts


#: How many CamelCase parts make a token an identifier for :func:`identifier_words`.
IDENTIFIER_PARTS = 3


def identifier_words(text: str) -> frozenset[str]:
    """The CamelCase parts of long identifiers typed in the question (a policy or role name:
    ``AWSServiceRoleForApplicationAutoScaling_DynamoDBTable``), as :func:`words` yields them.

    Only tokens of at least :data:`IDENTIFIER_PARTS` parts: a product name ("DynamoDB",
    "CloudWatch") or an action ("ecs:UpdateService") is what the question is about, not a
    label that names the topic."""
    return frozenset(
        p.lower()
        for parts in _camel_parts(normalise(text))
        if len(parts) >= IDENTIFIER_PARTS
        for p in parts
    )


#: Words ending in "s" that are not plurals (most such words end in -ss, -us or -is).
_NOT_PLURAL = frozenset({"alias", "bias", "canvas", "atlas", "always", "perhaps", "whereas"})


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stemmer: plurals and the common verb endings, nothing more.

    The same function runs on documents and on questions, so the only requirement is that
    related forms people actually type ("roles"/"role", "encrypted"/"encrypting",
    "policies"/"policy") meet, without merging unrelated words.
    """
    w = word
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "xes", "ches", "shes", "zes", "ases")):
        w = w[:-2]  # "aliases" → "alias", "cases" → "cas" (as "case" → "cas" below)
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and w not in _NOT_PLURAL:
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            base = w[: -len(suffix)]
            if len(base) >= 2 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            w = base
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if w.endswith("y") and len(w) > 4:
        w = w[:-1] + "i"
    return w


def analyse(text: str, *, keep_stop_words: bool = False) -> list[str]:
    """Surface words → stemmed terms, stop words dropped (the index's view of any text)."""
    return terms(words(text), keep_stop_words=keep_stop_words)


def terms(surface: Iterable[str], *, keep_stop_words: bool = False) -> list[str]:
    """Stem already-split surface words, dropping stop words unless asked to keep them."""
    return [stem(w) for w in surface if keep_stop_words or w not in STOP_WORDS]


def plain_words(text: str) -> list[str]:
    """Lower-cased words with punctuation stripped (for the own-words overlap check)."""
    return _TOKEN_RE.findall(normalise(text).lower())


#: Words that put what follows them, up to the end of the clause, out of what is wanted:
#: "manage scheduled actions but not scaling policies", "scaling policies only, no schedules".
NEGATORS: frozenset[str] = frozenset(
    {
        "not",
        "no",
        "without",
        "except",
        "never",
        "nor",
        "dont",
        "don't",
        "doesnt",
        "doesn't",
        "block",
        "blocks",
        "deny",
        "denies",
        "prevent",
        "prevents",
        "forbid",
        "disallow",
    }
)
_CLAUSE_RE = re.compile(r"[,.;:!?()\[\]]|\s-+\s|\bbut\b(?!\s+not\b)")


#: The negators of a contrast ("X but not Y", "X without Y"), the only ones a heading is read
#: for: a heading such as "Not authorized to perform iam:PassRole" names an error, it does not
#: exclude iam:PassRole from its subject.
CONTRAST = frozenset({"without", "except"})


def negated_terms(text: str, *, contrast_only: bool = False) -> frozenset[str]:
    """The stemmed terms a text puts after a negator in the same clause (see :data:`NEGATORS`).

    "let devs manage scheduled actions but not touch scaling policies" negates ``touch``,
    ``scal`` and ``polici``. Bag-of-words scoring cannot tell that question from its mirror
    image; this lets the index prefer the section whose heading excludes the same things.
    With ``contrast_only`` only "but not", "without" and "except" negate.
    """
    out: set[str] = set()
    for clause in _CLAUSE_RE.split(normalise(text).lower()):
        found = False
        previous = ""
        for raw in clause.split():
            word = raw.strip("\"'`*")
            if found:
                out.update(terms(words(word)))
            elif contrast_only:
                found = word in CONTRAST or (word == "not" and previous == "but")
            else:
                found = word in NEGATORS
            previous = word
    return frozenset(out)
