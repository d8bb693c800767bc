"""Incoming CLOB V2 orders: parse the wire JSON, hash and verify the EIP-712 signature, and apply the
venue's tick, minimum-size and amount-precision rules with its exact error texts. The minimum size in
shares binds limit orders (GTC/GTD); market orders (FOK/FAK) have a $1 minimum instead, which the venue
core checks, as it does for any order that would trade on arrival.

The order hash is computed straight from the struct fields (32-byte words and keccak) with the domain
separators cached, because `eth_account.encode_typed_data` costs ~1 ms per order and the emulator
must verify hundreds of orders a second; a test checks both routes give the same digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from eth_keys import KeyAPI
from eth_keys.backends import CoinCurveECCBackend
from eth_utils import keccak

from .types import IncomingOrder, Market, OrderType, Side, VenueError

CHAIN_ID = 137
EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_EXCHANGE_V2 = "0xe2222d279d744050d28e00520010520000310F59"
NEG_RISK_ADAPTER = "0xd91E80cF2E7be2e162c6513ceD06f1dD0dA35296"
COLLATERAL_PUSD = "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB"
EXCHANGE_DOMAIN_NAME = "Polymarket CTF Exchange"
EXCHANGE_DOMAIN_VERSION = "2"
MAX_ORDERS_PER_BATCH = 15

ORDER_TYPE_STRING = (
    "Order(uint256 salt,address maker,address signer,uint256 tokenId,"
    "uint256 makerAmount,uint256 takerAmount,uint8 side,uint8 signatureType,"
    "uint256 timestamp,bytes32 metadata,bytes32 builder)"
)
DOMAIN_TYPE_STRING = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
ORDER_TYPE_HASH = keccak(text=ORDER_TYPE_STRING)

ORDER_TYPES: tuple[OrderType, ...] = ("GTC", "GTD", "FOK", "FAK")
MARKET_ORDER_TYPES = ("FOK", "FAK")
SIDES: dict[str, int] = {"BUY": 0, "SELL": 1}
# Signature types whose signature is a plain ECDSA signature by the signer EOA.
ECDSA_SIGNATURE_TYPES = (0, 1, 2)
V1_ONLY_FIELDS = ("taker", "nonce", "feeRateBps")

INVALID_PAYLOAD = "Invalid order payload"
VERSION_MISMATCH = "order_version_mismatch"
OWNER_MISMATCH = "the order owner has to be the owner of the API KEY"
SIGNER_MISMATCH = "the order signer address has to be the address of the API KEY"
INVALID_SIGNATURE = "invalid signature"
INVALID_EXPIRATION = "invalid expiration"
INVALID_TOKEN = "Invalid token id"

TOKEN_UNIT = Decimal("1000000")  # amounts on the wire carry 6 implied decimals
UINT256_MAX = 2**256 - 1
GTD_SAFETY_MARGIN_S = 60

_keys = KeyAPI(CoinCurveECCBackend())


def _address_word(address: str) -> bytes:
    return bytes.fromhex(address[2:]).rjust(32, b"\x00")


def domain_separator(contract: str, version: str = EXCHANGE_DOMAIN_VERSION, chain_id: int = CHAIN_ID) -> bytes:
    return keccak(
        keccak(text=DOMAIN_TYPE_STRING)
        + keccak(text=EXCHANGE_DOMAIN_NAME)
        + keccak(text=version)
        + chain_id.to_bytes(32, "big")
        + _address_word(contract)
    )


_DOMAIN_SEPARATORS = {False: domain_separator(EXCHANGE_V2), True: domain_separator(NEG_RISK_EXCHANGE_V2)}


def exchange_for(neg_risk: bool) -> str:
    return NEG_RISK_EXCHANGE_V2 if neg_risk else EXCHANGE_V2


@dataclass(frozen=True)
class WireOrder:
    """The signed V2 order exactly as posted, with the uint fields as Python ints."""

    salt: int
    maker: str
    signer: str
    token_id: str
    maker_amount: int
    taker_amount: int
    side: Side
    signature_type: int
    timestamp: int  # milliseconds
    metadata: bytes
    builder: bytes
    expiration: int
    signature: bytes


@dataclass(frozen=True)
class OrderRequest:
    """One element of a `POST /order(s)` body: the order and the instructions around it."""

    order: WireOrder
    owner: str
    order_type: OrderType
    post_only: bool
    defer_exec: bool


def parse_order_request(body: Any) -> OrderRequest:
    """Parse one order request, refusing anything malformed with the venue's own texts."""
    if not isinstance(body, dict) or not isinstance(body.get("order"), dict):
        raise VenueError(400, INVALID_PAYLOAD)
    raw = body["order"]
    if any(name in raw for name in V1_ONLY_FIELDS) and "timestamp" not in raw:
        raise VenueError(400, VERSION_MISMATCH)
    order_type = body.get("orderType", "GTC")
    owner = body.get("owner")
    post_only = body.get("postOnly", False)
    defer_exec = body.get("deferExec", False)
    if (
        order_type not in ORDER_TYPES
        or not isinstance(owner, str)
        or not isinstance(post_only, bool)
        or not isinstance(defer_exec, bool)
    ):
        raise VenueError(400, INVALID_PAYLOAD)
    try:
        order = _parse_wire_order(raw)
    except (KeyError, TypeError, ValueError):
        raise VenueError(400, INVALID_PAYLOAD) from None
    return OrderRequest(order=order, owner=owner, order_type=order_type, post_only=post_only, defer_exec=defer_exec)


