"""The Dockerfile: a builder stage, a cached dependency layer, a health check, a volume, no root."""

from __future__ import annotations

from deploy_files import ROOT, dockerfile, exec_form, final_stage, options, served_port, stages


def test_builder_stage_installs_dependencies_before_the_source_is_copied() -> None:
    parser = dockerfile()
    assert parser.is_multistage
    builder = stages(parser)[0]
    assert builder[0]["value"].endswith(" AS builder")
    copies = [s["value"].split()[0] for s in builder if s["instruction"] == "COPY"]
    assert copies.index("pyproject.toml") < copies.index("src")
    first_source = next(i for i, s in enumerate(builder) if s["value"].startswith("src"))
    deps_runs = [s for s in builder[:first_source] if s["instruction"] == "RUN"]
    assert any("pip wheel" in s["value"] for s in deps_runs), "dependencies are not a layer"
    assert any("pip wheel --no-deps" in s["value"] for s in builder[first_source:])


def test_runtime_stage_installs_wheels_only_and_runs_unprivileged() -> None:
    stage = final_stage(dockerfile())
    copies = [s["value"] for s in stage if s["instruction"] == "COPY"]
    assert copies and all(value.startswith("--from=builder") for value in copies)
    users = [s["value"] for s in stage if s["instruction"] == "USER"]
    assert users and users[-1] not in {"root", "0"}


def test_sqlite_default_lives_on_a_volume() -> None:
    stage = final_stage(dockerfile())
    env = " ".join(s["value"] for s in stage if s["instruction"] == "ENV")
    volumes = [exec_form(s["value"]) for s in stage if s["instruction"] == "VOLUME"]
    assert "SCALEWARDEN_DATABASE_URL=sqlite:////data/" in env
    assert ["/data"] in volumes


def test_healthcheck_has_a_start_period_and_probes_the_served_port() -> None:
    stage = final_stage(dockerfile())
    (check,) = [s["value"] for s in stage if s["instruction"] == "HEALTHCHECK"]
    assert int(options(check)["start-period"].rstrip("s")) >= 10
    probe = " ".join(exec_form(check))
    port = served_port()
    assert f"127.0.0.1:{port}/healthz" in probe
    exposed = [s["value"] for s in stage if s["instruction"] == "EXPOSE"]
    assert exposed == [port]


def test_build_context_leaves_out_the_virtualenv_and_tests() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # Everything is excluded first, then only what the image builds from is let back in.
    assert lines[0] == "*"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "src"}
