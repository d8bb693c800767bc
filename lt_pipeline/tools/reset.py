"""`lt reset --yes`: start the embedded setup over from nothing — everything under the state folder
(the SQLite ledger, the Dagster instance and its runs, the emulator's saved state, the analytics
DuckDB file, the logs, demo ledgers) and an analytics file LT_DUCKDB_PATH put elsewhere, together, so
the ledger and the venue never disagree. Refused while `lt run` uses the folder, for a production
deployment, or for a ledger outside the state folder (PostgreSQL): those are never wiped by a command."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from lt_pipeline.settings import SettingsError, load_settings


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lt reset", description=__doc__.splitlines()[0])
    parser.add_argument("--yes", action="store_true", help="really delete the embedded ledger, Dagster instance and emulator state")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from lt_pipeline.tools.stack import state_in_use

    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"lt reset: {error}", file=sys.stderr)
        return 2
    if not settings.is_embedded:
        print("lt reset: refused: LT_DEPLOYMENT is production; a production ledger is never wiped by a command", file=sys.stderr)
        return 2
    state = settings.state_dir.resolve()
    url = make_url(settings.ledger_url)
    ledger = Path(url.database).resolve() if url.get_backend_name() == "sqlite" and url.database else None
    if ledger is None or state not in ledger.parents:
        print(f"lt reset: refused: the ledger ({settings.ledger_url_redacted}) is not a SQLite file under {state}", file=sys.stderr)
        return 2
    holder = state_in_use(state) if state.is_dir() else None
    if holder is not None:
        print(f"lt reset: refused: `lt run` (pid {holder}) is using {state}; stop it with Ctrl-C first", file=sys.stderr)
        return 2
    duckdb = settings.duckdb_path.resolve()
    outside = [p for p in (duckdb, duckdb.with_name(duckdb.name + ".wal")) if state not in p.parents and p.exists()]
    if not args.yes:
        print(f"lt reset: this deletes everything under {settings.state_dir_described} (ledger, Dagster runs, "
              f"emulator state, analytics, logs){' and ' + ', '.join(map(str, outside)) if outside else ''}; "
              "run `lt reset --yes` to do it", file=sys.stderr)
        return 2
    removed = [path for path in sorted(state.iterdir())] if state.is_dir() else []
    for path in removed + outside:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    names = [p.name for p in removed] + [str(p) for p in outside]
    print(f"reset {state}: removed {', '.join(names) or 'nothing (already empty)'}; "
          "`make run` (or `lt run`) starts over from nothing")
    return 0
