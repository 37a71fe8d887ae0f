"""The scan queue is bounded: bursts of signed ``/scalewarden scan`` requests, as issue 12 sent.

The scan function here is a gated substitute (the queue's decisions do not depend on where a
scan runs); the requests are real signed Slack requests to the real app.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from typing import Any

import pytest
from harness import ADMIN, CHANNEL, RecordingScanner, build_report

from scalewarden.scan import ScanScope
from scalewarden.scanning.executors import ThreadExecutor
from scalewarden.scanning.jobs import ScanJob
from scalewarden.scanning.runner import (
    Admission,
    ScanCancelled,
    ScanLimits,
    ScanRefused,
    ScanRunner,
)

A, B = "target_fixed_capacity", "slr_unused"
REGIONS = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
]
#: Forty distinct scopes: pairs of regions (the service scans only its own account here).
PAIRS = [(a, b) for i, a in enumerate(REGIONS) for b in REGIONS[i + 1 :]][:40]


def _scope_text(i: int) -> str:
    """The ``i``-th of forty distinct scopes."""
    return "scan region={},{}".format(*PAIRS[i])


async def _burst(h: Any, texts: list[str], users: list[str]) -> list[str]:
    """Send every command at once (well inside a quarter of a second); the acks' texts."""
    responses = await asyncio.gather(
        *(
            h.command(text, user=user, hook=f"h{i}")
            for i, (text, user) in enumerate(zip(texts, users, strict=True))
        )
    )
    return [r.json()["text"] for r in responses]


def _progress_posts(h: Any) -> list[Any]:
    """Progress messages posted (each request that posts one starts with "Scanning")."""
    return [c for c in h.fake.api_calls("chat.postMessage") if "Scanning" in str(c.params)]


def _result_posts(h: Any) -> list[Any]:
    """Results posted, as an edit of a progress message or as a new message: (channel, how)."""
    return [
        (c.params.get("channel"), method)
        for method in ("chat.update", "chat.postMessage")
        for c in h.fake.api_calls(method)
        if "Scan results" in str(c.params)
    ]


async def test_forty_identical_requests_are_one_scan_one_progress_message_one_post(
    make_harness: Any,
) -> None:
    gate = threading.Event()
    slow = RecordingScanner(build_report(2), gate=gate)
    async with make_harness(scanner=slow) as h:
        acks = await _burst(h, ["scan region=us-east-1"] * 40, [ADMIN] * 40)
        await h.fake.wait_for(lambda: slow.calls)
        assert len(h.services.scans.active()) == 1
        joined = [a for a in acks if "joins it" in a]
        assert len(joined) == 39 and all(a.startswith("Scanning 1 region") for a in acks)
        # Each joined request is told whose scan it joined and its scope.
        assert all(f"started by <@{ADMIN}>" in a and "regions us-east-1" in a for a in joined)
        gate.set()
        await h.fake.wait_for(lambda: len(h.store.audit_entries()) == 40, timeout=30)
        await h.settle()
        assert len(slow.calls) == 1
        outcomes = [e["outcome"] for e in h.store.audit_entries()]
        assert outcomes.count("completed") == 1 and outcomes.count("merged") == 39
        # One progress message, replaced once by the results; no private pointers (the one
        # requester got the post itself), and the scan was stored once.
        assert len(_progress_posts(h)) == 1
        assert _result_posts(h) == [(CHANNEL, "chat.update")]
        assert h.fake.api_calls("chat.postEphemeral") == []
        assert h.store.scan_count() == 1


