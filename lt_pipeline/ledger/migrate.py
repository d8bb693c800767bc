"""Where a ledger database stands against the migrations, and bringing it to the latest one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class LedgerNotReady(RuntimeError):
    """The ledger is behind (or ahead of) this code's migrations."""


@dataclass(frozen=True)
class LedgerStatus:
    current: str | None
    head: str
    pending: tuple[str, ...]

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    def describe(self) -> str:
        if self.up_to_date:
            return f"at the latest migration {self.head}"
        if self.current is None:
            return f"empty: {len(self.pending)} migration(s) to apply up to {self.head}; run `lt db upgrade`"
        if not self.pending:
            return f"at unknown revision {self.current} (newer code?); this code knows up to {self.head}"
        return f"at {self.current}, {len(self.pending)} migration(s) behind {self.head}; run `lt db upgrade`"


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def status(engine: Engine) -> LedgerStatus:
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        return LedgerStatus(current=current, head=head, pending=())
    pending = tuple(
        rev.revision for rev in reversed(list(script.iterate_revisions(head, current or "base")))
    )
    return LedgerStatus(current=current, head=head, pending=pending)


def upgrade(engine: Engine, revision: str = "head") -> LedgerStatus:
    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a table's constraints by copying it; with foreign keys on, dropping the old
            # copy would refuse (rows elsewhere point at it). SQLite's own recipe: keys off outside the
            # transaction, migrate, check every key, keys on again.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise LedgerNotReady(f"the migration left {len(broken)} row(s) pointing at nothing: {broken[:3]}")
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
    return status(engine)


def require_up_to_date(engine: Engine) -> None:
    """Refuse to run the pipeline on a ledger that is not at the latest migration."""
    state = status(engine)
    if not state.up_to_date:
        raise LedgerNotReady(f"the ledger is {state.describe()}")
