"""Runtime settings, read from the environment.

Our own settings use the ``SCALEWARDEN_`` prefix. Slack's well-known variables keep their
own names (``SLACK_BOT_TOKEN`` …) so that an app configured for any Bolt tutorial works
here unchanged. Secrets are ``SecretStr`` so that they never show up in a repr or a log line.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The knowledge base shipped inside the package (package data, so that a wheel, an editable
#: install and a source checkout all find it in the same place).
DEFAULT_KNOWLEDGE_DIR = Path(str(files("scalewarden") / "knowledge_base"))


class Settings(BaseSettings):
    """All configuration in one place; every field documents where it is used.

    Only the edges read it (the CLI commands and ``create_app``, through ``get_settings()``);
    they hand values down: ``KnowledgeBase.from_settings``, ``ScanOptions.from_settings``,
    ``Store.open(database_url)``, the Slack client and access policy.
    """

    model_config = SettingsConfigDict(env_prefix="SCALEWARDEN_", extra="ignore")

    # Knowledge base
    knowledge_dir: Path | None = Field(
        default=None,
        description="A folder of articles (with front matter) that replaces the knowledge base "
        "shipped inside the package; unset means the shipped one.",
    )
    knowledge_dirs: str = Field(
        default="",
        description="Extra folders of Markdown to index, separated by ':'.",
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Where the search index cache lives (unset: ~/.cache/scalewarden). "
        "Rebuilding the index takes a few seconds at start; the cache makes it instant.",
    )

    # Logs
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="`json`: one JSON object per line, with a request id and duration (for a log "
        "collector); `text`: readable lines; `auto`: text on a terminal, JSON otherwise.",
    )

    # Storage
    database_url: str = Field(
        default="sqlite:///scalewarden.db",
        description="SQLAlchemy URL of the store: SQLite by default (one process or one host), "
        "`postgresql+psycopg://user@host/db` for several replicas.",
    )

    # AWS
    aws_region: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SCALEWARDEN_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
        description="The region scanned when none is named (a Slack scan without `region=`, "
        "the CLI without `--regions`); the first of these variables that is set wins.",
    )
    max_workers: int | None = Field(
        default=None,
        ge=1,
        le=128,
        description="Collector threads per scan (unset: 16): more finish a large scan sooner, "
        "at the price of more throttling.",
    )

    # The service's scans (Slack scans and digests; the CLI takes its own options)
    scan_regions: str = Field(
        default="all",
        description="Regions the service scans: comma-separated, or `all` (each account's "
        "enabled regions where Application Auto Scaling exists); empty: the one region "
        "SCALEWARDEN_AWS_REGION (or boto3) names. When regions are listed, `region=` in Slack "
        "and the API's scans must stay within them.",
    )
    scan_accounts: str = Field(
        default="",
        description="Comma-separated account ids the service scans (through ROLE_NAME); "
        "empty: the service's own account (its id learned once through STS "
        "GetCallerIdentity). `account=` in Slack and the API must stay within these.",
    )
    scan_organization: bool = Field(
        default=False, description="Scan every ACTIVE account of the AWS organization."
    )
    role_name: str | None = Field(
        default=None, description="The role assumed in each scanned account."
    )
    external_id: SecretStr | None = Field(
        default=None, description="The external id passed when assuming ROLE_NAME."
    )
    security_channels: str = Field(
        default="",
        description="Comma-separated channel ids where `/scalewarden scan` posts its results "
        "in the channel; elsewhere they go to the admin privately.",
    )

    # The service's scan queue (``ScanLimits``)
    scan_slots: int = Field(
        default=1, ge=1, le=16, description="Scans run at once, each in its own worker process."
    )
    scan_queue_per_user: int = Field(
        default=3,
        ge=1,
        le=100,
        description=(
            "Scans one requester may have queued or running; a request for a scope already "
            "queued or running joins that scan instead."
        ),
    )
    scan_queue_total: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Scans queued or running in all; past it a request is refused with the reason.",
    )
    scan_timeout: float = Field(
        default=3600,
        gt=0,
        le=86400,
        description=(
            "Seconds a scan may run in its worker process; past it the worker is stopped and "
            "the scan fails (told and audited like a crashed worker), so that a stuck worker "
            "cannot hold its place in the queue for ever."
        ),
    )

    # Slack
    slack_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN", "SCALEWARDEN_SLACK_BOT_TOKEN"),
        description="The bot token (`xoxb-…`); with the signing secret it turns the Slack "
        "routes on.",
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "SCALEWARDEN_SLACK_SIGNING_SECRET"),
        description="Verifies that a request comes from Slack (Basic Information → App "
        "Credentials); requests with a bad signature get 401.",
    )
    slack_app_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_APP_TOKEN", "SCALEWARDEN_SLACK_APP_TOKEN"),
        description="App-level token (`xapp-…`, scope `connections:write`) for "
        "`serve --socket-mode`: no public URL needed.",
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        description="Slack's Web API base URL; changed only to reach a stand-in or a proxy.",
    )

    # Answers
    answer_worker: bool = Field(
        default=True,
        description="Search and render answers to questions in a process of their own at a "
        "lower CPU priority, so that a stream of questions never slows Slack's acks (on/off; "
        "off: in the serving process).",
    )

    # HTTP server (``scalewarden serve``)
    request_timeout: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description=(
            "Seconds a connection has to deliver a whole request (headers and body) before "
            "it is closed; also how long an idle or half-open connection is kept."
        ),
    )
    max_connections: int = Field(
        default=1000,
        ge=1,
        description="Open connections (or requests in flight) past which requests get 503.",
    )

    # HTTP API
    api_token: SecretStr | None = Field(
        default=None,
        description=(
            "Bearer token every /api/v1 route then requires (compared in constant time). "
            "Unset or blank: the API is open and serves the shipped knowledge base only "
            "(never SCALEWARDEN_KNOWLEDGE_DIR or SCALEWARDEN_KNOWLEDGE_DIRS)."
        ),
    )
    fingerprint_key: SecretStr | None = Field(
        default=None,
        description=(
            "Key of the findings' fingerprints (a keyed hash of each resource id as read, so "
            "that no secret in a name can be guessed from one). Changing it changes every "
            "fingerprint. Unset: a built-in key."
        ),
    )
    admin_users: str = Field(
        default="",
        description="Comma-separated Slack user ids who may scan and read stored findings.",
    )
    admin_usergroup: str | None = Field(
        default=None,
        description="A Slack user group id whose members may scan, as the admin users may.",
    )

    @property
    def knowledge_path(self) -> Path:
        """The folder of articles to index: ``knowledge_dir`` or the shipped one."""
        return self.knowledge_dir or DEFAULT_KNOWLEDGE_DIR

    # Digests
    scheduler: bool = Field(
        default=True,
        description="Run the digest scheduler inside `scalewarden serve` (on/off).",
    )
    scheduler_interval: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Seconds between two scheduler ticks inside `scalewarden serve`.",
    )
    digest_grace: timedelta = Field(
        default=timedelta(hours=6),
        description="A fire time missed while every replica was down still runs once when it "
        "is at most this old (6h, 90m, seconds, or an ISO 8601 duration such as PT6H).",
    )

    # Live alerts
    events_key: SecretStr | None = Field(
        default=None,
        description="The key EventBridge's API destination sends in `X-Scalewarden-Key` to "
        "`POST /aws/events` (compared in constant time). Unset or blank: the route is off (404).",
    )
    alert_burst: int = Field(
        default=3,
        ge=1,
        le=1000,
        description="More alerts than this from one principal within a minute become one "
        "message in a channel, with the rest in its thread (counted per replica).",
    )
    alert_protection_tag: str = Field(
        default="environment=production",
        description="`key=value`: a target carrying this tag (the value compared ignoring case) "
        "raises its alerts' severity one level.",
    )
    alert_channel_rate: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Top-level alert messages per channel per minute (per replica); past it, "
        "alerts go to the thread of one overflow message.",
    )

    @field_validator("scheduler", mode="before")
    @classmethod
    def _on_off(cls, value: object) -> object:
        """``on``/``off`` as well as pydantic's true/false, 1/0, yes/no."""
        if isinstance(value, str) and value.strip().lower() in ("on", "off"):
            return value.strip().lower() == "on"
        return value

    @field_validator("digest_grace", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        """``6h``, ``90m``, ``30s``, ``1d`` or plain seconds, besides ISO 8601 (``PT6H``)."""
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", value.lower())
            if match:
                unit = {"": "seconds", "s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
                return timedelta(**{unit[match.group(2)]: int(match.group(1))})
        return value

    @field_validator("alert_protection_tag")
    @classmethod
    def _protection_tag(cls, value: str) -> str:
        key, tag_value = parse_protection_tag(value)
        return f"{key}={tag_value}"

    @property
    def alert_protection_tags(self) -> tuple[tuple[str, str], ...]:
        """``SCALEWARDEN_ALERT_PROTECTION_TAG`` as the classifier takes it."""
        return (parse_protection_tag(self.alert_protection_tag),)

    @field_validator("digest_grace")
    @classmethod
    def _positive_grace(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("SCALEWARDEN_DIGEST_GRACE must be positive")
        return value

    @property
    def extra_knowledge_dirs(self) -> list[Path]:
        """The extra folders from ``SCALEWARDEN_KNOWLEDGE_DIRS``, in order, blanks dropped."""
        return [Path(p).expanduser() for p in self.knowledge_dirs.split(":") if p.strip()]

    @property
    def security_channel_ids(self) -> frozenset[str]:
        return frozenset(c.strip() for c in self.security_channels.split(",") if c.strip())

    @property
    def admin_user_ids(self) -> frozenset[str]:
        return frozenset(u.strip() for u in self.admin_users.split(",") if u.strip())


def parse_protection_tag(text: str) -> tuple[str, str]:
    """``key=value`` (split at the first ``=``, blanks around each part dropped) as the
    classifier's protection tag; ``ValueError`` naming what is wrong. AWS's own limits
    (128-character keys, 256-character values) bound it, and control characters are refused,
    so a typo fails at start-up instead of silently matching nothing."""
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key or not value:
        raise ValueError(
            f"a protection tag is KEY=VALUE (e.g. environment=production), not {text!r}"
        )
    if len(key) > 128 or len(value) > 256:
        raise ValueError("a protection tag's key is at most 128 characters and its value 256")
    if any(ord(c) < 32 or ord(c) == 127 for c in key + value):
        raise ValueError(f"a protection tag may not contain control characters: {text!r}")
    return key, value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings()