async def test_merged_requests_get_one_post_per_destination(make_harness: Any) -> None:
    """Two admins in the security channel share one post (the second is told privately where
    it is, once); admins typing elsewhere get the results in their own DMs, once each."""
    gate = threading.Event()
    slow = RecordingScanner(build_report(2), gate=gate)
    a, b, c, d = (f"UADMIN{i:03d}" for i in range(4))
    env = {"SCALEWARDEN_ADMIN_USERS": ",".join((a, b, c, d))}
    elsewhere = "C0000ELSE"
    async with make_harness(scanner=slow, settings_env=env) as h:
        await h.command("scan region=us-east-1", user=a, hook="a1")
        await h.fake.wait_for(lambda: slow.calls)
        for i, (user, channel) in enumerate(
            [
                (b, CHANNEL),
                (a, CHANNEL),
                (b, CHANNEL),
                (c, elsewhere),
                (c, elsewhere),
                (d, elsewhere),
            ]
        ):
            ack = await h.command("scan region=us-east-1", user=user, channel=channel, hook=f"m{i}")
            assert "joins it" in ack.json()["text"]
        gate.set()
        await h.fake.wait_for(lambda: len(h.store.audit_entries()) == 7, timeout=30)
        await h.settle()
        assert len(slow.calls) == 1
        assert len(_progress_posts(h)) == 1  # a request joining the scan posts none
        assert sorted(_result_posts(h)) == sorted(
            [
                (CHANNEL, "chat.update"),
                ("D" + c[1:], "chat.postMessage"),
                ("D" + d[1:], "chat.postMessage"),
            ]
        )
        pointers = h.fake.api_calls("chat.postEphemeral")
        assert [(p.params["user"], p.params["channel"]) for p in pointers] == [(b, CHANNEL)]
        assert "/archives/C0000CHAN/p" in pointers[0].params["text"]
        outcomes = [e["outcome"] for e in h.store.audit_entries()]
        assert outcomes.count("completed") == 1 and outcomes.count("merged") == 6


async def test_a_slack_request_joining_an_api_scan_posts_only_the_results(
    make_harness: Any,
) -> None:
    gate = threading.Event()
    slow = RecordingScanner(build_report(2), gate=gate)
    env = {"SCALEWARDEN_API_TOKEN": "t" * 32}
    async with make_harness(scanner=slow, settings_env=env) as h:
        started = await h.client.post(
            "/api/v1/scans",
            json={"regions": ["us-east-1"]},
            headers={"Authorization": "Bearer " + "t" * 32},
        )
        assert started.status_code == 202
        await h.fake.wait_for(lambda: slow.calls)
        ack = await h.command("scan region=us-east-1")
        assert "started through the API" in ack.json()["text"]
        gate.set()
        await h.fake.wait_for(lambda: len(h.store.audit_entries()) == 2, timeout=30)
        await h.settle()
        assert _progress_posts(h) == []  # joining a scan under way posts no progress
        assert _result_posts(h) == [(CHANNEL, "chat.postMessage")]
        rows = {e["user_id"]: e for e in h.store.audit_entries()}
        assert rows["api"]["outcome"] == "completed" and rows[ADMIN]["outcome"] == "merged"
        assert started.json()["id"] in rows[ADMIN]["detail"]


async def test_one_user_cannot_queue_forty_different_scans(make_harness: Any) -> None:
    gate = threading.Event()
    slow = RecordingScanner(build_report(2), gate=gate)
    async with make_harness(scanner=slow) as h:
        acks = await _burst(h, [_scope_text(i) for i in range(40)], [ADMIN] * 40)
        refused = [a for a in acks if "was not started" in a]
        assert len(refused) == 37  # three per requester by default
        assert all("you already have 3 scans queued or running" in a for a in refused)
        assert len(h.services.scans.active()) == 3
        gate.set()
        await h.fake.wait_for(lambda: len(h.store.audit_entries()) == 40, timeout=30)
        outcomes = [e["outcome"] for e in h.store.audit_entries()]
        assert outcomes.count("refused") == 37 and outcomes.count("completed") == 3
        assert len(slow.calls) == 3


async def test_many_users_are_bounded_by_the_total(make_harness: Any) -> None:
    gate = threading.Event()
    slow = RecordingScanner(build_report(2), gate=gate)
    users = [f"UADMIN{i:03d}" for i in range(40)]
    env = {"SCALEWARDEN_ADMIN_USERS": ",".join(users), "SCALEWARDEN_SCAN_QUEUE_TOTAL": "5"}
    async with make_harness(scanner=slow, settings_env=env) as h:
        acks = await _burst(h, [_scope_text(i) for i in range(40)], users)
        refused = [a for a in acks if "was not started" in a]
        assert len(refused) == 35
        assert all("5 scans are already queued or running" in a for a in refused)
        assert len(h.services.scans.active()) == 5
        gate.set()
        await h.fake.wait_for(lambda: len(h.store.audit_entries()) == 40, timeout=30)
        assert len(slow.calls) == 5


