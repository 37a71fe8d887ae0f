"""`scalewarden demo --no-serve` end to end, in its own process (it starts its own local AWS)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_answers_questions_and_scans_the_local_account() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # The demo must bring its own endpoint and credentials: a real profile must not leak in.
    env["AWS_PROFILE"] = "does-not-exist"
    env["COLUMNS"] = "250"  # wide enough that the table does not wrap check ids
    done = subprocess.run(
        [sys.executable, "-m", "scalewarden.cli", "demo", "--no-serve"],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # Answers come with their official sources.
    assert "https://docs.aws.amazon.com/autoscaling/application/userguide/" in out
    assert "application-auto-scaling-vpc-endpoints.html" in out
    # The scan ran the real checks on the seeded account and found its planted problems.
    assert "iam_policy_aas_write_unrestricted" in out
    assert "scaling-admin" in out
    assert "target_fixed_capacity" in out
    assert "0 ERROR" in out
