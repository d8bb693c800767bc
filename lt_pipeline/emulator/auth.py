"""CLOB authentication: L1 (EIP-712 "ClobAuth" wallet signature) to create or derive API keys, L2
(HMAC-SHA256 over timestamp + method + path + body) on every private route, and the key store.

Keys are deterministic per (address, nonce) and server seed, like the real venue's derive. Secrets
live only in the store and are never logged or rendered anywhere but the create/derive answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from eth_utils import keccak

from .orders import CHAIN_ID, recover_address
from .types import VenueError

CLOB_AUTH_MESSAGE = "This message attests that I control the given wallet"
CLOB_AUTH_TYPE_STRING = "ClobAuth(address address,string timestamp,uint256 nonce,string message)"
CLOB_DOMAIN_TYPE_STRING = "EIP712Domain(string name,string version,uint256 chainId)"

INVALID_L1 = "Invalid L1 Request headers"
INVALID_L2 = "Unauthorized/Invalid api key"
CANNOT_CREATE = "Could not create api key"
CANNOT_DERIVE = "Could not derive api key!"

DEFAULT_MAX_CLOCK_SKEW_S = 300

_CLOB_DOMAIN_SEPARATOR = keccak(
    keccak(text=CLOB_DOMAIN_TYPE_STRING)
    + keccak(text="ClobAuthDomain")
    + keccak(text="1")
    + CHAIN_ID.to_bytes(32, "big")
)
_CLOB_AUTH_TYPE_HASH = keccak(text=CLOB_AUTH_TYPE_STRING)
_CLOB_AUTH_MESSAGE_HASH = keccak(text=CLOB_AUTH_MESSAGE)


@dataclass(frozen=True)
class ApiKey:
    """One API key: its owner address and the two secrets the client signs with."""

    api_key: str
    address: str  # checksummed signer address, as it was sent when the key was created
    nonce: int
    secret: str = field(repr=False)
    passphrase: str = field(repr=False)

    def creds_json(self) -> dict[str, str]:
        return {"apiKey": self.api_key, "secret": self.secret, "passphrase": self.passphrase}


class ApiKeyStore:
    """API keys by key id; one deterministic key per (address, nonce)."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = hashlib.sha256(f"lt-emulator-api-keys:{seed}".encode()).digest()
        self._by_key: dict[str, ApiKey] = {}
        self._by_owner: dict[tuple[str, int], ApiKey] = {}
        self._lock = threading.Lock()

    def create(self, address: str, nonce: int) -> ApiKey:
        with self._lock:
            if (address.lower(), nonce) in self._by_owner:
                raise VenueError(400, CANNOT_CREATE)
            key = self._make(address, nonce)
            self._by_key[key.api_key] = key
            self._by_owner[(address.lower(), nonce)] = key
            return key

    def derive(self, address: str, nonce: int) -> ApiKey:
        with self._lock:
            key = self._by_owner.get((address.lower(), nonce))
        if key is None:
            raise VenueError(400, CANNOT_DERIVE)
        return key

    def get(self, api_key: str) -> ApiKey | None:
        return self._by_key.get(api_key)

    def keys_of(self, address: str) -> list[str]:
        with self._lock:
            return [k.api_key for k in self._by_key.values() if k.address.lower() == address.lower()]

    def delete(self, api_key: str) -> None:
        with self._lock:
            key = self._by_key.pop(api_key, None)
            if key is not None:
                self._by_owner.pop((key.address.lower(), key.nonce), None)

    def __len__(self) -> int:
        return len(self._by_key)

    def _make(self, address: str, nonce: int) -> ApiKey:
        def part(label: str) -> bytes:
            return hmac.new(self._seed, f"{address.lower()}:{nonce}:{label}".encode(), hashlib.sha256).digest()

        return ApiKey(
            api_key=str(uuid.UUID(bytes=part("key")[:16], version=4)),
            address=address,
            nonce=nonce,
            secret=base64.urlsafe_b64encode(part("secret")).decode(),
            passphrase=part("passphrase").hex(),
        )


