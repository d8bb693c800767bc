"""The embedded stack's starting world: the FT wallets from their YAML file, the demo user and a few
launched live twins, so a newcomer's first `lt run` shows live against paper. Seeded once per ledger:
running again creates nothing, and twins the user paused or edited are left as they are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select

from lt_pipeline.execution.strategies import create_strategy, ensure_user, launch, list_strategies
from lt_pipeline.forward_test.wallets import sync_wallets
from lt_pipeline.ledger.schema import ft_wallets
from lt_pipeline.ledger.writes import read_cursor, write_cursor
from lt_pipeline.settings import Settings
from lt_pipeline.strategy.config import WalletConfigError, load_wallets

SEEDED_CURSOR = "lt_run.seeded_world"  # pipeline_cursors: when the world was seeded, and for whom
SEED_USER_NAME = "Demo user"
# Wallets whose twins see signals and settlements soonest against the emulator: fast-resolving short
# markets, a busy Kelly sizer, and a category specialist.
SEED_WALLETS = ("FT_FAST_RESOLVERS", "FT_KELLY_ALPHA", "FT_SPORTS_SPECIALIST")
# Three twins of at most $300 exposure each fit inside the emulator faucet the stack gives the user.
TWIN_SETTINGS = {
    "starting_capital": "500",
    "slippage_tolerance_pct": "3",
    "order_type": "GTC",
    "min_order_size_usd": "1",
    "max_order_size_usd": "25",
    "max_position_size_usd": "75",
    "max_total_exposure_usd": "300",
    "order_ttl_seconds": 300,
}


class SeedError(RuntimeError):
    """The world could not be seeded; the message says why in one line."""


@dataclass
class SeedReport:
    user_id: str
    ft_wallets: int
    created: list[str] = field(default_factory=list)  # twins created and launched now
    launched: list[str] = field(default_factory=list)  # twins launched now (created and left unlaunched before)
    twins: list[str] = field(default_factory=list)  # every twin of the user, after seeding
    already_seeded_at: str | None = None  # set when an earlier run had seeded this ledger

    def describe(self) -> str:
        twins = ", ".join(self.twins) or "none"
        if self.already_seeded_at:
            return f"user {self.user_id}, {self.ft_wallets} FT wallets, live twins {twins} (seeded {self.already_seeded_at})"
        new = f"created and launched {', '.join(self.created)}" if self.created else "no new twins"
        return f"user {self.user_id}, {self.ft_wallets} FT wallets, {new}; live twins {twins}"


def seed_world(engine: Engine, settings: Settings, now: datetime, *, wallets: tuple[str, ...] = SEED_WALLETS) -> SeedReport:
    """Bring the FT wallets up to their file, and (once per ledger) add the demo user and launch its twins."""
    problem = "it lists no wallets"
    try:
        configs = load_wallets(settings.ft_wallets_file)
    except WalletConfigError as error:
        configs = None
        problem = str(error).splitlines()[0]
    if configs is not None:
        sync_wallets(engine, configs, now)
    with engine.connect() as connection:
        known = [row.wallet_id for row in connection.execute(select(ft_wallets.c.wallet_id).order_by(ft_wallets.c.wallet_id))]
        seeded = read_cursor(connection, SEEDED_CURSOR)
    if not known:
        raise SeedError(f"no FT wallets: the wallet file {settings.ft_wallets_file} could not be read ({problem})")
    user_id = settings.default_user
    report = SeedReport(user_id=user_id, ft_wallets=len(known))
    if seeded is None:
        ensure_user(engine, user_id, SEED_USER_NAME, now=now)
        chosen = [w for w in wallets if w in known] or known[: len(wallets)]
        twins = {s.ft_wallet_id: s for s in list_strategies(engine, user_id=user_id)}
        for wallet_id in chosen:
            strategy = twins.get(wallet_id)
            if strategy is None:
                strategy_id = create_strategy(engine, user_id, wallet_id, TWIN_SETTINGS, now)
                launch(engine, strategy_id, now)
                report.created.append(strategy_id)
            elif strategy.launched_at is None:  # an earlier seeding stopped between create and launch
                launch(engine, strategy.strategy_id, now)
                report.launched.append(strategy.strategy_id)
        with engine.begin() as connection:
            write_cursor(connection, SEEDED_CURSOR, f"{now.isoformat()} {user_id} {','.join(chosen)}", now)
    else:
        report.already_seeded_at = seeded.split(" ", 1)[0]
    report.twins = [s.strategy_id for s in list_strategies(engine, user_id=user_id)]
    return report
