"""Execution-quality alerts: a strategy whose venue rejection rate or signal-to-submit latency crosses
its threshold is flagged once per breach, notified, and cleared when it recovers."""
