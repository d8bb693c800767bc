"""Venue identifiers drawn from a seeded RNG, shaped like the real ones: 0x+64-hex condition ids,
order hashes and transaction hashes, ~77-digit decimal token ids, uuid trade ids, checksummed wallets."""

from __future__ import annotations

import random
import uuid

from eth_utils import to_checksum_address

_TOKEN_LOW = 10**76
_TOKEN_HIGH = 10**77


class IdFactory:
    """Every id comes from one RNG, so a seed reproduces the same ids in the same order."""

    __slots__ = ("_rng",)

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def hex32(self) -> str:
        """0x + 64 hex digits: condition and question ids, order hashes, transaction hashes."""
        return f"0x{self._rng.getrandbits(256):064x}"

    def token_id(self) -> str:
        return str(self._rng.randrange(_TOKEN_LOW, _TOKEN_HIGH))

    def trade_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def address(self) -> str:
        return to_checksum_address(f"0x{self._rng.getrandbits(160):040x}")

    def number(self, low: int, high: int) -> int:
        """A numeric id such as a Gamma event id."""
        return self._rng.randrange(low, high)
