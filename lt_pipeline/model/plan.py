"""What the engine decides to send: the signal it acts on, and the order plan (or the local denial)
that the venue adapter signs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from lt_pipeline.model.trading import OrderType, Side, SkipReason


@dataclass(frozen=True)
class Signal:
    """An FT order that an active LT strategy must act on."""

    ft_order_id: str
    source_trade_id: str
    condition_id: str
    token_id: str
    side: Side
    price: Decimal
    size_usd: Decimal
    detected_at: datetime
    trader_address: str | None = None
    traded_at: datetime | None = None  # the tracked trader's own fill, from which a signal's age counts


@dataclass(frozen=True)
class OrderPlan:
    """One order ready to sign. GTC sets `size` (shares); FOK/FAK set `amount` (BUY: USD, SELL: shares).

    `maker_amount`/`taker_amount` are in human units (USD or shares), what the client's order builder
    will put in the signed order divided by 1e6. `intended_shares` is TCA's Q for this order: the
    shares of a GTC or a SELL, and for a market BUY the shares its dollars buy at the signal price (a
    fill at worse prices buys fewer, and TCA counts that gap as impact and opportunity).
    """

    side: Side
    order_type: OrderType
    price: Decimal  # GTC: limit price; FOK/FAK: worst price
    size: Decimal | None
    amount: Decimal | None
    tick_size: str
    maker_amount: Decimal
    taker_amount: Decimal
    intended_shares: Decimal

    @property
    def is_market_order(self) -> bool:
        return self.order_type != "GTC"

    @property
    def order_shares(self) -> Decimal:
        """The shares the signed order names: a market BUY's taker amount is its minimum fill."""
        return self.taker_amount if self.side == "BUY" else self.maker_amount

    def client_kwargs(self) -> dict[str, object]:
        """Keyword arguments for OrderArgs (GTC) or MarketOrderArgs (FOK/FAK); the caller adds token_id."""
        if self.is_market_order:
            return {"amount": self.amount, "side": self.side, "price": self.price, "order_type": self.order_type}
        return {"price": self.price, "size": self.size, "side": self.side}


@dataclass(frozen=True)
class OrderDenial:
    """A local decision not to send, with a stable reason and a sentence for the decision log."""

    reason: SkipReason
    detail: str
