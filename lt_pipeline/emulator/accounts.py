"""User balances at the venue: collateral and outcome tokens per funder address, with the amounts
that open orders reserve (available = total - reserved). Simulated traders have no account here."""

from __future__ import annotations

from decimal import Decimal

from lt_pipeline.emulator.types import Side

ZERO = Decimal("0")


class Account:
    __slots__ = ("collateral", "tokens", "reserved_collateral", "reserved_tokens", "faucet_paid")

    def __init__(self) -> None:
        self.collateral = ZERO
        self.tokens: dict[str, Decimal] = {}
        self.reserved_collateral = ZERO
        self.reserved_tokens: dict[str, Decimal] = {}
        self.faucet_paid = False


class Accounts:
    """Balances keyed by lower-cased address, so checksummed and plain spellings meet."""

    __slots__ = ("_by_address",)

    def __init__(self) -> None:
        self._by_address: dict[str, Account] = {}

    def get(self, address: str) -> Account | None:
        return self._by_address.get(address.lower())

    def ensure(self, address: str) -> Account:
        key = address.lower()
        account = self._by_address.get(key)
        if account is None:
            account = self._by_address[key] = Account()
        return account

    def pay_faucet(self, address: str, amount: Decimal) -> bool:
        """Credit the welcome collateral once per address; True when this call paid it."""
        account = self.ensure(address)
        if account.faucet_paid:
            return False
        account.faucet_paid = True
        account.collateral += amount
        return True

    def credit(self, address: str, amount: Decimal, token_id: str | None = None) -> None:
        account = self.ensure(address)
        if token_id is None:
            account.collateral += amount
        else:
            account.tokens[token_id] = account.tokens.get(token_id, ZERO) + amount

    def total(self, address: str, token_id: str | None = None) -> Decimal:
        account = self.get(address)
        if account is None:
            return ZERO
        return account.collateral if token_id is None else account.tokens.get(token_id, ZERO)

    def available(self, address: str, token_id: str | None = None) -> Decimal:
        """What a new order may use: total minus what open orders reserve."""
        account = self.get(address)
        if account is None:
            return ZERO
        if token_id is None:
            return account.collateral - account.reserved_collateral
        return account.tokens.get(token_id, ZERO) - account.reserved_tokens.get(token_id, ZERO)

    def reserve(self, address: str, token_id: str, side: Side, price: Decimal, size: Decimal) -> None:
        """Hold what an open order may spend: collateral for a BUY, tokens for a SELL (negative size releases)."""
        account = self.get(address)
        if account is None:
            return
        if side == "BUY":
            account.reserved_collateral += price * size
        else:
            held = account.reserved_tokens.get(token_id, ZERO) + size
            if held:
                account.reserved_tokens[token_id] = held
            else:
                account.reserved_tokens.pop(token_id, None)

    def move(self, address: str, token_id: str, side: Side, price: Decimal, size: Decimal) -> None:
        """Apply one fill from this party's side (a negative size undoes it)."""
        account = self.get(address)
        if account is None:
            return
        cash = price * size
        if side == "BUY":
            account.collateral -= cash
            delta = size
        else:
            account.collateral += cash
            delta = -size
        held = account.tokens.get(token_id, ZERO) + delta
        if held:
            account.tokens[token_id] = held
        else:
            account.tokens.pop(token_id, None)

    def redeem(self, payouts: dict[str, Decimal]) -> Decimal:
        """Turn every holding of the given tokens into collateral at its payout; returns the total paid."""
        paid = ZERO
        for account in self._by_address.values():
            for token_id, payout in payouts.items():
                held = account.tokens.pop(token_id, None)
                if held:
                    account.collateral += held * payout
                    paid += held * payout
        return paid

    def holdings(self, address: str) -> dict[str, Decimal]:
        account = self.get(address)
        return dict(account.tokens) if account else {}
