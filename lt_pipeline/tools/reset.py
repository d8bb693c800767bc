"""`lt reset --yes`: start the embedded setup over from nothing — the SQLite ledger, the Dagster
instance and the emulator's saved state under the state folder, together, so the ledger and the venue
never disagree. Refused for a production deployment or a ledger outside the state folder (PostgreSQL):
those are never wiped by a command."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from lt_pipeline.settings import load_settings


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lt reset", description=__doc__.splitlines()[0])
    parser.add_argument("--yes", action="store_true", help="really delete the embedded ledger, Dagster instance and emulator state")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    settings = load_settings()
    if not settings.is_embedded:
        print("lt reset: refused: LT_DEPLOYMENT is production; a production ledger is never wiped by a command", file=sys.stderr)
        return 2
    state = settings.state_dir.resolve()
    url = make_url(settings.ledger_url)
    ledger = Path(url.database).resolve() if url.get_backend_name() == "sqlite" and url.database else None
    if ledger is None or state not in ledger.parents:
        print(f"lt reset: refused: the ledger ({settings.ledger_url_redacted}) is not a SQLite file under {state}", file=sys.stderr)
        return 2
    if not args.yes:
        print(f"lt reset: this deletes everything under {state} (ledger, Dagster runs, emulator state); "
              "run `lt reset --yes` to do it", file=sys.stderr)
        return 2
    removed = [path for path in sorted(state.iterdir())] if state.is_dir() else []
    for path in removed:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    print(f"reset {state}: removed {', '.join(p.name for p in removed) or 'nothing (already empty)'}; "
          "`make run` starts over from nothing")
    return 0
