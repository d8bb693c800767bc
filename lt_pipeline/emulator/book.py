"""One market's order book, price-time priority, kept in the first outcome token's terms.

A BUY of the second token at p is the same interest as a SELL of the first at 1-p, so both tokens
share one book and the second token's book is its mirror. Each price level is a FIFO list of
resting entries; best prices are found through sorted price lists (bisect), so placing, matching
and cancelling cost O(levels touched), never a copy of the book.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lt_pipeline.emulator.types import OrderRecord

ZERO = Decimal("0")


class Resting:
    """What rests at one price: a user's order, or simulated liquidity when `order` is None."""

    __slots__ = ("order", "price", "remaining", "is_bid")

    def __init__(self, order: OrderRecord | None, price: Decimal, remaining: Decimal, is_bid: bool) -> None:
        self.order = order
        self.price = price  # in the book's (first token's) terms
        self.remaining = remaining
        self.is_bid = is_bid


Fill = tuple[Resting, Decimal]
LevelFills = tuple[Decimal, list[Fill]]


class Book:
    __slots__ = ("_bids", "_asks", "_bid_prices", "_ask_prices")

    def __init__(self) -> None:
        self._bids: dict[Decimal, list[Resting]] = {}
        self._asks: dict[Decimal, list[Resting]] = {}
        self._bid_prices: list[Decimal] = []  # ascending, best last
        self._ask_prices: list[Decimal] = []  # ascending, best first

    def add(self, entry: Resting) -> None:
        levels, prices = (self._bids, self._bid_prices) if entry.is_bid else (self._asks, self._ask_prices)
        level = levels.get(entry.price)
        if level is None:
            level = levels[entry.price] = []
            insort(prices, entry.price)
        level.append(entry)

    def remove(self, entry: Resting) -> Decimal:
        """Take an entry off the book; returns the size it still had (0 if it was already gone)."""
        left = entry.remaining
        if not left:
            return ZERO
        levels, prices = (self._bids, self._bid_prices) if entry.is_bid else (self._asks, self._ask_prices)
        level = levels[entry.price]
        level.remove(entry)
        if not level:
            del levels[entry.price]
            del prices[bisect_left(prices, entry.price)]
        entry.remaining = ZERO
        return left

    def best_bid(self) -> Decimal | None:
        return self._bid_prices[-1] if self._bid_prices else None

    def best_ask(self) -> Decimal | None:
        return self._ask_prices[0] if self._ask_prices else None

    def crosses(self, buy: bool, limit: Decimal) -> bool:
        """Whether an order at this limit would trade on arrival."""
        best = self.best_ask() if buy else self.best_bid()
        return best is not None and (best <= limit if buy else best >= limit)

    def _crossing_prices(self, buy: bool, limit: Decimal):
        """Opposite-side prices a taker with this limit may trade at, best first."""
        if buy:
            for price in self._ask_prices:
                if price > limit:
                    return
                yield price
        else:
            for price in reversed(self._bid_prices):
                if price < limit:
                    return
                yield price

    def crossing_size(self, buy: bool, limit: Decimal, cap: Decimal, exclude: str | None = None) -> Decimal:
        """How much a taker could fill now, counting at most `cap` (stops walking once reached);
        `exclude`: the taker's own (lower-cased) address, whose resting orders it never matches."""
        levels = self._asks if buy else self._bids
        total = ZERO
        for price in self._crossing_prices(buy, limit):
            total += sum(entry.remaining for entry in levels[price] if not _owned(entry, exclude))
            if total >= cap:
                return cap
        return total

    def take(self, buy: bool, limit: Decimal, size: Decimal, exclude: str | None = None) -> list[LevelFills]:
        """Match a taker against the opposite side, best price first and FIFO within a price.

        Resting orders of `exclude` (the taker's own lower-cased address) are stepped over and stay on
        the book (self-trade prevention). Returns the fills grouped by level, levels with no fill left
        out; filled entries leave the book.
        """
        levels, prices = (self._asks, self._ask_prices) if buy else (self._bids, self._bid_prices)
        result: list[LevelFills] = []
        emptied: list[Decimal] = []
        left = size
        for price in self._crossing_prices(buy, limit):
            level = levels[price]
            fills: list[Fill] = []
            index = 0
            while index < len(level) and left:
                entry = level[index]
                if _owned(entry, exclude):
                    index += 1
                    continue
                quantity = min(entry.remaining, left)
                entry.remaining -= quantity
                left -= quantity
                fills.append((entry, quantity))
                if entry.remaining:
                    index += 1
                else:
                    del level[index]
            if fills:
                result.append((price, fills))
            if not level:
                emptied.append(price)
            if not left:
                break
        for price in emptied:  # after the walk, which reads the price list
            del levels[price]
            del prices[bisect_left(prices, price)]
        return result

    def levels(self, bids: bool) -> list[tuple[Decimal, Decimal]]:
        """(price, total size) per level, ascending by price."""
        levels, prices = (self._bids, self._bid_prices) if bids else (self._asks, self._ask_prices)
        return [(price, sum(entry.remaining for entry in levels[price])) for price in prices]

    def entries(self):
        """Every resting entry (both sides); callers must not add or remove while iterating."""
        for levels in (self._bids, self._asks):
            for level in levels.values():
                yield from level


def _owned(entry: Resting, address: str | None) -> bool:
    return address is not None and entry.order is not None and entry.order.maker_address.lower() == address
