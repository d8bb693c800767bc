"""`lt run`: the embedded stack in one command, for a newcomer — ledger migrations, the seeded world
(FT wallets, the demo user and its launched live twins), the local emulator (its state kept under the
state folder and resumed next time), the Dagster daemon and webserver (127.0.0.1:3000) with their
schedules and sensors on, and the web dashboard (127.0.0.1:3001) once it is installed. The terminal
shows where to click and what happened; each process logs to LT_STATE_DIR/logs/. Ctrl-C stops
everything it started."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from lt_pipeline.settings import (
    PROJECT_ROOT,
    Settings,
    SettingsError,
    check_state_dir_writable,
    is_project_checkout,
    load_settings,
)

EMULATOR_STATE = "emulator"  # under the state folder (LT_STATE_DIR)
LOGS = "logs"  # under the state folder: one file per process, the previous session's as *.log.1
LOCK_FILE = "lt-run.lock"  # held while `lt run` uses the state folder (`lt reset` refuses meanwhile)
EMULATOR_FAUCET = "2000"  # collateral for each new wallet: the seeded twins' caps (3 x $300) with room
WEB_MODULE = "lt_pipeline.tools.web_serve"  # the dashboard's entry, main(argv) with --host --port --dagster-url
WATCH_EVERY_S = 10.0
SUMMARY_EVERY_S = 300.0
STOP_TIMEOUT_S = 20.0


class StackError(RuntimeError):
    """Why the stack cannot start, in one line for the terminal."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path
    essential: bool = True  # the stack stops when an essential child exits
    reported: bool = False  # a non-essential child's exit was told once


def emulator_state_dir(settings: Settings) -> Path:
    """Where the embedded emulator keeps its state between runs."""
    return settings.state_dir / EMULATOR_STATE


def emulator_command(settings: Settings, bin_dir: Path, *, fresh: bool = False) -> list[str]:
    """The `lt emulator serve` command line of the embedded stack."""
    command = [
        str(bin_dir / "lt"), "emulator", "serve",
        "--host", settings.emulator_host, "--port", str(settings.emulator_port),
        "--seed", str(settings.emulator_seed), "--faucet", EMULATOR_FAUCET,
        "--state-dir", str(emulator_state_dir(settings)),
    ]
    return command + (["--fresh"] if fresh else [])


def web_command(host: str, port: int, dagster_url: str) -> list[str] | None:
    """The dashboard's command line, or None while lt_pipeline.tools.web_serve is not installed."""
    try:
        if importlib.util.find_spec(WEB_MODULE) is None:
            return None
    except ImportError:
        return None
    return [sys.executable, "-m", WEB_MODULE, "--host", host, "--port", str(port), "--dagster-url", dagster_url]


ENGINE_MODULE = "lt_pipeline.tools.engine"  # `lt engine`: the live lane beside the daemon


def engine_command(settings: Settings) -> list[str]:
    """`lt engine` for the stack: on the embedded emulator it listens to the emulator's real-time channels
    (polling stays its fallback); against real hosts it polls unless LT_FEED_URL says otherwise."""
    command = [sys.executable, "-m", ENGINE_MODULE]
    if settings.is_embedded:
        base = f"ws://{settings.emulator_host}:{settings.emulator_port}"
        command += ["--feed-url", f"{base}/", "--user-channel-url", f"{base}/ws/user"]
    return command


def workspace_file(settings: Settings) -> Path:
    shipped = PROJECT_ROOT / "workspace.yaml"
    if shipped.exists():
        return shipped
    generated = settings.state_dir / "workspace.yaml"
    generated.write_text(
        "load_from:\n  - python_module:\n      module_name: lt_pipeline.definitions\n"
        "      location_name: lt_pipeline\n"
    )
    return generated


# --- before anything starts ----------------------------------------------------------------------------


