"""Prometheus metrics of one application instance.

Each app gets its own ``CollectorRegistry`` so that several apps in one process (tests, the
benchmark's side-by-side run) never collide on metric names, and ``/metrics`` shows only what
this app did.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0)


class Metrics:
    """The counters and histograms the service exports."""

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
        self.duplicates = Counter(
            "scalewarden_slack_duplicates",
            "Slack deliveries not processed again (retries and already-claimed events).",
            ["reason"],
            registry=self.registry,
        )