def _parse_wire_order(raw: dict) -> WireOrder:
    side = raw["side"]
    if side not in SIDES:
        raise ValueError("side")
    token_id = raw["tokenId"]
    if not isinstance(token_id, str):
        raise TypeError("tokenId")
    _uint(token_id)
    signature = raw["signature"]
    if not isinstance(signature, str) or not signature.startswith("0x"):
        raise ValueError("signature")
    return WireOrder(
        salt=_uint(raw["salt"]),
        maker=_address(raw["maker"]),
        signer=_address(raw["signer"]),
        token_id=token_id,
        maker_amount=_uint(raw["makerAmount"]),
        taker_amount=_uint(raw["takerAmount"]),
        side=side,
        signature_type=_uint(raw["signatureType"], bits=8),
        timestamp=_uint(raw["timestamp"]),
        metadata=_bytes32(raw.get("metadata", "0x" + "00" * 32)),
        builder=_bytes32(raw.get("builder", "0x" + "00" * 32)),
        expiration=_uint(raw.get("expiration", "0")),
        signature=bytes.fromhex(signature[2:]),
    )


def _uint(value: Any, bits: int = 256) -> int:
    if isinstance(value, bool):
        raise TypeError("bool")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isdigit():
        number = int(value)
    else:
        raise ValueError(f"not an unsigned integer: {value!r}")
    if number < 0 or number >= 2**bits:
        raise ValueError("out of range")
    return number


