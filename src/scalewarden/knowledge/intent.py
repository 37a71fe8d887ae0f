"""What kind of permissions a question asks about: what a person needs, or what a role has.

"what lambda perms does the user need" and "what perms does the sagemaker scaling role get"
share their subject words with several sections: the service's integration page, the managed
policy the service-linked role carries, and the policy examples for users. The subject words
cannot tell those apart; a few cue words can. A question that asks about permissions *needed*
(to call, to register, the minimum) wants a section whose heading is about what someone
needs; one that asks what a *role* gets or is allowed wants a section whose heading says what
a policy or role allows. :mod:`.index` multiplies the score of sections whose heading carries
the question's intent by ``1 + INTENT_WEIGHT``.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from scalewarden.knowledge.text import words

Intent = Literal["needs", "grants"]

_PERMISSION = frozenset({"perm", "perms", "permission", "permissions", "privileges", "access"})
_NEED = frozenset({"need", "needs", "needed", "require", "required", "requires", "minimum"})
_ROLE = frozenset({"role", "roles", "slr", "slrs"})
_GRANT = frozenset(
    {"get", "gets", "has", "have", "allow", "allows", "grant", "grants", "give", "gives"}
)


def question_intent(question: str) -> Intent | None:
    """The question's intent, or ``None`` when it asks about no permissions or is unclear."""
    typed = words(question)
    seen = frozenset(typed)
    if not seen & _PERMISSION:
        return None
    if seen & _NEED:
        return "needs"
    # "perms to register", "permissions to call": what is needed for a call
    for first, second in pairwise(typed):
        if first in _PERMISSION and second == "to":
            return "needs"
    if seen & _ROLE and seen & _GRANT:
        return "grants"
    return None


def heading_intent(heading: str) -> Intent | None:
    """A section heading's intent (the headings are the questions the sections answer)."""
    seen = frozenset(words(heading))
    if seen & _PERMISSION and seen & _NEED:
        return "needs"
    # what an AWS managed policy (the one a service-linked role carries) or a role allows; not
    # "my policy allows …", which is a person's own policy
    if seen & {"allow", "allows", "grant", "grants"} and seen & {"managed", "role", "roles"}:
        return "grants"
    return None