def hold_state_lock(settings: Settings) -> IO[str]:
    """Lock the state folder for this `lt run` (released when the process ends, even on a crash)."""
    handle = open(settings.state_dir / LOCK_FILE, "a+")  # noqa: SIM115 - held open for the whole run
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise StackError(f"another `lt run` (pid {holder}) is using {settings.state_dir}; stop it (Ctrl-C in its terminal) first") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def state_in_use(state_dir: Path) -> int | None:
    """The pid of the `lt run` holding this state folder, or None (used by `lt reset`)."""
    path = state_dir / LOCK_FILE
    if not path.exists():
        return None
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def check_port_free(what: str, host: str, port: int, hint: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise StackError(f"{what}: {host}:{port} is taken ({error.strerror}); another `lt run`? {hint}") from None


def open_ledger(settings: Settings):
    """Migrate the ledger; an unreachable or unusable database is a StackError naming the URL."""
    from sqlalchemy.exc import SQLAlchemyError

    from lt_pipeline.ledger import migrate
    from lt_pipeline.ledger.engine import make_engine

    engine = make_engine(settings.ledger_url)
    try:
        status = migrate.upgrade(engine)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise StackError(f"cannot use the ledger {settings.ledger_url_redacted} (LT_LEDGER_URL): {reason}") from None
    except migrate.LedgerNotReady as error:
        raise StackError(str(error)) from None
    return engine, status


def rotate_logs(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        log = folder / f"{name}.log"
        if log.exists():
            log.replace(folder / f"{name}.log.1")


def become_subreaper() -> None:
    """Adopt orphaned descendants (a run worker whose parent died), so Ctrl-C can reap every one."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER (Linux)


# --- processes ------------------------------------------------------------------------------------------


class Stack:
    """The processes `lt run` started: each in its own process group with its output in a log file."""

    def __init__(self, env: dict[str, str], logs: Path, cwd: Path) -> None:
        self.env = env
        self.logs = logs
        self.cwd = cwd
        self.children: list[Child] = []

    def start(self, name: str, command: list[str], *, essential: bool = True) -> Child:
        log = self.logs / f"{name}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen(
                command, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches `lt run` only; it stops the children in order
            )
        child = Child(name, process, log, essential)
        self.children.append(child)
        return child

    def wait_until_up(self, child: Child, url: str, timeout_s: float, ok=lambda status: status == 200) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise StackError(f"{child.name} exited with code {child.process.returncode} while starting; "
                                 f"last lines of {child.log}:\n{tail(child.log)}")
            try:
                if ok(httpx.get(url, timeout=2.0).status_code):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise StackError(f"{child.name} did not answer at {url} within {timeout_s:.0f} s; see {child.log}")

    def exited(self) -> list[Child]:
        return [c for c in self.children if c.process.poll() is not None]

    def stop(self) -> None:
        """Interrupt the dashboard, webserver and daemon (their run workers too), then the emulator, so it
        saves its state after the last run; kill whatever is left of each process group; reap orphans."""
        hurry = []  # another Ctrl-C while stopping: kill at once instead of waiting
        before = {s: signal.signal(s, lambda *_: hurry.append(1)) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            emulator = [c for c in self.children if c.name == "emulator"]
            first = [c for c in reversed(self.children) if c.name != "emulator"]
            for group in (first, emulator):
                for child in group:
                    _signal_group(child.process.pid, signal.SIGINT)
                deadline = time.monotonic() + STOP_TIMEOUT_S
                while not hurry and time.monotonic() < deadline and any(c.process.poll() is None for c in group):
                    time.sleep(0.1)
            for child in self.children:
                _signal_group(child.process.pid, signal.SIGKILL)
                if child.process.poll() is None:
                    child.process.wait(timeout=5)
            reap_descendants()
        finally:
            for signum, handler in before.items():
                signal.signal(signum, handler)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def reap_descendants() -> None:
    """Kill and reap any process still parented to us (orphans adopted as subreaper)."""
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[1] == me:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(stat.parent.name), signal.SIGKILL)
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def tail(log: Path, lines: int = 8) -> str:
    try:
        text = log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:])


# --- the command ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lt run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address of the Dagster UI and the dashboard (default 127.0.0.1, loopback)")
    parser.add_argument("--port", type=int, default=3000, help="Dagster UI port (default 3000)")
    parser.add_argument("--web-port", type=int, default=3001, help="web dashboard port (default 3001)")
    parser.add_argument("--no-emulator", action="store_true", help="do not start the local emulator (a venue is already serving)")
    parser.add_argument("--no-seed", action="store_true", help="do not add the demo user and its live twins")
    parser.add_argument("--no-engine", action="store_true",
                        help="do not start `lt engine` (the schedule and the sensor still place, more slowly)")
    parser.add_argument(
        "--fresh-emulator", action="store_true",
        help="discard the emulator's saved state and start it anew; the ledger keeps its records, which the new venue "
             "will not know (`lt reset --yes` starts both over)",
    )
    return parser.parse_args(argv)


def say(line: str, out: IO[str] = sys.stdout) -> None:
    print(line, file=out, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings()
        check_state_dir_writable(settings)
        lock = hold_state_lock(settings)
    except (SettingsError, StackError) as error:
        say(f"lt run: {error}", sys.stderr)
        return 2
    # Ctrl-C, a kill or a closed terminal all stop the stack in order. SIGINT gets a handler even when
    # it was inherited ignored (a shell's background job), which also gives the children the default.
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    for signum in previous:
        signal.signal(signum, _interrupt)
    try:
        return _run(args, settings)
    except StackError as error:
        say(f"lt run: {error}", sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        lock.close()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from lt_pipeline.clock import SystemClock
    from lt_pipeline.execution.strategies import StrategyError
    from lt_pipeline.instance import embedded_dagster_home, fail_runs_left_in_flight
    from lt_pipeline.tools.seed_world import SeedError, seed_world
    from lt_pipeline.tools.stack_watch import DagsterUI, DagsterUIError, Progress, ledger_counts, stamp

    ui_url = f"http://{args.host}:{args.port}"
    web_url = f"http://{args.host}:{args.web_port}"
    run_emulator = settings.is_embedded and not args.no_emulator
    web = web_command(args.host, args.web_port, ui_url)
    if run_emulator:
        check_port_free("the emulator", settings.emulator_host, settings.emulator_port, "set LT_EMULATOR_PORT")
    check_port_free("the Dagster UI", args.host, args.port, "pass --port")
    if web:
        check_port_free("the dashboard", args.host, args.web_port, "pass --web-port")

    say(f"state   {settings.state_dir_described}")
    engine, ledger = open_ledger(settings)
    say(f"ledger  {settings.ledger_url_redacted}: {ledger.describe()}")
    if args.no_seed or not settings.is_embedded:  # never live twins with real money by default
        say("seeded  nothing (" + ("--no-seed" if args.no_seed else "LT_DEPLOYMENT is production") + ")")
    else:
        try:
            report = seed_world(engine, settings, SystemClock().now())
        except (SeedError, StrategyError, SQLAlchemyError) as error:
            raise StackError(f"seeding the demo user and its twins: {str(error).splitlines()[0]}") from None
        say(f"seeded  {report.describe()}")

    home = embedded_dagster_home(settings.state_dir)
    try:
        for left in fail_runs_left_in_flight(home):
            say(f"note    marked a run the last session left in flight as failed: {left}")
    except Exception as error:  # noqa: BLE001 - the stack still starts; run monitoring catches up with them
        say(f"WARNING: could not check the Dagster instance for runs left in flight: {error}")
    logs = settings.state_dir / LOGS
    rotate_logs(logs, ["emulator", "daemon", "webserver", "web", "engine"])
    env = {**os.environ, "DAGSTER_HOME": str(home), "LT_STATE_DIR": str(settings.state_dir)}
    env.setdefault("NO_PROXY", "127.0.0.1,localhost")
    env["PYTHONUNBUFFERED"] = "1"
    bin_dir = Path(sys.executable).parent
    workspace = str(workspace_file(settings))
    cwd = PROJECT_ROOT if is_project_checkout(PROJECT_ROOT) else settings.state_dir
    stack = Stack(env, logs, cwd)
    become_subreaper()
    started_at = time.time()  # runs that start from here on are this session's
    try:
        if run_emulator:
            emulator = stack.start("emulator", emulator_command(settings, bin_dir, fresh=args.fresh_emulator))
            stack.wait_until_up(emulator, f"{settings.clob_host}/ok", 120)
            say(f"started the emulator (local Polymarket) on {settings.clob_host}")
        stack.start("daemon", [str(bin_dir / "dagster-daemon"), "run", "-w", workspace])
        if not args.no_engine:  # not essential: without it the sensor and the schedule place, more slowly
            stack.start("engine", engine_command(settings), essential=False)
        webserver = stack.start(
            "webserver", [str(bin_dir / "dagster-webserver"), "-h", args.host, "-p", str(args.port), "-w", workspace]
        )
        web_child = stack.start("web", web, essential=False) if web else None
        stack.wait_until_up(webserver, f"{ui_url}/server_info", 240)
        say("started the Dagster daemon and webserver; loading the pipeline's code ...")
        ui = DagsterUI(ui_url)
        _wait_for_code(ui, webserver, stack)
        try:
            automation = ui.automation()
        except DagsterUIError as error:
            automation = {}
            say(f"WARNING: could not read the schedules and sensors: {error}")
        stopped = sorted(name for name, status in automation.items() if status != "RUNNING")
        dashboard = None
        if web_child:
            try:
                stack.wait_until_up(web_child, web_url, 60, ok=lambda status: status < 500)
                dashboard = web_url
            except StackError as error:
                say(f"WARNING: the dashboard did not start: {error}")
        _banner(settings, ui_url, dashboard, logs, automation, stopped)
        progress = Progress(ui_url)
        progress.ledger_lines(ledger_counts(engine))
        kicks = [EXEC_KICK, RESOLUTION_KICK]
        kicked: dict[str, str] = {}
        next_watch = next_summary = time.monotonic()
        next_summary += SUMMARY_EVERY_S
        while True:
            for child in stack.exited():
                if child.essential:
                    say(f"lt run: {child.name} exited with code {child.process.returncode}; stopping everything. "
                        f"Last lines of {child.log}:\n{tail(child.log)}", sys.stderr)
                    return 1
                if not child.reported:
                    child.reported = True
                    say(stamp(f"WARNING: the dashboard exited with code {child.process.returncode}; see {child.log}"))
            if time.monotonic() >= next_watch:
                next_watch = time.monotonic() + WATCH_EVERY_S
                try:
                    _kick(ui, kicks, kicked, say_line=lambda line: say(stamp(line)))
                    lines = progress.run_lines(ui.runs(limit=50), started_at)
                except DagsterUIError as error:
                    lines = [f"WARNING: the Dagster UI did not answer: {error}"]
                lines += progress.ledger_lines(ledger_counts(engine))
                for line in lines:
                    say(stamp(line))
            if time.monotonic() >= next_summary:
                next_summary = time.monotonic() + SUMMARY_EVERY_S
                say(stamp(progress.summary()))
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("\nstopping: dashboard, Dagster webserver and daemon, then the emulator ...")
        return 0
    finally:
        stack.stop()
        engine.dispose()
        if stack.children:
            say(f"stopped everything lt run started; state kept in {settings.state_dir} (`lt run` resumes, "
                "`lt reset --yes` starts over)")


EXEC_KICK = "execution_job"
RESOLUTION_KICK = "resolution_job"


def _kick(ui, kicks: list[str], kicked: dict[str, str], say_line) -> None:
    """Launch one run of each job at start (the resolution run once the execution run has finished), so
    the first ticks do not wait for the schedules' minute marks. A job already in flight is not doubled."""
    from lt_pipeline.tools.stack_watch import DagsterUIError

    while kicks:
        job = kicks[0]
        if job == RESOLUTION_KICK and EXEC_KICK in kicked:
            runs = [r for r in ui.runs(limit=20, job=EXEC_KICK) if r["runId"] == kicked[EXEC_KICK]]
            if runs and runs[0]["status"] in {"QUEUED", "NOT_STARTED", "STARTING", "STARTED"}:
                return
        kicks.pop(0)
        if not ui.in_flight(job):
            try:
                kicked[job] = ui.launch(job, {"lt/trigger": "lt_run_start"})
            except DagsterUIError as error:
                say_line(f"WARNING: could not launch a first {job} run ({error}); its schedule will start it")
                continue
            say_line(f"launched a first {job} run: {ui.url}/runs/{kicked[job]}")


def _wait_for_code(ui, webserver: Child, stack: Stack, timeout_s: float = 240) -> None:
    from lt_pipeline.tools.stack_watch import DagsterUIError

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if webserver.process.poll() is not None:
            raise StackError(f"the webserver exited while loading the code; see {webserver.log}")
        try:
            status, error = ui.location_status()
        except DagsterUIError:
            status, error = "LOADING", None
        if error:
            raise StackError(f"the pipeline's code did not load in Dagster: {error.strip().splitlines()[0]}; "
                             f"see {webserver.log} or `dg check defs`")
        if status == "LOADED":
            return
        time.sleep(1)
    raise StackError(f"the pipeline's code did not load in Dagster within {timeout_s:.0f} s; see {webserver.log}")


def _banner(settings: Settings, ui_url: str, dashboard: str | None, logs: Path, automation: dict[str, str],
            stopped: list[str]) -> None:
    on = len(automation) - len(stopped)
    say("")
    say("The embedded stack is up:")
    running = f"{on} of {len(automation)} schedules and sensors running" if automation else "schedules and sensors unknown"
    say(f"  Dagster UI  {ui_url}   runs, asset checks and plots ({running})")
    say(f"  dashboard   {dashboard or '(not installed yet: lt_pipeline.tools.web_serve; `lt report` in the terminal)'}"
        + ("   live twins against paper" if dashboard else ""))
    if settings.is_embedded:
        say(f"  emulator    {settings.clob_host}   the local Polymarket (state in {emulator_state_dir(settings)})")
    say(f"  logs        {logs}/{{emulator,daemon,webserver,web,engine}}.log")
    if stopped:
        say(f"WARNING: stopped in this instance (turn them on in the UI's Automation page): {', '.join(stopped)}")
    say("First paper orders, live orders and fills usually show within 2-4 minutes; positions settle as markets "
        "resolve (the shortest in 10-30 minutes).")
    say("Ctrl-C stops everything; `lt run` again resumes; `lt reset --yes` starts over from nothing.")
    say("")


if __name__ == "__main__":
    sys.exit(main())
