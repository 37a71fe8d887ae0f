"""Scheduled posture digests: scan history diffs, schedules, mutes and the scheduler.

The modules are a pure core (``diff``, ``schedule``, ``result``, ``subscriptions``) and one
orchestrator (``scheduler``) that takes the store, a scan runner and a poster as arguments,
so that neither Slack nor boto3 is imported here.
"""
