"""`lt run`: the embedded stack in one command — ledger migrations, the local emulator (embedded
default only; its state kept in LT_STATE_DIR/emulator/ and resumed on the next run), the Dagster
webserver on 127.0.0.1:3000 and the Dagster daemon; Ctrl-C stops them all."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from lt_pipeline.instance import embedded_dagster_home
from lt_pipeline.ledger import migrate
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
EMULATOR_STATE = "emulator"  # under the state folder (LT_STATE_DIR)


def emulator_state_dir(settings: Settings) -> Path:
    """Where the embedded emulator keeps its state between runs."""
    return settings.state_dir / EMULATOR_STATE


def emulator_command(settings: Settings, bin_dir: Path, *, fresh: bool = False) -> list[str]:
    """The `lt emulator serve` command line of the embedded stack."""
    command = [
        str(bin_dir / "lt"), "emulator", "serve",
        "--host", settings.emulator_host, "--port", str(settings.emulator_port),
        "--seed", str(settings.emulator_seed),
        "--state-dir", str(emulator_state_dir(settings)),
    ]
    return command + (["--fresh"] if fresh else [])


def _workspace_file(settings: Settings) -> Path:
    shipped = REPO_ROOT / "workspace.yaml"
    if shipped.exists():
        return shipped
    generated = settings.state_dir / "workspace.yaml"
    generated.write_text(
        "load_from:\n  - python_module:\n      module_name: lt_pipeline.definitions\n"
        "      location_name: lt_pipeline\n"
    )
    return generated


def _wait_until_up(url: str, process: subprocess.Popen, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"lt run: {what} exited with code {process.returncode} while starting")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"lt run: {what} did not answer at {url} within {timeout_s:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lt run", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="webserver address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3000, help="webserver port (default 3000)")
    parser.add_argument("--no-emulator", action="store_true", help="do not start the local emulator")
    parser.add_argument(
        "--fresh-emulator", action="store_true",
        help="discard the emulator's saved state (LT_STATE_DIR/emulator) and start it anew; the ledger keeps its "
             "records, which the new venue will not know",
    )
    args = parser.parse_args(argv)

    settings = load_settings()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    ledger = migrate.upgrade(make_engine(settings.ledger_url))
    print(f"ledger {settings.ledger_url_redacted}: {ledger.describe()}", flush=True)

    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(embedded_dagster_home(settings.state_dir))
    env.setdefault("NO_PROXY", "127.0.0.1,localhost")
    bin_dir = Path(sys.executable).parent
    workspace = str(_workspace_file(settings))
    processes: list[tuple[str, subprocess.Popen]] = []

    def start(name: str, command: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(command, env=env, cwd=REPO_ROOT)
        processes.append((name, process))
        return process

    try:
        if settings.is_embedded and not args.no_emulator:
            emulator = start("emulator", emulator_command(settings, bin_dir, fresh=args.fresh_emulator))
            _wait_until_up(f"{settings.clob_host}/ok", emulator, "the emulator")
            print(f"emulator serving on {settings.clob_host} (state in {emulator_state_dir(settings)})", flush=True)
        start("daemon", [str(bin_dir / "dagster-daemon"), "run", "-w", workspace])
        webserver = start(
            "webserver",
            [str(bin_dir / "dagster-webserver"), "-h", args.host, "-p", str(args.port), "-w", workspace],
        )
        _wait_until_up(f"http://{args.host}:{args.port}/server_info", webserver, "the Dagster webserver", 180)
        print(f"Dagster UI on http://{args.host}:{args.port} (Ctrl-C stops everything)", flush=True)
        while all(process.poll() is None for _, process in processes):
            time.sleep(1)
        for name, process in processes:
            if process.poll() is not None:
                print(f"lt run: {name} exited with code {process.returncode}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for _, process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in reversed(processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
