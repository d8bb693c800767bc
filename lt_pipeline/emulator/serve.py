"""Run the emulator's HTTP server: `serve_forever` in the foreground (what `lt emulator serve`, in
tools/emulator_serve.py, calls), or `start_in_thread` for tests and the headless demo
(same process, usually a simulated clock). Given a state folder (`persistence.StateDir`), either
snapshots the state every few seconds while serving and once more when it stops."""

from __future__ import annotations

import signal
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn

from ..clock import Clock, SystemClock
from .auth import ApiKeyStore
from .faults import FaultInjector
from .persistence import DEFAULT_INTERVAL_S, Snapshotter, StateDir
from .server import build_app, build_context
from .wire import WireContext, WireOptions

STARTUP_TIMEOUT_S = 10.0


@dataclass
class RunningEmulator:
    """A server running in a background thread; `url` has no trailing slash."""

    url: str
    ctx: WireContext
    _server: uvicorn.Server
    _thread: threading.Thread
    snapshots: Snapshotter | None = None  # set when serving with a state folder

    @property
    def venue(self) -> Any:
        return self.ctx.venue

    @property
    def faults(self) -> FaultInjector:
        return self.ctx.faults

    def stop(self, wait: bool = True) -> None:
        """Ask the server to exit; with `wait`, return once it has (up to ~0.1 s for its next tick).
        With a state folder, the final snapshot is written (after the server has stopped, when
        waiting) and the folder released."""
        self._server.should_exit = True
        if wait:
            self._thread.join(timeout=10)
        if self.snapshots is not None:
            snapshots, self.snapshots = self.snapshots, None
            try:
                snapshots.stop()
            finally:
                snapshots.state.release()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _config(app: Any, *, quiet: bool = True) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http="httptools",
        loop="uvloop",
        ws="websockets-sansio",  # the real-time channels (emulator/realtime.py)
        lifespan="off",
        access_log=False,
        log_level="warning" if quiet else "info",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=1,
    )


def bind_loopback(host: str, port: int) -> socket.socket:
    """A listening socket on a loopback address (port 0 picks a free one); anything else is a ValueError."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"host: the emulator listens on loopback only (127.0.0.1 or ::1), got {host!r}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    """The base URL a bound socket answers on."""
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
    keys: ApiKeyStore | None = None,
    funders: dict[str, str] | None = None,
    state: StateDir | None = None,
    snapshot_interval_s: float = DEFAULT_INTERVAL_S,
) -> RunningEmulator:
    """Serve `venue` from a daemon thread on a free loopback port (port 0) and return once it listens.
    `keys`/`funders` come from a resumed snapshot; `state` (acquired) gets snapshots while serving."""
    ctx = build_context(venue, clock=clock, faults=faults, key_seed=key_seed, options=options, keys=keys, funders=funders)
    sock = bind_loopback(host, port)
    server = uvicorn.Server(_config(build_app(ctx)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="lt-emulator", daemon=True)
    snapshots = Snapshotter(state.acquire(), ctx, snapshot_interval_s) if state is not None else None
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            if state is not None:
                state.release()
            raise RuntimeError("the emulator's server thread did not start")
        time.sleep(0.002)
    if snapshots is not None:
        snapshots.start()
    return RunningEmulator(url=url_of(sock), ctx=ctx, _server=server, _thread=thread, snapshots=snapshots)


def serve_forever(
    venue: Any,
    sock: socket.socket,
    *,
    faults: FaultInjector | str | None = None,
    key_seed: int = 0,
    options: WireOptions | None = None,
    keys: ApiKeyStore | None = None,
    funders: dict[str, str] | None = None,
    state: StateDir | None = None,
    snapshot_interval_s: float = DEFAULT_INTERVAL_S,
) -> None:
    """Serve `venue` in the foreground on a socket from `bind_loopback` until the process is stopped
    (SIGINT or SIGTERM: the server drains, then, with a state folder, the last snapshot is written)."""
    ctx = build_context(venue, clock=venue_clock(venue), faults=faults, key_seed=key_seed, options=options,
                        keys=keys, funders=funders)
    server = uvicorn.Server(_config(build_app(ctx), quiet=True))
    snapshots = Snapshotter(state.acquire(), ctx, snapshot_interval_s).start() if state is not None else None
    restore = _exit_on_sigterm()
    try:
        server.run(sockets=[sock])
    finally:
        try:
            if snapshots is not None and not snapshots.stop():
                print(f"lt emulator: the last snapshot to {snapshots.state.path} failed: {snapshots.last_error}", flush=True)
        finally:
            if snapshots is not None:
                snapshots.state.release()
            restore()


def _exit_on_sigterm() -> Any:
    """uvicorn re-raises the SIGTERM it caught once it has drained; make that a SystemExit (so
    `finally` blocks run and the last snapshot is written) rather than the default instant death."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def exit_now(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, exit_now)
    return lambda: signal.signal(signal.SIGTERM, previous)


def venue_clock(venue: Any) -> Clock:
    """The venue's own clock, else real time."""
    clock = getattr(venue, "clock", None)
    return clock if clock is not None else SystemClock()
