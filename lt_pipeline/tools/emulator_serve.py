"""`lt emulator serve`: the command line of the emulated Polymarket — parse the options, build the venue
on real time (or resume it from `--state-dir`) and serve it in the foreground with
lt_pipeline.emulator.serve.serve_forever."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from typing import Any

from lt_pipeline.clock import SystemClock
from lt_pipeline.emulator.faults import PROFILES, FaultInjector, load_profile
from lt_pipeline.emulator.persistence import DEFAULT_INTERVAL_S, SnapshotError, open_state
from lt_pipeline.emulator.quotas import DEFAULT_WINDOW_SECONDS, QuotaPolicy
from lt_pipeline.emulator.serve import bind_loopback, serve_forever, url_of
from lt_pipeline.emulator.wire import WireOptions
from lt_pipeline.money import BadNumber, to_size


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lt emulator serve",
        description="An emulated Polymarket on loopback: CLOB V2 at /, Data API at /data-api, Gamma at /gamma, admin at /admin.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one; default 8765)")
    parser.add_argument("--seed", type=int, default=0, help="seed for markets, traders, ids and faults (default 0)")
    parser.add_argument("--scenario", metavar="FILE", help="YAML/JSON scenario: markets, traders, settlement")
    parser.add_argument("--paused", action="store_true", help="start with simulated activity paused")
    parser.add_argument(
        "--faults", default="none", metavar="PROFILE", help=f"{'|'.join(PROFILES)} or a YAML/JSON file (default none)"
    )
    parser.add_argument("--faucet", default="1000", metavar="AMOUNT", help="collateral credited to each new API key's wallet")
    parser.add_argument(
        "--no-history", action="store_true", help="start without the month of resolved markets the traders already traded"
    )
    parser.add_argument(
        "--state-dir", metavar="DIR",
        help="keep the emulator's state in DIR: resume from its snapshot when there is one, snapshot while serving "
             "and on exit (default: nothing is kept)",
    )
    parser.add_argument("--fresh", action="store_true", help="with --state-dir: discard the saved state and start anew")
    parser.add_argument(
        "--snapshot-every", type=float, default=DEFAULT_INTERVAL_S, metavar="SECONDS",
        help=f"with --state-dir: seconds between snapshots while serving (default {DEFAULT_INTERVAL_S:g})",
    )
    parser.add_argument(
        "--no-quotas", action="store_true", help="do not enforce the Data API's published request quotas (429 past them)"
    )
    parser.add_argument(
        "--quota-window", type=float, default=DEFAULT_WINDOW_SECONDS, metavar="SECONDS",
        help=f"length of the sliding quota window (default {DEFAULT_WINDOW_SECONDS:g})",
    )
    return parser


def wire_options(args: argparse.Namespace) -> WireOptions:
    """Wire options from the command line; ValueError names a bad one."""
    return WireOptions(quotas=None if args.no_quotas else QuotaPolicy(window_seconds=args.quota_window))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        faucet = to_size(args.faucet, "--faucet")
        profile = load_profile(args.faults)
        options = wire_options(args)
        if not 0 <= args.port <= 65535:
            raise ValueError(f"--port: expected 0..65535, got {args.port}")
        if not args.snapshot_every > 0:
            raise ValueError(f"--snapshot-every: expected seconds above 0, got {args.snapshot_every}")
        if args.fresh and not args.state_dir:
            raise ValueError("--fresh: only means something with --state-dir")
        sock = bind_loopback(args.host, args.port)
    except (BadNumber, ValueError, OSError) as exc:
        print(f"lt emulator serve: {exc}", file=sys.stderr)
        return 2
    state = resumed = None
    if args.state_dir:
        try:
            state, resumed = open_state(args.state_dir, fresh=args.fresh)
        except SnapshotError as exc:
            sock.close()
            print(f"lt emulator serve: {exc}", file=sys.stderr)
            return 2
    if resumed is not None:
        venue = resumed.venue
    else:
        venue = _make_venue(args.seed, args.scenario, faucet, args.paused, history=not args.no_history)
        if venue is None:
            if state is not None:
                state.release()
            return 2
    url = url_of(sock)
    print(f"emulator listening on {url} (CLOB {url}/, Data API {url}/data-api, Gamma {url}/gamma, admin {url}/admin)")
    quotas = "off" if options.quotas is None else f"Data API per {options.quotas.window_seconds:g} s"
    print(f"faults: {profile.name}; faucet: {faucet}; seed: {args.seed}; quotas: {quotas}" + ("; paused" if args.paused else ""))
    if state is not None:
        if resumed is not None:
            print(f"state: resumed from {state.snapshot} ({resumed.describe()}); --seed, --scenario, --faucet, "
                  "--paused and --no-history apply to a fresh start only")
        else:
            print(f"state: {'fresh start' if args.fresh else 'new'}, saved to {state.snapshot} every "
                  f"{args.snapshot_every:g} s and on exit")
    sys.stdout.flush()
    try:
        serve_forever(
            venue, sock, faults=FaultInjector(profile, seed=args.seed), key_seed=args.seed, options=options,
            keys=resumed.keys if resumed else None, funders=resumed.funders if resumed else None,
            state=state, snapshot_interval_s=args.snapshot_every,
        )
    except KeyboardInterrupt:
        pass
    return 0


def _make_venue(seed: int, scenario_path: str | None, faucet: Decimal, paused: bool, *, history: bool = True) -> Any:
    from lt_pipeline.emulator.scenario import Scenario, ScenarioError
    from lt_pipeline.emulator.venue import Venue

    try:
        # By default the traders have a past: the resolved record that trader-quality filters read.
        scenario = Scenario.from_file(scenario_path) if scenario_path else Scenario.default(history=history)
    except (ScenarioError, OSError) as exc:
        print(f"lt emulator serve: --scenario: {exc}", file=sys.stderr)
        return None
    return Venue(SystemClock(), seed=seed, scenario=scenario, faucet=faucet, paused=paused)


if __name__ == "__main__":
    raise SystemExit(main())