def _address(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 42 or not value.startswith("0x"):
        raise ValueError("address")
    bytes.fromhex(value[2:])
    return value


def _bytes32(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError("bytes32")
    raw = bytes.fromhex(value[2:])
    if len(raw) > 32:
        raise ValueError("bytes32")
    return raw.rjust(32, b"\x00")


def order_struct_hash(order: WireOrder) -> bytes:
    return keccak(
        ORDER_TYPE_HASH
        + order.salt.to_bytes(32, "big")
        + _address_word(order.maker)
        + _address_word(order.signer)
        + int(order.token_id).to_bytes(32, "big")
        + order.maker_amount.to_bytes(32, "big")
        + order.taker_amount.to_bytes(32, "big")
        + SIDES[order.side].to_bytes(32, "big")
        + order.signature_type.to_bytes(32, "big")
        + order.timestamp.to_bytes(32, "big")
        + order.metadata
        + order.builder
    )


def order_digest(order: WireOrder, neg_risk: bool) -> bytes:
    """The EIP-712 digest the signer signed; as 0x-hex it is the venue's orderID."""
    return keccak(b"\x19\x01" + _DOMAIN_SEPARATORS[neg_risk] + order_struct_hash(order))


def recover_address(digest: bytes, signature: bytes) -> bytes | None:
    """The 20-byte address that produced `signature` over `digest`, or None if it is not a signature."""
    if len(signature) != 65:
        return None
    v = signature[64]
    if v >= 27:
        v -= 27
    if v not in (0, 1):
        return None
    try:
        public_key = _keys.ecdsa_recover(digest, _keys.Signature(signature_bytes=signature[:64] + bytes([v])))
    except Exception:  # eth_keys raises several types for junk signatures; all mean "not valid"
        return None
    return public_key.to_canonical_address()


@dataclass(frozen=True)
class CheckedAmounts:
    price: Decimal
    size: Decimal  # shares
    maker_amount: Decimal
    taker_amount: Decimal


def check_amounts(order: WireOrder, order_id: str, order_type: OrderType, market: Market) -> CheckedAmounts:
    """Tick grid, minimum size and decimal precision, in the venue's words."""
    tick = market.tick_size
    maker = Decimal(order.maker_amount) / TOKEN_UNIT
    taker = Decimal(order.taker_amount) / TOKEN_UNIT
    if maker <= 0 or taker <= 0:
        raise VenueError(400, INVALID_PAYLOAD)
    is_market = order_type in MARKET_ORDER_TYPES
    if order.side == "BUY":
        implied, shares = maker / taker, taker
    else:
        implied, shares = taker / maker, maker
    # A market order's implied price is off the grid by the amounts' rounding; its limit is the tick
    # price the signed amounts still pay for: a buyer never pays, a seller never gets, worse than signed.
    price = _to_tick(implied, tick, ROUND_FLOOR if order.side == "BUY" else ROUND_CEILING) if is_market else implied
    if (not is_market and price % tick != 0) or price < tick or price > 1 - tick:
        raise VenueError(
            400, f"order {order_id} is invalid. Price ({_plain(_round_for_text(implied))}) breaks minimum tick size rule: {_plain(tick)}"
        )
    if not is_market and shares < market.min_order_size:
        # the share minimum is a limit-order (GTC/GTD) rule; a FOK/FAK order instead must be worth $1,
        # which the venue checks as it matches (Venue._place)
        raise VenueError(
            400, f"order {order_id} is invalid. Size ({_plain(shares)}) lower than the minimum: {_plain(market.min_order_size)}"
        )
    _check_precision(order.side, is_market, maker, taker, tick)
    return CheckedAmounts(price=price.normalize(), size=shares, maker_amount=maker, taker_amount=taker)


def _check_precision(side: Side, is_market: bool, maker: Decimal, taker: Decimal, tick: Decimal) -> None:
    tick_amount_dp = amount_decimals(tick)
    if side == "BUY" and is_market:
        maker_dp, taker_dp, kind = 2, 4, "market buy"
    elif side == "BUY":
        maker_dp, taker_dp, kind = tick_amount_dp, 2, "buy"
    else:
        # Limit sells scale their collateral precision with the tick like limit buys, so that every
        # order the real client builds passes; market sells keep the fixed 4 the venue quotes.
        maker_dp, taker_dp, kind = 2, 4 if is_market else max(4, tick_amount_dp), "sell"
    if _decimals(maker) > maker_dp or _decimals(taker) > taker_dp:
        raise VenueError(
            400,
            f"invalid amounts, the {kind} orders maker amount supports a max accuracy of {maker_dp} decimals, "
            f"taker amount a max of {taker_dp} decimals",
        )


def amount_decimals(tick: Decimal) -> int:
    """Decimals the client gives collateral amounts at this tick (price decimals + 2 size decimals)."""
    return _decimals(tick) + 2


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _to_tick(value: Decimal, tick: Decimal, rounding: str) -> Decimal:
    return (value / tick).to_integral_value(rounding=rounding) * tick


def _round_for_text(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.000001")).normalize()


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def to_incoming(request: OrderRequest, order_id: str, amounts: CheckedAmounts, signer: str) -> IncomingOrder:
    order = request.order
    return IncomingOrder(
        order_id=order_id,
        owner=request.owner,
        maker=order.maker,
        signer=signer,
        token_id=order.token_id,
        side=order.side,
        price=amounts.price,
        size=amounts.size,
        maker_amount=amounts.maker_amount,
        taker_amount=amounts.taker_amount,
        order_type=request.order_type,
        post_only=request.post_only,
        expiration=order.expiration,
        signature_type=order.signature_type,
    )


def verify_order(
    request: OrderRequest,
    *,
    api_key: str,
    key_address: str,
    market: Market | None,
    now_unix: int,
) -> IncomingOrder:
    """Every check the venue makes before matching, in its order; returns the order ready to place."""
    order = request.order
    if request.owner != api_key:
        raise VenueError(400, OWNER_MISMATCH)
    if order.signer.lower() != key_address.lower():
        raise VenueError(400, SIGNER_MISMATCH)
    if market is None:
        raise VenueError(400, INVALID_TOKEN)
    if request.post_only and request.order_type in MARKET_ORDER_TYPES:
        raise VenueError(400, INVALID_PAYLOAD)
    digest = order_digest(order, market.neg_risk)
    order_id = "0x" + digest.hex()
    if order.signature_type not in ECDSA_SIGNATURE_TYPES:
        raise VenueError(400, INVALID_SIGNATURE, order_id)
    if order.signature_type == 0 and order.maker.lower() != order.signer.lower():
        raise VenueError(400, INVALID_SIGNATURE, order_id)
    recovered = recover_address(digest, order.signature)
    if recovered is None or recovered != bytes.fromhex(order.signer[2:]):
        raise VenueError(400, INVALID_SIGNATURE, order_id)
    if request.order_type == "GTD" and order.expiration <= now_unix + GTD_SAFETY_MARGIN_S:
        raise VenueError(400, INVALID_EXPIRATION, order_id)
    amounts = check_amounts(order, order_id, request.order_type, market)
    return to_incoming(request, order_id, amounts, order.signer)
