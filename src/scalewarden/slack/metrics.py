"""Prometheus metrics of one application instance.

Each app gets its own ``CollectorRegistry`` so that several apps in one process (tests, the
benchmark's side-by-side run) never collide on metric names, and ``/metrics`` shows only what
this app did.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0)


class Metrics:
    """The counters and histograms the service exports."""

    #: Every value ``scalewarden_slack_status`` takes (``slack`` on ``/readyz``).
    SLACK_STATUSES = ("on", "checking", "unreachable", "unauthorised", "off")

    def set_slack_status(self, current: str) -> None:
        """Mark ``current`` 1 and every other status 0 (one series per status, always there,
        so that an alert can say ``== 1`` without waiting for a series to appear)."""
        for status in self.SLACK_STATUSES:
            self.slack_status.labels(status=status).set(1 if status == current else 0)

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "scalewarden_http_requests",
            "HTTP requests served, by route and status code.",
            ["route", "status"],
            registry=self.registry,
        )
        self.ack_latency = Histogram(
            "scalewarden_slack_ack_seconds",
            "Time from receiving a Slack request to answering it, by kind.",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "scalewarden_answers",
            "Questions answered, by where they came from and the outcome.",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.commands = Counter(
            "scalewarden_commands",
            "Slash subcommands refused before their handler ran, by subcommand and reason.",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.scans = Counter(
            "scalewarden_scans",
            "On-demand scans, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.slack_api_errors = Counter(
            "scalewarden_slack_api_errors",
            "Failed Slack Web API attempts (HTTP errors, API errors, connection problems).",
            ["kind"],
            registry=self.registry,
        )
        self.slack_status = Gauge(
            "scalewarden_slack_status",
            "1 for the Slack connection's current status (on, checking, unreachable, "
            "unauthorised, off), 0 for the others.",
            ["status"],
            registry=self.registry,
        )
        self.duplicates = Counter(
            "scalewarden_slack_duplicates",
            "Slack deliveries not processed again (retries and already-claimed events).",
            ["reason"],
            registry=self.registry,
        )
        self.aws_events = Counter(
            "scalewarden_aws_events",
            "EventBridge events at /aws/events, by outcome (unhandled, quiet, alert, duplicate, "
            "refused, malformed, busy).",
            ["outcome"],
            registry=self.registry,
        )
        self.alert_posts = Counter(
            "scalewarden_alert_posts",
            "Alert deliveries to a channel, by outcome (posted, failed, uncertain, duplicate).",
            ["outcome"],
            registry=self.registry,
        )
        self.alert_latency = Histogram(
            "scalewarden_alert_seconds",
            "Time from accepting an event to its alert being posted.",
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
