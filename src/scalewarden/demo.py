"""The embedded demo: a local AWS account full of findings, and questions to ask about it.

``scalewarden demo`` needs no AWS account and no Slack workspace. It starts a local AWS on
loopback (``scalewarden.localaws``: moto's server with its Application Auto Scaling bugs
fixed), seeds it the way a user would through boto3, and then runs the real pipelines on it:
the knowledge base answers sample questions, the real collector and checks scan the account,
and the real service serves the result. Nothing here is canned output.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

#: Questions phrased the way people type them in Slack (typos and shorthand included).
SAMPLE_QUESTIONS: tuple[str, ...] = (
    "whats the slr for ecs autoscaling and what does it trust?",
    "do i need a vpce for app autoscaling",
    "how do i get alerted when someone deletes a scaling polciy",
    "which iam actions can change scaling?",
)

#: The regions the demo account uses.
DEMO_REGIONS: tuple[str, ...] = ("us-east-1", "eu-west-1")

#: What the local AWS imports that a plain install lacks (the ``demo`` extra).
DEMO_MODULES: tuple[str, ...] = ("moto", "flask", "flask_cors")
DEMO_EXTRA_HINT = "install the demo extra: pip install 'scalewarden[demo]'"


def missing_demo_modules() -> list[str]:
    """The modules of the demo extra that cannot be imported here (empty: all present)."""
    import importlib.util

    missing = []
    for name in DEMO_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def scan_command(endpoint_url: str, regions: tuple[str, ...]) -> str:
    """The shell command that scans the running demo account from another terminal."""
    from scalewarden.localaws import FAKE_CREDENTIALS

    credentials = " ".join(f"{k}={v}" for k, v in FAKE_CREDENTIALS.items())
    # A profile set in the caller's shell would be read (and could even be a real account's
    # configuration): the command drops it.
    return (
        f"env -u AWS_PROFILE AWS_ENDPOINT_URL={endpoint_url} {credentials} "
        f"scalewarden scan --regions {','.join(regions)}"
    )


@dataclass
class DemoAccount:
    """The running local AWS and what was seeded into it."""

    endpoint_url: str
    regions: tuple[str, ...]
    targets: dict[str, int] = field(default_factory=dict)


@contextmanager
def demo_account(regions: tuple[str, ...] = DEMO_REGIONS) -> Iterator[DemoAccount]:
    """Start the local AWS, point boto3 at it (environment), seed it, and stop it afterwards.

    The environment (``AWS_ENDPOINT_URL`` and fake credentials) stays set while the context
    is open, so that everything the demo runs in this process (the scan, the service)
    reaches the local account and never a real one.
    """
    import os

    from scalewarden.localaws import LocalAws, seed_iam, seed_scenario

    # A named profile must not reach the demo: moto reads the boto configuration when it is
    # imported, and the demo must never fall back to a real account's credentials.
    saved = {
        k: os.environ.pop(k) for k in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE") if k in os.environ
    }
    local = LocalAws()
    try:
        local.start()
        with local.environment(region=regions[0]):
            seed_iam()
            counts: dict[str, int] = {}
            for region in regions:
                seeded = seed_scenario(region)
                for namespace, ids in seeded.target_ids.items():
                    counts[namespace] = counts.get(namespace, 0) + len(ids)
            yield DemoAccount(local.endpoint_url, regions, counts)
    finally:
        local.stop()
        os.environ.update(saved)
