"""Deterministic throwaway test keys (never real secrets), in a module light enough for the child
processes the crash tests kill (no pytest, no emulator server); `fixtures` re-exports them."""

from __future__ import annotations

from eth_utils import keccak

CHAIN_ID = 137


def test_private_key(seed: int) -> str:
    """A deterministic throwaway private key for tests (never a real secret)."""
    return "0x" + keccak(text=f"lt-pipeline-test-trader-{seed}").hex()


test_private_key.__test__ = False  # a helper, not a test
