"""Turning a question into a reply, shared by the slash command, mentions, DMs and buttons.

A question that names a check ("why did dynamodb_table_autoscaling_enabled fail?") gets that
check's explanation and remediation; anything else goes to the knowledge base.

Where the knowledge part runs (:func:`compose_reply`: search and rendering): in the answer
worker's process when the service has one (``slack/answer_worker.py``), so that a stream of
questions never takes the acks' CPU. Otherwise in this process: once the shipped index is in
memory a search costs well under a millisecond (``docs/benchmarks.md``), less than handing it
to a worker thread and back, which under load waits on the GIL for up to its 5 ms switch
interval at each hand-off; so a ready index is searched on the event loop
(``SlackServices.answer_on_loop``), and until then, or for any other answerer, in a worker
thread so that it can never stall the acks (``SlackServices.compose``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from slack_sdk.models.blocks import SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from scalewarden.checks.model import Check
from scalewarden.knowledge.answer import Answer, QuestionError, Result
from scalewarden.slack.answer_worker import AnswerWorkerError
from scalewarden.slack.listeners.account import account_reply
from scalewarden.slack.redact import redact
from scalewarden.slack.services import Responder, SlackServices, safe_call
from scalewarden.slack.usertext import clean
from scalewarden.slack.views.answers import answer_blocks, answer_text
from scalewarden.slack.views.checks import check_blocks
from scalewarden.slack.views.help import help_blocks
from scalewarden.slack.views.text import Blocks, fallback, md, render

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z][a-z0-9_]{2,127}")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


#: What someone gets when their question was shed (``BackgroundTasks``: the queue was full).
BUSY = (
    "I'm answering a great many questions right now and could not get to this one. "
    "Please try again in a minute."
)


#: What someone gets when the answer worker could not answer (it stopped mid-question).
NOT_ANSWERED = (
    "Something went wrong while I was looking that up, and I could not answer this one. "
    "Please ask again."
)


def busy_response(
    services: SlackServices, respond: Responder, *, source: str, replace_original: bool
) -> Callable[[], Coroutine[Any, Any, None]]:
    """The ``when_busy`` job for work answered through ``response_url``: say so, and count it."""

    async def reply() -> None:
        services.metrics.answers.labels(source=source, outcome="busy").inc()
        await safe_call(
            "response_url",
            respond(text=BUSY, response_type="ephemeral", replace_original=replace_original),
        )

    return reply


@dataclass(frozen=True)
class Reply:
    """Blocks plus notification text, and the outcome for metrics and the audit log.

    ``account`` is the line for the asker alone (``listeners/account.py``): how their account
    fares on what the answer explains (admins), or how an admin can check (others). Empty when
    the answer explains no check or no asker was named.
    """

    blocks: Blocks
    text: str
    outcome: str
    account: Blocks = field(default_factory=list)
    account_text: str = ""

    def with_account(self) -> tuple[Blocks, str]:
        """Blocks and text with the account line at the end (for replies only the asker sees)."""
        if not self.account:
            return self.blocks, self.text
        return [*self.blocks, *self.account], self.text


def strip_mentions(text: str) -> str:
    """The text of a mention or DM without ``<@U…>`` user references."""
    return _MENTION.sub(" ", text or "").strip()


def mentioned_check(checks: Callable[[], Sequence[Check]], question: str) -> Check | None:
    """The first known check id named in ``question``, if any."""
    try:
        catalog = {c.id: c for c in checks()}
    except Exception as exc:  # the registry is optional for Q&A; never fail a question on it
        logger.warning("check catalogue unavailable: %s", type(exc).__name__)
        return None
    for word in _WORD.findall(question.lower()):
        if word in catalog:
            return catalog[word]
    return None


async def kb_explanation(services: SlackServices, check: Check) -> Result | None:
    """The section the check links to (``kb_section``), fetched by id, where
    :meth:`SlackServices.run_search` says."""
    return await services.run_search(_explanation, services.explainer, check)


def _explanation(explain: Callable[[str, str], Result | None], check: Check) -> Result | None:
    """:func:`kb_explanation`, blocking (for :func:`compose_reply`)."""
    try:
        explanation = explain(check.kb_section, check.title)
    except (LookupError, OSError) as exc:
        logger.warning("no knowledge base explanation for %s: %s", check.id, exc)
        return None
    return _reported(explanation, check)


def _reported(explanation: Result | None, check: Check) -> Result | None:
    if explanation is None:
        logger.warning("the knowledge base has no section %r for %s", check.kb_section, check.id)
    return explanation


async def check_reply(
    services: SlackServices, check: Check, finding: dict[str, Any] | None = None
) -> Reply:
    return _check_reply(check, await kb_explanation(services, check), finding)


def _check_reply(
    check: Check, explanation: Result | None, finding: dict[str, Any] | None = None
) -> Reply:
    return Reply(
        check_blocks(check, finding=finding, explanation=explanation),
        fallback(f"{check.title}:", check.remediation),
        "check",
    )


@dataclass(frozen=True)
class Asker:
    """Who asked (for the account line), and the client to check whether they are an admin."""

    user_id: str
    client: AsyncWebClient


@dataclass(frozen=True)
class Composed:
    """A reply before its account line: what the knowledge part of an answer produced, as
    plain data (it crosses from the answer worker's process), with the section it is from."""

    reply: Reply
    #: The section the reply explains (for the account line); empty when none.
    section_id: str = ""


def compose_reply(
    question: str,
    *,
    shareable: bool,
    checks: Callable[[], Sequence[Check]],
    answer: Callable[[str, int], Answer],
    explain: Callable[[str, str], Result | None],
) -> Composed:
    """The knowledge part of a reply: blocking and CPU-bound (search, rendering), no I/O
    besides what ``answer`` and ``explain`` read, so that it can run in the answer worker's
    process (``slack/answer_worker.py``) or in this one alike. Never raises for bad input.

    Secret-looking text (a pasted token or key) is masked first, so it is neither searched
    for nor echoed back in a no-answer or a button value. Control and invisible characters
    (often pasted along with text) become spaces rather than a refusal.
    """
    question = clean(redact(question)).strip()
    check = mentioned_check(checks, question)
    if check is not None:
        return Composed(_check_reply(check, _explanation(explain, check)), check.kb_section)
    try:
        found = answer(question, 3)
    except QuestionError as exc:
        message = f"I can't search for that: {exc}."
        return Composed(Reply(help_blocks(message), message, "invalid"))
    outcome = "answered" if found.answered and found.results else "no_answer"
    reply = Reply(answer_blocks(found, shareable=shareable), answer_text(found), outcome)
    return Composed(reply, found.results[0].section_id if outcome == "answered" else "")


async def reply_to_question(
    services: SlackServices,
    question: str,
    *,
    source: str,
    shareable: bool,
    asker: Asker | None = None,
) -> Reply:
    """The reply for ``question``; never raises for bad input (the reply explains it).

    The knowledge part (:func:`compose_reply`) runs where :meth:`SlackServices.compose`
    says: in the answer worker's process when there is one, so that its CPU never competes
    with the acks on this process's event loop. With an ``asker``, an answer whose section
    explains checks carries the asker's account line (read here: it needs the store and the
    admin check).
    """
    try:
        composed = await services.compose(question, shareable)
    except AnswerWorkerError as exc:
        logger.error("a question went unanswered: %s", exc)
        services.metrics.answers.labels(source=source, outcome="failed").inc()
        return Reply(
            render([SectionBlock(text=md(f":warning: {NOT_ANSWERED}"))]), NOT_ANSWERED, "failed"
        )
    reply = composed.reply
    services.metrics.answers.labels(source=source, outcome=reply.outcome).inc()
    if reply.outcome not in ("answered", "check"):
        return reply
    return await _with_account(services, reply, asker, composed.section_id)


async def _with_account(
    services: SlackServices, reply: Reply, asker: Asker | None, section_id: str
) -> Reply:
    if asker is None or not section_id:
        return reply
    blocks, text = await account_reply(services, asker.client, asker.user_id, section_id)
    return replace(reply, account=blocks, account_text=text)
