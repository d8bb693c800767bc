"""The venue's trade tape: every TradeRecord in match order, indexed by id and by every address
that took part, and the Data API's public view of it (one row per side of each fill)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from lt_pipeline.emulator.types import Market, PublicTrade, SimTrader, TradeRecord


class Tape:
    __slots__ = ("_trades", "_by_id", "_by_address", "_markets", "_profiles")

    def __init__(self, markets: dict[str, Market], profiles: Iterable[SimTrader]) -> None:
        self._trades: list[TradeRecord] = []
        self._by_id: dict[str, TradeRecord] = {}
        self._by_address: dict[str, list[TradeRecord]] = {}
        self._markets = dict(markets)  # condition id -> Market (the venue's own objects)
        self._profiles = {p.address.lower(): p for p in profiles}

    def add_market(self, market: Market) -> None:
        """A market listed after the tape was created (its rows need the market's title and slug)."""
        self._markets[market.condition_id] = market

    def __len__(self) -> int:
        return len(self._trades)

    def add(self, trade: TradeRecord) -> None:
        self._trades.append(trade)
        self._by_id[trade.id] = trade
        parties = {trade.taker_address.lower()}
        parties.update(fill.maker_address.lower() for fill in trade.maker_orders)
        for address in parties:
            self._by_address.setdefault(address, []).append(trade)

    def get(self, trade_id: str) -> TradeRecord | None:
        return self._by_id.get(trade_id)

    def involving(self, address: str) -> list[TradeRecord]:
        """Trades where this address is the taker or one of the makers, oldest first."""
        return self._by_address.get(address.lower(), [])

    def since(self, position: int) -> list[TradeRecord]:
        """The trades added after the first `position` ones, in match order."""
        return self._trades[position:]

    def public(
        self,
        *,
        user: str | None = None,
        markets: set[str] | None = None,
        side: str | None = None,
        taker_only: bool = True,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[PublicTrade]:
        """Data API rows, newest first. FAILED trades never reached the chain, so they are absent."""
        wanted = user.lower() if user else None
        source = self.involving(user) if user else self._trades
        rows: list[PublicTrade] = []
        skipped = 0
        for trade in reversed(source):
            if trade.status == "FAILED" or (markets is not None and trade.market not in markets):
                continue
            if (start is not None and trade.match_time < start) or (end is not None and trade.match_time > end):
                continue
            for row in self._rows(trade, taker_only):
                if (wanted is not None and row.proxy_wallet.lower() != wanted) or (side is not None and row.side != side):
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                rows.append(row)
                if limit is not None and len(rows) >= limit:
                    return rows
        return rows

    def _rows(self, trade: TradeRecord, taker_only: bool) -> Iterator[PublicTrade]:
        market = self._markets[trade.market]
        yield self._row(market, trade, trade.taker_address, trade.side, trade.asset_id, trade.size, trade.price,
                        trade.outcome, True)
        if taker_only:
            return
        for fill in trade.maker_orders:
            yield self._row(market, trade, fill.maker_address, fill.side, fill.asset_id, fill.matched_amount,
                            fill.price, fill.outcome, False)

    def _row(self, market: Market, trade: TradeRecord, address: str, side, asset_id, size, price, outcome,
             is_taker: bool) -> PublicTrade:
        profile = self._profiles.get(address.lower())
        return PublicTrade(
            proxy_wallet=address,
            side=side,
            asset=asset_id,
            condition_id=market.condition_id,
            size=size,
            price=price,
            timestamp=trade.match_time,
            title=market.question,
            slug=market.slug,
            event_slug=market.event_slug,
            outcome=outcome,
            outcome_index=0 if market.tokens[0].token_id == asset_id else 1,
            transaction_hash=trade.transaction_hash,
            name=profile.name if profile else "",
            pseudonym=profile.pseudonym if profile else "",
            is_taker=is_taker,
        )
