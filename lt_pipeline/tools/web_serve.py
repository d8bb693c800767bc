"""`lt web`: serve the dashboard (lt_pipeline.web) on loopback with uvicorn, over the ledger named by
the settings (LT_LEDGER_URL / LT_STATE_DIR), linking into the Dagster UI at --dagster-url."""

from __future__ import annotations

import argparse
import ipaddress
import sys

PROG = "lt web"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; the dashboard has no login, keep it on "
                        "loopback or behind an authenticating proxy)")
    parser.add_argument("--port", type=int, default=3001, help="TCP port, 1-65535 (default 3001)")
    parser.add_argument("--dagster-url", default="http://127.0.0.1:3000",
                        help="where the Dagster UI is, for the links to runs and lineage (default http://127.0.0.1:3000)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if not 1 <= args.port <= 65535:
        return _fail(f"--port: expected a TCP port from 1 to 65535, got {args.port}")
    if not args.dagster_url.startswith(("http://", "https://")):
        return _fail(f"--dagster-url: expected an http(s) URL such as http://127.0.0.1:3000, got {args.dagster_url!r}")
    if not _is_loopback(args.host):
        print(f"{PROG}: warning: listening on {args.host}, beyond loopback; the dashboard has no login of its own",
              file=sys.stderr)

    import uvicorn

    from lt_pipeline.ledger import migrate
    from lt_pipeline.ledger.engine import make_engine
    from lt_pipeline.ledger.migrate import LedgerNotReady
    from lt_pipeline.settings import SettingsError, load_settings
    from lt_pipeline.web.app import create_app

    try:
        settings = load_settings()
        engine = make_engine(settings.ledger_url)
        migrate.require_up_to_date(engine)
    except (SettingsError, LedgerNotReady) as error:
        return _fail(str(error))
    app = create_app(settings, engine=engine, dagster_url=args.dagster_url)
    print(f"dashboard on http://{args.host}:{args.port}/ (ledger {settings.ledger_url_redacted})", flush=True)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    except (OSError, SystemExit) as error:  # uvicorn exits when it cannot bind
        if isinstance(error, SystemExit) and not error.code:
            return 0
        return _fail(f"--port: cannot listen on {args.host}:{args.port} (in use, or not an address of this machine)")
    finally:
        engine.dispose()
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
