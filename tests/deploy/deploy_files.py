"""Paths and parsers shared by the deployment file tests."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def dockerfile() -> DockerfileParser:
    """The repository's Dockerfile, parsed by a maintained Dockerfile parser."""
    return DockerfileParser(fileobj=io.BytesIO((ROOT / "Dockerfile").read_bytes()))


def stages(parser: DockerfileParser) -> list[list[dict[str, str]]]:
    """The instructions of each stage, in order (the last one is the image that runs)."""
    found: list[list[dict[str, str]]] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            found.append([])
        if found and instruction["instruction"] != "COMMENT":
            found[-1].append(instruction)
    return found


def final_stage(parser: DockerfileParser) -> list[dict[str, str]]:
    """The instructions of the image that runs."""
    return stages(parser)[-1]


def exec_form(value: str) -> list[str]:
    """The argument list of a CMD or HEALTHCHECK in exec (JSON) form."""
    import json

    start = value.index("[")
    parsed = json.loads(value[start:])
    assert isinstance(parsed, list)
    return [str(part) for part in parsed]


def options(value: str) -> dict[str, str]:
    """``--name=value`` options in front of an instruction's arguments."""
    found: dict[str, str] = {}
    for word in shlex.split(value):
        if not word.startswith("--"):
            break
        name, _, setting = word[2:].partition("=")
        found[name] = setting
    return found


def served_port() -> str:
    """The port the image's CMD serves on."""
    stage = final_stage(dockerfile())
    cmd = exec_form(next(s["value"] for s in stage if s["instruction"] == "CMD"))
    return cmd[cmd.index("--port") + 1]
