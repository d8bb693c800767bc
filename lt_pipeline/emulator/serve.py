"""Run the emulator's HTTP server: `lt emulator serve` in the foreground on real time, or
`start_in_thread` for tests and the headless demo (same process, usually a simulated clock)."""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import uvicorn

from ..clock import Clock, SystemClock
from ..money import BadNumber, to_size
from .faults import PROFILES, FaultInjector, load_profile
from .server import WireContext, WireOptions, build_app, build_context

STARTUP_TIMEOUT_S = 10.0


@dataclass
class RunningEmulator:
    """A server running in a background thread; `url` has no trailing slash."""

    url: str
    ctx: WireContext
    _server: uvicorn.Server
    _thread: threading.Thread

    @property
    def venue(self) -> Any:
        return self.ctx.venue

    @property
    def faults(self) -> FaultInjector:
        return self.ctx.faults

    def stop(self, wait: bool = True) -> None:
        """Ask the server to exit; with `wait`, return once it has (up to ~0.1 s for its next tick)."""
        self._server.should_exit = True
        if wait:
            self._thread.join(timeout=10)

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _config(app: Any, *, quiet: bool = True) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http="httptools",
        loop="uvloop",
        lifespan="off",
        access_log=False,
        log_level="warning" if quiet else "info",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=1,
    )


def _bind(host: str, port: int) -> socket.socket:
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"host: the emulator listens on loopback only (127.0.0.1 or ::1), got {host!r}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def start_in_thread(
    venue: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultInjector | str | None = None,
    *,
    clock: Clock | None = None,
    options: WireOptions | None = None,
    key_seed: int = 0,
) -> RunningEmulator:
    """Serve `venue` from a daemon thread on a free loopback port (port 0) and return once it listens."""
    ctx = build_context(venue, clock=clock, faults=faults, key_seed=key_seed, options=options)
    sock = _bind(host, port)
    server = uvicorn.Server(_config(build_app(ctx)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="lt-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the emulator's server thread did not start")
        time.sleep(0.002)
    return RunningEmulator(url=_url(sock), ctx=ctx, _server=server, _thread=thread)


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        faucet = to_size(args.faucet, "--faucet")
        profile = load_profile(args.faults)
        if not 0 <= args.port <= 65535:
            raise ValueError(f"--port: expected 0..65535, got {args.port}")
        sock = _bind(args.host, args.port)
    except (BadNumber, ValueError, OSError) as exc:
        print(f"lt emulator serve: {exc}", file=sys.stderr)
        return 2
    venue = _make_venue(args.seed, args.scenario, faucet, args.paused, history=not args.no_history)
    if venue is None:
        return 2
    ctx = build_context(venue, clock=venue_clock(venue), faults=FaultInjector(profile, seed=args.seed), key_seed=args.seed)
    url = _url(sock)
    print(f"emulator listening on {url} (CLOB {url}/, Data API {url}/data-api, Gamma {url}/gamma, admin {url}/admin)")
    print(f"faults: {profile.name}; faucet: {faucet}; seed: {args.seed}" + ("; paused" if args.paused else ""), flush=True)
    server = uvicorn.Server(_config(build_app(ctx), quiet=True))
    server.run(sockets=[sock])
    return 0


def _make_venue(seed: int, scenario_path: str | None, faucet: Decimal, paused: bool, *, history: bool = True) -> Any:
    from .scenario import Scenario, ScenarioError
    from .venue import Venue

    try:
        # By default the traders have a past: the resolved record that trader-quality filters read.
        scenario = Scenario.from_file(scenario_path) if scenario_path else Scenario.default(history=history)
    except (ScenarioError, OSError) as exc:
        print(f"lt emulator serve: --scenario: {exc}", file=sys.stderr)
        return None
    return Venue(SystemClock(), seed=seed, scenario=scenario, faucet=faucet, paused=paused)


def venue_clock(venue: Any) -> Clock:
    clock = getattr(venue, "clock", None)
    return clock if clock is not None else SystemClock()


if __name__ == "__main__":
    raise SystemExit(main())
