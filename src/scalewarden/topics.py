"""The security topics that organise both the knowledge base and the check catalogue.

One list for the whole project: an article's ``topic``, a check's ``topic`` and the topic a
user names in ``scan <topic>`` or ``--checks <topic>`` all come from here (the structure of
the AWS security chapter, plus the integrated services).
"""

from __future__ import annotations

TOPICS: tuple[str, ...] = (
    "data-protection",
    "identity-and-access-management",
    "vpc-endpoints",
    "compliance-validation",
    "resilience",
    "infrastructure-security",
    "monitoring-and-logging",
    "service-integrations",
)
