"""``/api/v1/scans`` through the real ``create_app()``: real scans in worker processes against
the local AWS, the token, the queue's limits, paging and every report format."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

from scalewarden.localaws import LocalAws, seed_scenario
from scalewarden.reports import FORMATS

TOKEN = "api-token-0123456789abcdef0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ENV = {"SCALEWARDEN_API_TOKEN": TOKEN}


async def _finished(h: Any, scan_id: str) -> dict[str, Any]:
    for _ in range(1200):
        body = (await h.client.get(f"/api/v1/scans/{scan_id}", headers=AUTH)).json()
        if body["status"] not in ("queued", "running"):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError("the scan did not finish")


async def test_every_scan_route_needs_the_token(make_harness: Any) -> None:
    async with make_harness(settings_env=ENV) as h:
        for method, path in [
            ("POST", "/api/v1/scans"),
            ("GET", "/api/v1/scans"),
            ("GET", "/api/v1/scans/abc"),
            ("GET", "/api/v1/scans/abc/findings"),
            ("GET", "/api/v1/scans/abc/report"),
        ]:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
                response = await h.client.request(method, path, headers=headers, json={})
                assert response.status_code == 401, (method, path, headers)
        assert h.services.scans.runs() == []


async def test_without_a_configured_token_scans_are_never_open(make_harness: Any) -> None:
    async with make_harness() as h:
        response = await h.client.post("/api/v1/scans", json={}, headers=AUTH)
        assert response.status_code == 401
        assert h.services.scans.runs() == []


async def test_a_scan_from_the_api_end_to_end(
    make_harness: Any, aws_env: str, local_aws: LocalAws
) -> None:
    seed_scenario("us-east-1")
    async with make_harness(settings_env=ENV, scanner=None, checks=None) as h:
        response = await h.client.post(
            "/api/v1/scans", json={"regions": ["us-east-1"]}, headers=AUTH
        )
        assert response.status_code == 202
        started = response.json()
        scan_id = started["id"]
        assert response.headers["location"] == f"/api/v1/scans/{scan_id}"
        assert started["status"] in ("queued", "running") and started["merged"] is False
        assert started["scope"]["regions"] == ["us-east-1"]

        done = await _finished(h, scan_id)
        assert done["status"] == "completed", done
        summary = done["summary"]
        assert summary["total"] > 0 and summary["by_status"]["FAIL"] > 0

        listed = (await h.client.get("/api/v1/scans", headers=AUTH)).json()
        assert [s["id"] for s in listed["scans"]] == [scan_id]

        # Findings, paged: the pages join up to exactly the stored findings, in order.
        stored = h.store.scan_record(scan_id).report["findings"]
        pages: list[dict] = []
        offset: int | None = 0
        while offset is not None:
            page = (
                await h.client.get(
                    f"/api/v1/scans/{scan_id}/findings",
                    params={"limit": 7, "offset": offset},
                    headers=AUTH,
                )
            ).json()
            assert page["count"] <= 7
            pages.extend(page["findings"])
            offset = page["next_offset"]
        assert pages == stored

        fails = (
            await h.client.get(
                f"/api/v1/scans/{scan_id}/findings",
                params={"status": "FAIL", "severity": "medium", "limit": 500},
                headers=AUTH,
            )
        ).json()["findings"]
        expected = [
            f
            for f in stored
            if f["status"] == "FAIL" and f["severity"] in ("critical", "high", "medium")
        ]
        assert fails == expected and fails
        check = fails[0]["check_id"]
        one_check = (
            await h.client.get(
                f"/api/v1/scans/{scan_id}/findings",
                params={"check": check, "limit": 500},
                headers=AUTH,
            )
        ).json()["findings"]
        assert one_check == [f for f in stored if f["check_id"] == check]

        # The report, in every format the registry holds.
        for name, output in FORMATS.items():
            report = await h.client.get(
                f"/api/v1/scans/{scan_id}/report", params={"format": name}, headers=AUTH
            )
            assert report.status_code == 200, name
            assert report.headers["content-type"].split(";")[0] == output.media_type.split(";")[0]
            assert scan_id in report.headers["content-disposition"]
        as_json = (await h.client.get(f"/api/v1/scans/{scan_id}/report", headers=AUTH)).json()
        assert as_json["scan_id"] == scan_id and len(as_json["findings"]) == len(stored)
        as_csv = (
            await h.client.get(
                f"/api/v1/scans/{scan_id}/report", params={"format": "csv"}, headers=AUTH
            )
        ).text
        assert len(list(csv.DictReader(io.StringIO(as_csv)))) == len(stored)

        # The API scan is audited like a Slack scan.
        await h.settle()
        entry = h.store.audit_entries()[0]
        assert (entry["user_id"], entry["command"], entry["outcome"]) == (
            "api",
            "scan",
            "completed",
        )
        assert json.loads(entry["arguments"])["regions"] == ["us-east-1"]


async def test_bad_requests_are_refused_clearly_and_start_nothing(make_harness: Any) -> None:
    async with make_harness(settings_env=ENV) as h:
        for body, word in [
            ({"regions": ["mars-north-1"]}, "mars-north-1"),
            ({"accounts": ["12345"]}, "12345"),
            ({"accounts": ["111111111111"]}, "only its own AWS account"),
            ({"checks": ["no_such_check"]}, "no_such_check"),
        ]:
            response = await h.client.post("/api/v1/scans", json=body, headers=AUTH)
            assert response.status_code == 400, body
            assert response.json()["code"] == "invalid_scope" and word in response.json()["error"]
        unknown = await h.client.get("/api/v1/scans/nope", headers=AUTH)
        assert unknown.status_code == 404
        assert (await h.client.get("/api/v1/scans/nope/findings", headers=AUTH)).status_code == 404
        bad_format = await h.client.get(
            "/api/v1/scans/nope/report", params={"format": "pdf"}, headers=AUTH
        )
        assert bad_format.status_code == 400 and "json" in bad_format.json()["error"]
        assert h.services.scans.runs() == []


async def test_api_scans_share_the_queue_merge_and_limits(make_harness: Any) -> None:
    import threading

    from harness import RecordingScanner, build_report
    from test_queue_limits import PAIRS

    gate = threading.Event()
    slow = RecordingScanner(build_report(3), gate=gate)
    async with make_harness(settings_env=ENV, scanner=slow) as h:
        # Slack starts a scan; the API asks for the same scope and joins it.
        await h.command("scan region=us-east-1")
        await h.fake.wait_for(lambda: slow.calls)
        joined = await h.client.post("/api/v1/scans", json={"regions": ["us-east-1"]}, headers=AUTH)
        assert joined.status_code == 202 and joined.json()["merged"] is True
        # Forty different scopes in a burst: three are queued for the API, the rest refused.
        bodies = [{"regions": list(pair)} for pair in PAIRS]
        responses = await asyncio.gather(
            *(h.client.post("/api/v1/scans", json=b, headers=AUTH) for b in bodies)
        )
        codes = [r.status_code for r in responses]
        assert codes.count(202) == 3 and codes.count(429) == 37
        refused = next(r for r in responses if r.status_code == 429)
        assert refused.json()["code"] == "scan_refused" and "limit is 3" in refused.json()["error"]
        assert len(h.services.scans.active()) == 4
        running = await h.client.get(f"/api/v1/scans/{joined.json()['id']}/findings", headers=AUTH)
        assert running.status_code == 409
        gate.set()
        await h.fake.wait_for(lambda: not h.services.scans.active(), timeout=30)
        await h.settle()
        outcomes = [e["outcome"] for e in h.store.audit_entries() if e["user_id"] == "api"]
        # Each accepted request is audited when its scan ends, the merged one as merged.
        assert outcomes.count("refused") == 37 and outcomes.count("completed") == 3
        assert outcomes.count("merged") == 1


async def test_regions_outside_the_configured_ones_are_refused_on_every_path(
    make_harness: Any,
) -> None:
    """``SCALEWARDEN_SCAN_REGIONS`` bounds what anyone may ask for: the API, a Slack scan and
    a digest subscription are refused with the reason, and nothing starts or is stored."""
    import json

    env = {**ENV, "SCALEWARDEN_SCAN_REGIONS": "eu-west-1,us-east-1"}
    async with make_harness(settings_env=env) as h:
        for regions in (["ap-south-1"], ["eu-west-1", "ap-south-1"], ["all"]):
            response = await h.client.post("/api/v1/scans", json={"regions": regions}, headers=AUTH)
            assert response.status_code == 400, regions
            assert "are not among the regions this service scans" in response.json()["error"]
        scan = await h.command("scan region=ap-south-1", hook="scan")
        assert "region(s) ap-south-1 are not among the regions" in scan.json()["text"]
        await h.command("digest subscribe daily 09:00 regions=ap-south-1", hook="sub")
        await h.fake.wait_for(lambda: h.fake.webhook_calls("sub"))
        await h.settle()
        reply = json.dumps([c.params for c in h.fake.webhook_calls("sub")])
        assert "region(s) ap-south-1 are not among the regions" in reply
        assert h.services.scans.runs() == [] and h.store.subscriptions() == []
        # Within the configured regions, the same paths work.
        ok = await h.client.post("/api/v1/scans", json={"regions": ["eu-west-1"]}, headers=AUTH)
        assert ok.status_code == 202
