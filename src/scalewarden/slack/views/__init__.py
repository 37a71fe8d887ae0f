"""Block Kit views, one module per view: answers, checks, scan results, the Home tab and help.

Renderers decide nothing: they lay out an ``Answer``, a ``Check`` or a ``ScanReport`` built by
the core. ``text`` holds what every view shares (Slack's limits, clipping, source links) and
``buttons`` the typed button payloads with their action ids.
"""
