"""Scans requested in Slack: the flow from progress message to results (``flow``), the live
progress updates (``progress``) and the production scanner behind them (``scanner``)."""
