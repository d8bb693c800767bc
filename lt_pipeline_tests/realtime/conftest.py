"""Fixtures for the real-time channel tests: the emulator (simulated clock, served over loopback)
and its websocket base URL."""

from __future__ import annotations

from lt_pipeline_tests.emulator.fixtures import emulator  # noqa: F401 (a fixture)
