"""`lt engine`: the live lane, a long-running process beside the Dagster daemon (or a service of its
own in production) that sees tracked traders' trades within about a second and places the live twins'
orders in-process, through the same executor, journal and ledger as the execution job. Stop it with
Ctrl-C or SIGTERM: it finishes its tick and exits; nothing is lost (the sensor and the 2-minute
schedule keep placing, more slowly). See docs/engine.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from lt_pipeline.execution.shards import EVERY_STRATEGY, Shard, ShardError
from lt_pipeline.settings import SettingsError, load_settings


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lt engine", description=__doc__.splitlines()[0].split(": ", 1)[1])
    parser.add_argument("--poll-seconds", type=float, default=1.0, metavar="S",
                        help="detection cycle; each polls as many traders as the quota share allows (default 1)")
    parser.add_argument("--quota-share", type=float, default=0.5, metavar="F",
                        help="share of the Data API /trades quota for the engine's polls and reads (default 0.5)")
    parser.add_argument("--sweep-seconds", type=float, default=10.0, metavar="S",
                        help="with no sighting for this long, a tick anyway: signals the FT path made are placed (default 10)")
    parser.add_argument("--fill-poll-seconds", type=float, default=1.0, metavar="S",
                        help="without a user channel, our trades are read this often while orders are in play (default 1)")
    parser.add_argument("--feed-url", default=os.environ.get("LT_FEED_URL") or None, metavar="URL",
                        help="real-time data service for leader trades (default $LT_FEED_URL; none: polling only)")
    parser.add_argument("--user-channel-url", default=os.environ.get("LT_USER_CHANNEL_URL") or None, metavar="URL",
                        help="CLOB user channel for our fills (default $LT_USER_CHANNEL_URL; none: fills polled)")
    parser.add_argument("--shard", default=None, metavar="I/N",
                        help="place only for strategies of shard I of N (several engines; default: every strategy)")
    parser.add_argument("--dagster-home", default=None, metavar="DIR",
                        help="Dagster instance to report to (default $DAGSTER_HOME, else the embedded state's)")
    parser.add_argument("--no-dagster", action="store_true", help="do not report runless asset events to Dagster")
    parser.add_argument("--report-seconds", type=float, default=10.0, metavar="S",
                        help="at most one event per asset this often (default 10)")
    parser.add_argument("--venue", default=None, metavar="URL",
                        help="another CLOB host, its Data API and Gamma under it as the emulator serves them")
    parser.add_argument("--ledger-url", default=None, metavar="URL", help="another ledger (default: the settings')")
    parser.add_argument("--status-seconds", type=float, default=60.0, metavar="S", help="a status line this often (default 60)")
    parser.add_argument("--once", action="store_true", help="one tick (every tracked trader read), then exit")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return parser.parse_args(argv)


def _dagster_home(args: argparse.Namespace, settings) -> Path | None:
    if args.no_dagster:
        return None
    if args.dagster_home:
        return Path(args.dagster_home)
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    embedded = settings.state_dir / "dagster"
    return embedded if settings.is_embedded and (embedded / "dagster.yaml").exists() else None


# Libraries that log each HTTP request at INFO: the engine makes several a second (a poll, the clock,
# the books), which made its log about 40 MB a day. Their lines show with --log-level DEBUG.
CHATTY_LOGGERS = ("httpx", "httpcore")


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.log_level)
    from lt_pipeline.engine.service import EngineOptions, build_service, with_hosts
    from lt_pipeline.engine.sources import Sighting

    try:
        settings = load_settings()
        shard = Shard.parse(args.shard) if args.shard else EVERY_STRATEGY
    except (SettingsError, ShardError) as error:
        print(f"lt engine: {error}", file=sys.stderr)
        return 2
    if not 0 < args.quota_share <= 1 or args.poll_seconds <= 0 or args.sweep_seconds <= 0:
        print("lt engine: --quota-share must be in (0, 1], --poll-seconds and --sweep-seconds above 0", file=sys.stderr)
        return 2
    if args.venue:
        settings = with_hosts(settings, args.venue.rstrip("/"))
    if args.ledger_url:
        settings = replace(settings, ledger_url=args.ledger_url)
    options = EngineOptions(
        poll_seconds=args.poll_seconds, quota_share=args.quota_share, sweep_seconds=args.sweep_seconds,
        fill_poll_seconds=args.fill_poll_seconds, feed_url=args.feed_url, user_channel_url=args.user_channel_url,
        shard=shard, dagster_home=_dagster_home(args, settings), report_seconds=args.report_seconds,
    )
    try:
        service = build_service(settings, options)
    except Exception as error:  # a ledger behind its migrations, an unreachable database: one line
        print(f"lt engine: cannot start: {error}", file=sys.stderr)
        return 1
    print(f"lt engine: ledger {settings.ledger_url_redacted}, venue {settings.clob_host}", flush=True)
    for line in service.describe():
        print(f"lt engine: {line}", flush=True)

    if args.once:
        now = service.lane.clock.now()
        report = service.lane.tick([Sighting(t, now, "poll") for t in service.lane.tracked_traders()])
        if service.reporter is not None:
            service.reporter.add(report)
            service.reporter.flush()
        print(f"lt engine: one tick: {report.metadata()}" + (f"; {report.error}" if report.error else ""), flush=True)
        return 1 if report.error else 0

    stop = threading.Event()

    def _stop(signum, frame) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    status = threading.Thread(target=_status_lines, args=(service, stop, args.status_seconds), daemon=True)
    status.start()
    service.run(stop)
    print(f"lt engine: stopped after {service.lane.ticks} ticks, {service.lane.placed} orders placed", flush=True)
    return 0


def _status_lines(service, stop: threading.Event, every: float) -> None:
    started = time.monotonic()
    while not stop.wait(every):
        minutes = (time.monotonic() - started) / 60
        print(f"lt engine: up {minutes:.0f} min, {service.lane.ticks} ticks, {service.lane.placed} orders placed; "
              f"{service.detection.describe()}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
