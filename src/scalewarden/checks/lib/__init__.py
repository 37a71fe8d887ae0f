"""The check libraries: pure code the catalogue's checks call, never checks themselves.

``iam_policy`` evaluates IAM statements, ``event_pattern`` matches EventBridge patterns,
``wildcard`` matches both kinds of wildcard in linear time with its work counted,
``redact`` takes secrets out of anything read from a scanned account, and ``aas`` holds the
Application Auto Scaling facts (namespace → service-linked role) and the per-target finding
helpers. They sit under ``checks/`` because only checks (and the views that show what checks
found) use them; nothing here is listed in the catalogue.
"""
