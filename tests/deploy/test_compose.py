"""deploy/docker-compose.yml: valid Compose, PostgreSQL plus two replicas behind one port.

The file is parsed with PyYAML and validated against the Compose Specification's own JSON
schema (``compose-spec.json``, copied unchanged from the compose-spec/compose-spec repository,
schema/compose-spec.json at commit 170098b, Apache-2.0), then its structure is checked.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from deploy_files import DEPLOY, served_port

from scalewarden.configref import env_names
from scalewarden.settings import Settings

SCHEMA = Path(__file__).with_name("compose-spec.json")
COMPOSE = DEPLOY / "docker-compose.yml"
#: Variables the image reads that are not scalewarden settings (boto3's and uvicorn's own).
OTHER_ENV = {
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "FORWARDED_ALLOW_IPS",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def _replicas(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose["services"]
    return {name: s for name, s in services.items() if "build" in s}


def _setting_env_names() -> set[str]:
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        names.update(env_names(name, field))
    return names


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_compose_file_is_valid_against_the_compose_specification(
    compose: dict[str, Any], validator: jsonschema.Draft7Validator
) -> None:
    validator.validate(compose)


def test_the_schema_catches_a_mistyped_service_key(
    compose: dict[str, Any], validator: jsonschema.Draft7Validator
) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["postgres"]["enviroment"] = {"POSTGRES_DB": "x"}
    with pytest.raises(jsonschema.ValidationError, match="enviroment"):
        validator.validate(broken)


def test_two_replicas_of_the_image_share_postgresql(compose: dict[str, Any]) -> None:
    replicas = _replicas(compose)
    assert len(replicas) >= 2
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "healthcheck" in postgres
    for name, service in replicas.items():
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
        url = service["environment"]["SCALEWARDEN_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url, name
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "ports" not in service, f"{name} publishes a port of its own"


def test_every_replica_gets_the_environment_it_needs(compose: dict[str, Any]) -> None:
    known = _setting_env_names() | OTHER_ENV
    environments = [s["environment"] for s in _replicas(compose).values()]
    assert all(env == environments[0] for env in environments)
    env = environments[0]
    assert not set(env) - known, f"unknown variables: {sorted(set(env) - known)}"
    for required in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        assert re.fullmatch(rf"\$\{{{required}:\?.+\}}", env[required]), required


def test_one_published_port_in_front_of_every_replica(compose: dict[str, Any]) -> None:
    services = compose["services"]
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert len(published) == 1
    (proxy_name,) = published
    proxy = services[proxy_name]
    assert len(proxy["ports"]) == 1
    config_mount = next(v for v in proxy["volumes"] if v.endswith(".conf:ro"))
    config = (DEPLOY / config_mount.split(":")[0]).read_text()
    port = served_port()
    upstreams = set(re.findall(r"^\s*server\s+([\w.-]+:\d+)", config, flags=re.MULTILINE))
    assert upstreams == {f"{name}:{port}" for name in _replicas(compose)}
    for name in _replicas(compose):
        assert proxy["depends_on"][name]["condition"] == "service_healthy"
    listen = re.search(r"^\s*listen\s+(\d+);", config, flags=re.MULTILINE)
    assert listen is not None
    assert proxy["ports"][0].endswith(f":{listen.group(1)}")


def test_replica_health_check_asks_for_readiness(compose: dict[str, Any]) -> None:
    for service in _replicas(compose).values():
        probe = " ".join(service["healthcheck"]["test"])
        assert "/readyz" in probe
        assert service["healthcheck"]["start_period"]