def clob_auth_digest(address: str, timestamp: str, nonce: int) -> bytes:
    struct_hash = keccak(
        _CLOB_AUTH_TYPE_HASH
        + bytes.fromhex(address[2:]).rjust(32, b"\x00")
        + keccak(text=timestamp)
        + nonce.to_bytes(32, "big")
        + _CLOB_AUTH_MESSAGE_HASH
    )
    return keccak(b"\x19\x01" + _CLOB_DOMAIN_SEPARATOR + struct_hash)


def verify_l1(headers: Mapping[str, str], now_unix: int, max_skew_s: int | None = DEFAULT_MAX_CLOCK_SKEW_S) -> tuple[str, int]:
    """Check the ClobAuth wallet signature; returns (address, nonce). `headers` is case-insensitive."""
    address = headers.get("poly_address") or ""
    signature = headers.get("poly_signature") or ""
    timestamp = headers.get("poly_timestamp") or ""
    nonce_text = headers.get("poly_nonce") or "0"
    try:
        if len(address) != 42 or not address.startswith("0x") or not signature.startswith("0x"):
            raise ValueError("malformed")
        expected = bytes.fromhex(address[2:])
        nonce = int(nonce_text)
        if nonce < 0 or nonce >= 2**256 or not timestamp.isdigit():
            raise ValueError("malformed")
        raw_signature = bytes.fromhex(signature[2:])
    except ValueError:
        raise VenueError(401, INVALID_L1) from None
    if not _fresh(timestamp, now_unix, max_skew_s):
        raise VenueError(401, INVALID_L1)
    if recover_address(clob_auth_digest(address, timestamp, nonce), raw_signature) != expected:
        raise VenueError(401, INVALID_L1)
    return address, nonce


def hmac_signature(secret: str, timestamp: str, method: str, path: str, body: str) -> str:
    """The L2 signature exactly as py-clob-client-v2 builds it (quotes normalised, body only if any)."""
    message = timestamp + method + path + (body.replace("'", '"') if body else "")
    digest = hmac.new(base64.urlsafe_b64decode(secret), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("utf-8")


def l2_headers(key: ApiKey, timestamp: int, method: str, path: str, body: str = "") -> dict[str, str]:
    """Headers a client would send; used by the benchmark and tests that post raw bodies."""
    return {
        "POLY_ADDRESS": key.address,
        "POLY_SIGNATURE": hmac_signature(key.secret, str(timestamp), method, path, body),
        "POLY_TIMESTAMP": str(timestamp),
        "POLY_API_KEY": key.api_key,
        "POLY_PASSPHRASE": key.passphrase,
    }


def verify_l2(
    store: ApiKeyStore,
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    now_unix: int,
    max_skew_s: int | None = DEFAULT_MAX_CLOCK_SKEW_S,
) -> ApiKey:
    """Check the HMAC headers of a private request; the same headers may repeat (paged reads)."""
    key = store.get(headers.get("poly_api_key") or "")
    if key is None:
        raise VenueError(401, INVALID_L2)
    timestamp = headers.get("poly_timestamp") or ""
    signature = headers.get("poly_signature") or ""
    if not hmac.compare_digest((headers.get("poly_passphrase") or "").encode(), key.passphrase.encode()):
        raise VenueError(401, INVALID_L2)
    if (headers.get("poly_address") or "").lower() != key.address.lower():
        raise VenueError(401, INVALID_L2)
    if not timestamp.isdigit() or not _fresh(timestamp, now_unix, max_skew_s):
        raise VenueError(401, INVALID_L2)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise VenueError(401, INVALID_L2) from None
    expected = hmac_signature(key.secret, timestamp, method, path, text)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise VenueError(401, INVALID_L2)
    return key


def _fresh(timestamp: str, now_unix: int, max_skew_s: int | None) -> bool:
    if not timestamp.isdigit():
        return False
    return max_skew_s is None or abs(int(timestamp) - now_unix) <= max_skew_s
