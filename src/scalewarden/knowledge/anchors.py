"""Domain anchors: does a question's best match rest on what this knowledge base is about?

BM25 cannot tell on its own. In a corpus about one service the service's own words
("scaling", "scalable target", "Application Auto Scaling") are in every section, so their IDF
is close to zero and they add nothing to a score; the words that *do* score are the rare ones,
and in our articles many rare words are incidental cloud vocabulary ("bucket", "password",
"NAT gateway", "cost"). "how do I create an IAM user with console access" therefore scores like
a real question through "IAM", "user" and "console", although it is not about scaling at all.

So the no-answer rule (:mod:`.answer`) also asks for an *anchor*: the best section must match
the question on at least one term that is either

* a **domain term**: a concept of Application Auto Scaling or of the security topics the
  articles cover (scaling, scalable targets, namespaces, service-linked roles, CloudTrail,
  VPC endpoints, TLS, alarms, compliance …), listed below; or
* a **distinctive title term**: a word of the section's heading or of its article's title and
  aliases that is neither generic cloud vocabulary nor merely the name of an integrated
  service. This keeps extra folders (a team's runbooks) answerable on their own subject
  ("who approves a rotation of the pager secret") without listing their vocabulary here.

Not every anchor is equally specific. A *core* term (a concept of Application Auto Scaling
itself: scalable target, namespace, dimension, service-linked, capacity, ResourceId …) anchors
alone. The topic words and title words are also everyday words of other subjects: "zero
trust" matches the trust-policy section on "trust", "email validation" the alarm-e-mail
section on "email", "aws sso" the set-up article through an alias. So one of them anchors only
beside a second anchor, or when it is more than an alias and the section covers most of the
question; a question whose only match is one such word is about something else.

Generic words and service names still count for ranking; they only cannot anchor. "dynamodb
ttl not deleting items" is about DynamoDB, not about scaling it.

A question about a *neighbouring* product (EC2 Auto Scaling groups, Kubernetes autoscalers)
shares "scaling" with us but is answered elsewhere: it is declined unless it also names
Application Auto Scaling itself (the service, a scalable target, a namespace or dimension).

Some anchored matches are still about something else (:func:`_off_subject`): scaling words
around an AWS product the articles never mention ("memorydb cluster scalable dimension"), the
service's name plus a generic word the section's subject lacks ("is aas free"), or an
integrated service the section never mentions ("security group for rds"), an AWS product the
section holds only as an alias ("aws sso permission sets"), or a kind of role the section never
names ("ecs task role permissions": AAS never uses a task role). Those are declined.

Two matches anchor although no single word does: a section that itself discusses the
neighbouring product answers a question comparing the two ("cloudtrail event names shared with
ec2 auto scaling"), and a section whose heading names the integrated service the question asks
about, with every other word of the question in its subject, answers a question made only of
generic words and that service's name ("iam policy for dynamodb only").

Every list is small and reviewable; the benchmark reports how the rule does on held-out
off-topic questions that were never used to write them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from scalewarden.knowledge.synonyms import expand
from scalewarden.knowledge.text import STOP_WORDS as STOP
from scalewarden.knowledge.text import stem, words

if TYPE_CHECKING:
    from scalewarden.knowledge.index import Query, QueryTerm, SearchIndex


def _terms(text: str) -> frozenset[str]:
    """Index terms of a word list (synonyms expanded and stemmed, as queries are)."""
    return frozenset(stem(w) for w in expand(text.split()))


#: Words any cloud or IT question uses: they rank, but never anchor an answer on their own.
GENERIC_TERMS: frozenset[str] = _terms(
    """
    aws amazon create delete set setup config configure use user users password passwords
    account accounts bucket buckets key keys cost costs limit limits new not list name names
    error errors fail failed work working run running time best good example examples make
    add get find change update enable disable start stop size memory data file files
    instance instances service services resource resources access iam identity management
    role roles policy policies console help way practice practices level high low default
    question issue problem tag tags nat gateway internet vpc subnet network
    """
)

#: Concepts of Application Auto Scaling itself: a match on one of these anchors an answer alone.
CORE_TERMS: frozenset[str] = (
    _terms(
        """
    application auto scaling scale scaled scalable target targets dimension namespace capacity
    linked register deregister resourceid
    """
    )
    - GENERIC_TERMS
)

#: The security and monitoring topics the articles cover. These are also everyday words of
#: other subjects ("zero trust", "email validation", "step functions"), so one of them anchors
#: an answer only beside a second anchor, or as the subject of the section's own heading with
#: most of the question covered (see :attr:`Anchoring.anchored`).
_TOPIC_WORDS: frozenset[str] = _terms(
    """
    schedule scheduled step tracking
    cloudtrail eventbridge cloudwatch alarm alarms privatelink endpoint
    tls cipher ciphers sigv4 fips abac permission permissions privilege privileges condition
    principal trust passrole validation probe probes
    compliance soc pci hipaa fedramp nist attestation artifact audit
    resilience availability health dashboard encryption sensitive
    """
)
#: Every domain term (less what a synonym drags in: "abac" also brings "access", which stays
#: generic).
DOMAIN_TERMS: frozenset[str] = (CORE_TERMS | _TOPIC_WORDS) - GENERIC_TERMS

#: Names of the integrated services: context for a question, not its subject.
SERVICE_TERMS: frozenset[str] = _terms(
    """
    ecs elastic container dynamodb lambda function aurora rds sagemaker emr elasticmapreduce
    msk kafka keyspaces cassandra elasticache redis memcached valkey neptune comprehend
    appstream workspaces spot fleet ec2 fargate db table
    """
)

#: The words of :data:`SERVICE_TERMS` that name a kind of resource rather than a product:
#: "our tables during a cloudwatch outage" names no service.
RESOURCE_TERMS: frozenset[str] = _terms("table db function fleet spot elastic container")
#: The integrated services' product names.
PRODUCT_TERMS: frozenset[str] = SERVICE_TERMS - RESOURCE_TERMS - GENERIC_TERMS

#: The service's own name ("aas" expands to it): every section holds it, so a question whose
#: only anchor is the name must match the section's subject on another word (see
#: :attr:`Anchoring.off_subject`).
NAME_TERMS: frozenset[str] = _terms("application auto scaling")

#: Fields that say what a section is about: its heading, article title and aliases, and the
#: questions it lists (see :mod:`.index`).
SUBJECT_FIELDS: tuple[str, ...] = ("heading", "article", "questions")

#: Words naming Application Auto Scaling itself, which outweigh a neighbouring product.
PROPER_TERMS: frozenset[str] = _terms("application scalable namespace dimension")

#: Surface words and phrases of neighbouring products (EC2 Auto Scaling groups, Kubernetes).
NEIGHBOUR_WORDS: frozenset[str] = frozenset(
    ["asg", "asgs", "kubernetes", "k8s", "hpa", "pod", "pods", "karpenter", "keda", "eks"]
)
NEIGHBOUR_PHRASES: tuple[tuple[str, ...], ...] = (
    ("scaling", "group"),
    ("scaling", "groups"),
    ("autoscaling", "group"),
    ("autoscaling", "groups"),
    # the product's own name, and features only EC2 Auto Scaling groups have
    ("ec2", "auto", "scaling"),
    ("ec2", "autoscaling"),
    ("warm", "pool"),
    ("warm", "pools"),
    ("lifecycle", "hook"),
    ("lifecycle", "hooks"),
    ("instance", "refresh"),
)

_PHRASE_STARTS: frozenset[str] = frozenset(p[0] for p in NEIGHBOUR_PHRASES)

#: Fields that name what a section is about (see :mod:`.index`).
TITLE_FIELDS: tuple[str, ...] = ("heading", "article")

#: A question anchored on a single topic or title term must be mostly covered by the section,
#: and the term must be more than one of the article's aliases: "zero trust" matches the
#: trust-policy section on "trust" alone (coverage about 0.4), "aws sso" the set-up article only
#: through an alias naming another product. Calibrated on the development, practice and tuning
#: off-topic sets.
SINGLE_ANCHOR_COVERAGE = 0.65


@dataclass(frozen=True, slots=True)
class Anchoring:
    """What anchors a question to a section, and whether it is about a neighbouring product.

    ``domain`` and ``titles`` are the matched anchor terms (stemmed), ``core`` those of
    ``domain`` that are concepts of Application Auto Scaling itself and ``named`` the anchor
    terms that are more than an alias (a domain term, or a word of the section's heading or
    article title); ``neighbour`` the neighbouring-product words the
    question used; ``proper`` whether it names the service; ``coverage`` the share of the
    question the section holds (:attr:`.index.Hit.coverage`).
    """

    domain: tuple[str, ...]
    titles: tuple[str, ...]
    neighbour: tuple[str, ...]
    proper: bool
    core: tuple[str, ...] = ()
    named: tuple[str, ...] = ()
    coverage: float = 1.0
    #: why the section is not about what the question asks, whatever its anchors ("" if it is)
    off_subject: str = ""
    #: the section's heading names the integrated service the question asks about and its
    #: subject holds every other word of it (:func:`_names_whole_question`)
    subject: bool = False

    @property
    def anchors(self) -> tuple[str, ...]:
        """Every matched anchor term, domain terms first."""
        return (*self.domain, *self.titles)

    @property
    def anchored(self) -> bool:
        """Not about a neighbouring product, and a core term, two anchors, or one anchor that
        is more than an alias with most of the question covered."""
        if self.neighbour and not self.proper:
            return False
        if self.off_subject:
            return False
        if self.core or len(self.anchors) >= 2 or self.subject:
            return True
        return bool(self.named) and self.coverage >= SINGLE_ANCHOR_COVERAGE

    def explain(self) -> str:
        """One line saying why the match is (not) anchored, for logs and the benchmark."""
        if self.neighbour and not self.proper:
            return f"about a neighbouring product ({', '.join(self.neighbour)})"
        if self.off_subject:
            return self.off_subject
        if self.subject and not self.anchors:
            return "the section's subject names the service and every word of the question"
        if not self.anchors:
            return "no domain term and no distinctive title term matched"
        if self.anchored:
            return f"anchored on {', '.join(self.anchors)}"
        where = f"coverage {self.coverage:.2f}" if self.named else "an alias only"
        return f"one generic anchor ({self.anchors[0]}, {where}): not specific enough"


def neighbour_words(question: str) -> tuple[str, ...]:
    """The neighbouring-product words and phrases a question uses, in order of appearance."""
    surface = words(question)
    found = [w for w in surface if w in NEIGHBOUR_WORDS]
    for i, word in enumerate(surface):
        if word in _PHRASE_STARTS:
            found.extend(
                " ".join(p) for p in NEIGHBOUR_PHRASES if tuple(surface[i : i + len(p)]) == p
            )
    return tuple(dict.fromkeys(found))


def anchoring(index: SearchIndex, query: Query, section: int, coverage: float = 1.0) -> Anchoring:
    """Which of the question's terms anchor it to ``section`` (one lookup per query term);
    ``coverage`` is the share of the question that section holds."""
    domain: list[str] = []
    titles: list[str] = []
    terms = {qt.term for qt in query.terms}
    for term in terms:
        if term in GENERIC_TERMS or term in SERVICE_TERMS:
            continue
        if term in DOMAIN_TERMS:
            if index.contains(term, section):
                domain.append(term)
        elif index.contains(term, section, TITLE_FIELDS):
            titles.append(term)
    off_subject = _off_subject(index, query, section, domain, titles)
    neighbour = _undiscussed_neighbours(index, query, section, {*domain, *titles})
    named = list(domain)
    if titles:
        own = _terms(" ".join(words(index.sections[section].title)))
        named.extend(t for t in titles if t in own or index.contains(t, section, ("heading",)))
    return Anchoring(
        tuple(sorted(domain)),
        tuple(sorted(titles)),
        neighbour,
        bool(terms & PROPER_TERMS),
        core=tuple(t for t in sorted(domain) if t in CORE_TERMS),
        named=tuple(sorted(named)),
        coverage=coverage,
        off_subject=off_subject,
        subject=_names_whole_question(index, query, section),
    )


def _undiscussed_neighbours(
    index: SearchIndex, query: Query, section: int, anchors: set[str]
) -> tuple[str, ...]:
    """The neighbouring-product words of the question that ``section`` does not itself discuss.

    A section that names the neighbouring product ("EC2 Auto Scaling also has
    `PutScalingPolicy` …") answers a question comparing the two, provided the question is
    anchored on something besides the neighbour's own words: "cloudtrail event names shared
    with ec2 auto scaling" asks about AAS's CloudTrail records, while "ec2 auto scaling warm
    pools" stays declined (its only anchor, "scaling", is the neighbour's own name).
    """
    found = neighbour_words(query.text)
    if not found or not anchors - _terms(" ".join(found)):
        return found
    text = _section_text(index, section)
    return tuple(n for n in found if f" {n} " not in text)


def _names_whole_question(index: SearchIndex, query: Query, section: int) -> bool:
    """Whether the section's heading names an integrated service the question names, and the
    section's subject (:data:`SUBJECT_FIELDS`) holds every other word the question typed.

    Such a question is all generic words and a service's name, none of which anchors alone
    ("iam policy for dynamodb only"), yet a section titled with that service and that kind of
    thing is what it asks for. A word the subject lacks keeps the rule out: "dynamodb ttl not
    deleting items" is about TTL, which no heading of ours names.
    """
    services = {qt.term for qt in query.terms} & PRODUCT_TERMS
    if not any(index.contains(t, section, ("heading",)) for t in services):
        return False
    by_word: dict[str, set[str]] = {}
    for qt in query.terms:
        by_word.setdefault(qt.origin, set()).add(qt.term)
    return all(
        any(index.contains(t, section, SUBJECT_FIELDS) for t in terms) for terms in by_word.values()
    )


def _off_subject(
    index: SearchIndex, query: Query, section: int, domain: list[str], titles: list[str]
) -> str:
    """Why ``section`` is not about the question although anchored, or "".

    Four cases, all near misses that once got an answer about something else:

    * the question names an AWS product the articles never mention (a word of AWS's service
      names, :attr:`.index.SearchIndex.aws_words`, unknown to the index), no service that
      Application Auto Scaling scales, and none of the security or monitoring topics the
      articles cover (only scaling itself): it asks about scaling a product AAS does not
      scale. "which namespace is kinesis streams" matched AppStream's page on "namespace" and
      "stream", "memorydb cluster scalable dimension" the list of dimensions; "exclude aas
      validation probes from our guardduty alert rule" is about the probes;
    * the only anchor is the service's own name, the question's other words are all generic
      (:data:`GENERIC_TERMS`) or everyday English, and none of them is in the section's
      subject (:data:`SUBJECT_FIELDS`), the generic ones counting only when there is nothing
      else ("how do I use aas" is about using it, "is aas free to use" about "free"): "is aas
      free" matched a section that mentions "free-form text" in passing, "cost of application
      auto scaling" one that says "at no cost". A rarer word ("DynamicScalingInSuspended") is
      the question's subject even when only a section's body holds it;
    * the question names an integrated service (:data:`PRODUCT_TERMS`) that the section never
      mentions, and no concept of Application Auto Scaling anchors it: "security group for
      rds" matched the VPC endpoint's security group;
    * with no concept of Application Auto Scaling anchoring it, the question names an AWS
      product the section holds only as an alias (:func:`_products_in_passing`) or a kind of
      role it never mentions (:func:`_other_roles`).
    """
    terms = {qt.term for qt in query.terms}
    foreign = [w for w in query.unknown if w in index.aws_words]
    topics = set(domain) - CORE_TERMS
    if foreign and not topics and not terms & (SERVICE_TERMS - GENERIC_TERMS):
        return f"about an AWS product these articles do not cover ({', '.join(foreign)})"
    anchors = set(domain) | set(titles)
    if anchors and anchors <= NAME_TERMS:
        rest = [qt for qt in query.terms if qt.term not in NAME_TERMS]
        generic = all(qt.term in GENERIC_TERMS or qt.origin in index.common_words for qt in rest)
        if (
            rest
            and generic
            and not any(index.contains(t, section, SUBJECT_FIELDS) for t in _subject_words(rest))
        ):
            return "anchored on the service's name only, the rest not in the section's subject"
    services = terms & PRODUCT_TERMS
    if (
        services
        and not anchors & CORE_TERMS
        and not any(index.contains(t, section) for t in services)
    ):
        return f"names a service the section does not mention ({', '.join(sorted(services))})"
    if anchors & CORE_TERMS:
        return ""
    passing = _products_in_passing(index, query, section)
    if passing:
        return f"names an AWS product the section only lists as an alias ({', '.join(passing)})"
    roles = _other_roles(index, query, section)
    if roles:
        return f"asks about a role the section never mentions ({', '.join(roles)})"
    return ""


def _section_text(index: SearchIndex, section: int) -> str:
    """The section's article title, heading and body as lower-case words joined by single
    spaces, padded: what it says, as opposed to the aliases and questions it is found by."""
    found = index.sections[section]
    return f" {' '.join(words(chr(10).join((found.title, found.heading, found.body))))} "


def _products_in_passing(index: SearchIndex, query: Query, section: int) -> list[str]:
    """The AWS products the question names (:attr:`.index.SearchIndex.aws_words`) that are not
    a topic of ours nor an integrated service, and that the section's title, heading and body
    never mention: the section holds them only as an alias or an example question.

    "aws sso permission sets" matched the set-up article, whose aliases list SSO because its
    page mentions IAM Identity Center, on "sso" and on "permission": the question is about
    Identity Center's permission sets, which the articles do not cover.
    """
    ours = DOMAIN_TERMS | GENERIC_TERMS | SERVICE_TERMS | NAME_TERMS
    typed = dict.fromkeys(
        qt.origin
        for qt in query.terms
        if qt.term not in ours and qt.origin in index.aws_words and index.contains(qt.term, section)
    )
    products = list(typed)
    if not products:
        return []
    text = _section_text(index, section)
    return [w for w in products if f" {w} " not in text]


#: The word that makes a typed pair a kind of IAM role ("task role", "execution role").
_ROLE_WORDS: frozenset[str] = frozenset(["role", "roles"])


def _other_roles(index: SearchIndex, query: Query, section: int) -> list[str]:
    """Kinds of role the question names ("task role") that the section never mentions.

    The articles are about the roles Application Auto Scaling uses (its service-linked roles,
    EMR's service role); "ecs task role permissions" asks about the role ECS gives a task's
    containers, which AAS never uses, and got the ECS service-linked role's policy, which a
    reader could then grant to the task. A kind named by a concept of ours ("service-linked
    role", "ecs role") is not another role.
    """
    surface = words(query.text)
    kinds = [
        f"{a} {b}"
        for a, b in pairwise(surface)
        if b in _ROLE_WORDS
        and a.isalpha()
        and not _terms(a) & (DOMAIN_TERMS | SERVICE_TERMS | NAME_TERMS | GENERIC_TERMS)
        and a not in STOP
    ]
    if not kinds:
        return []
    text = _section_text(index, section)
    return [k for k in kinds if f" {k} " not in text and f" {k}s " not in text]


def _subject_words(rest: list[QueryTerm]) -> set[str]:
    """The terms that say what a question is about: its words that are not generic, or all of
    them when every one is."""
    specific = {qt.term for qt in rest if qt.term not in GENERIC_TERMS}
    return specific or {qt.term for qt in rest}
