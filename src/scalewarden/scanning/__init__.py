"""Scans run for the service: out of the serving process, queued with limits, merged by scope.

``jobs`` (what to scan, the keys that say "the same scan"), ``worker`` (the code that runs in
a worker process), ``executors`` (a worker process per scan, or a thread for substitutes in
tests) and ``runner`` (the one queue Slack, digests and the API submit to).
"""