async def test_a_queued_request_is_told_it_waits_and_a_repeat_joins_it(make_harness: Any) -> None:
    gate = threading.Event()
    slow = RecordingScanner(build_report(2), gate=gate)
    async with make_harness(scanner=slow) as h:
        await h.command("scan region=us-east-1", hook="a")
        await h.fake.wait_for(lambda: slow.calls)
        await h.command("scan region=eu-west-1", hook="b")
        repeat = await h.command("scan region=eu-west-1", hook="c")
        assert "already queued" in repeat.json()["text"]
        gate.set()
        await h.fake.wait_for(lambda: len(h.store.audit_entries()) == 3, timeout=30)
        assert [c.regions for c in slow.calls] == [["us-east-1"], ["eu-west-1"]]


def test_limits_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ScanLimits(slots=0)


def test_the_merge_key_ignores_order_but_not_identity_or_mutes() -> None:
    a = ScanJob(ScanScope(regions=["us-east-1", "eu-west-1"], checks=f"{B},{A}"))
    b = ScanJob(ScanScope(regions=["eu-west-1", "us-east-1"], checks=f"{A},{B}"))
    assert a.merge_key == b.merge_key and a.scope_key == b.scope_key
    other_role = ScanJob(replace(a.scope, role_name="R"))
    assert other_role.merge_key != a.merge_key and other_role.scope_key == a.scope_key
    muted = ScanJob(a.scope, mutelist=("rule",))
    assert muted.merge_key != a.merge_key


async def test_a_scope_with_unknown_checks_is_refused_with_the_reason() -> None:
    runner = ScanRunner(ThreadExecutor(RecordingScanner(build_report(1))))
    ticket = runner.submit(ScanJob(ScanScope(checks="no_such_check")), requester="U", source="t")
    assert ticket.admission is Admission.REFUSED and "no_such_check" in (ticket.reason or "")
    assert runner.active() == []


async def test_a_digest_thread_scans_through_the_runner_and_waits_its_turn_past_the_limit() -> None:
    """The blocking form (for the digest scheduler's threads): same queue, same limits; past
    a limit a scheduled scan waits for a place instead of failing, and a person's request for
    the scope being scanned joins it."""
    gate = threading.Event()
    slow = RecordingScanner(build_report(2), gate=gate)
    runner = ScanRunner(ThreadExecutor(slow), limits=ScanLimits(per_requester=1))
    scan = runner.blocking(asyncio.get_running_loop(), requester="digest", source="digest")
    first = asyncio.create_task(asyncio.to_thread(scan, ScanScope(regions=["us-east-1"]), None))
    while not slow.calls:
        await asyncio.sleep(0.01)
    second = asyncio.create_task(asyncio.to_thread(scan, ScanScope(regions=["eu-west-1"]), None))
    # The same scope joins the running scan instead.
    joined = runner.submit(ScanJob(ScanScope(regions=["us-east-1"])), requester="U1", source="t")
    assert joined.admission is Admission.MERGED
    # A person is still refused past their own limit; the digest's second scan is not queued
    # behind the limit, it waits outside the queue.
    while not runner._place_waiters:
        await asyncio.sleep(0.01)
    assert [r.job.scope.regions for r in runner.active()] == [["us-east-1"]]
    assert not second.done()
    gate.set()
    report = await first
    assert report.scan_id == slow.report.scan_id
    await asyncio.wait_for(second, 30)
    assert [c.regions for c in slow.calls] == [["us-east-1"], ["eu-west-1"]]


async def test_a_digest_waiting_for_a_place_is_refused_at_shutdown() -> None:
    gate = threading.Event()
    slow = RecordingScanner(build_report(2), gate=gate)
    runner = ScanRunner(ThreadExecutor(slow), limits=ScanLimits(per_requester=1))
    scan = runner.blocking(asyncio.get_running_loop(), requester="digest", source="digest")
    first = asyncio.create_task(asyncio.to_thread(scan, ScanScope(regions=["us-east-1"]), None))
    while not slow.calls:
        await asyncio.sleep(0.01)
    waiting = asyncio.create_task(asyncio.to_thread(scan, ScanScope(regions=["eu-west-1"]), None))
    while not runner._place_waiters:  # it has been told to wait for a place
        await asyncio.sleep(0.01)
    assert await runner.close() == 1
    with pytest.raises(ScanRefused, match="restarting"):
        await asyncio.wait_for(waiting, 30)
    with pytest.raises(ScanCancelled):
        await asyncio.wait_for(first, 30)
    gate.set()
