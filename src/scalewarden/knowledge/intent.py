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

_PERMISSION = frozenset(
    {"perm", "perms", "permission", "permissions", "privileges", "access", "iam"}
)
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


#: The named facts a question can ask for by name, and a section heading can promise.
Fact = Literal["role-name", "arn", "principal", "deletion", "service-name", "attachment"]

_NAME = frozenset({"name", "named", "names", "called"})
_ARN = frozenset({"arn", "arns"})
_TRUST = frozenset({"principal", "principals", "trust", "trusts", "trusted"})
_DELETE = frozenset({"delete", "deleted", "deletes", "deleting", "deletion", "removed"})
_NAMESPACE = frozenset({"namespace", "namespaces"})
_LINKED = frozenset({"slr", "slrs", "linked"})
_ATTACH = frozenset({"attach", "attaching", "attached", "attachable"})


def question_facts(question: str) -> frozenset[Fact]:
    """The named facts a question asks for ("slr name for ecs", "arn of the lambda slr",
    "what happens if someone deletes the role", "the endpoint service name").

    Each fact has one section that gives it for every service, and a service's own page that
    also mentions it: the service's words favour its page, so the fact's name must count.
    A role's name is the fact only when the question asks for nothing else about the role (a
    question for "role name and principal" wants the service's page, which gives both).
    """
    typed = words(question)
    seen = frozenset(typed)
    facts: set[Fact] = set()
    role = bool(seen & _ROLE) or any(w.startswith("awsservicerolefor") for w in seen)
    # a service-linked role, not any role: EMR's scaling role is a service role of yours
    linked = bool(seen & _LINKED) or any(w.startswith("awsservicerolefor") for w in seen)
    if seen & _ARN:
        facts.add("arn")
    if linked and seen & _TRUST:
        facts.add("principal")
    if role and seen & _DELETE:
        facts.add("deletion")
    if role and seen & _NAME and not facts and not seen & (_TRUST | _ARN):
        facts.add("role-name")
    if ("service", "name") in pairwise(typed) or {"com", "amazonaws"} <= seen:
        facts.add("service-name")
    if seen & _ATTACH:
        facts.add("attachment")
    return frozenset(facts)


def heading_facts(heading: str) -> frozenset[Fact]:
    """The named facts a section's heading promises (see :func:`question_facts`)."""
    typed = words(heading)
    seen = frozenset(typed)
    facts: set[Fact] = set()
    role = bool(seen & _ROLE)
    if seen & _ARN:
        facts.add("arn")
    if seen & _TRUST and role:
        facts.add("principal")
    if role and seen & _DELETE and not seen & {"alarm", "alarms"}:
        facts.add("deletion")
    if role and seen & (_NAME | _NAMESPACE):
        facts.add("role-name")
    if ("service", "name") in pairwise(typed):
        facts.add("service-name")
    if seen & _ATTACH:
        facts.add("attachment")
    return frozenset(facts)
