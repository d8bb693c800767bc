"""`lt run` without starting the stack: one-line refusals (unreachable ledger, unwritable state folder,
a second `lt run`, a taken port), finding the state folder from another folder, the seeded world being
created once, `lt reset` covering everything, and the lines the terminal shows."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

import pytest

from lt_pipeline.execution.strategies import list_strategies, pause
from lt_pipeline.ledger import migrate
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.settings import find_state_dir, load_settings
from lt_pipeline.tools import reset, stack
from lt_pipeline.tools.seed_world import SEED_WALLETS, TWIN_SETTINGS, seed_world
from lt_pipeline.tools.stack_watch import Progress

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def lt_env(monkeypatch, tmp_path):
    """A state folder of its own and free ports, with no ledger URL from the caller's environment."""
    state = tmp_path / "state"
    monkeypatch.setenv("LT_STATE_DIR", str(state))
    monkeypatch.setenv("LT_EMULATOR_PORT", str(free_port()))
    monkeypatch.delenv("LT_LEDGER_URL", raising=False)
    monkeypatch.delenv("LT_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("LT_DEPLOYMENT", raising=False)
    return state


def run_args() -> list[str]:
    return ["--port", str(free_port()), "--web-port", str(free_port())]


def one_line_error(capsys, starts: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith(starts), err
    assert err.strip().count("\n") == 0 and "Traceback" not in err, err
    return err


def test_an_unreachable_database_url_is_one_line(lt_env, monkeypatch, capsys):
    monkeypatch.setenv("LT_LEDGER_URL", "postgresql+psycopg2://u@127.0.0.1:1/x")
    assert stack.main(run_args()) == 2
    err = one_line_error(capsys, "lt run: cannot use the ledger postgresql+psycopg2://u@127.0.0.1:1/x (LT_LEDGER_URL): ")
    assert "refused" in err.lower() or "connect" in err.lower()


def test_an_unwritable_state_folder_is_one_line(tmp_path, lt_env, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LT_STATE_DIR", str(blocker / "state"))  # unwritable even for root
    assert stack.main(run_args()) == 2
    one_line_error(capsys, f"lt run: LT_STATE_DIR: cannot write the state folder {blocker / 'state'} (LT_STATE_DIR): ")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through folder permissions")
def test_a_read_only_state_folder_is_one_line(lt_env, capsys):
    lt_env.mkdir()
    lt_env.chmod(0o500)
    try:
        assert stack.main(run_args()) == 2
        one_line_error(capsys, "lt run: LT_STATE_DIR: cannot write the state folder")
    finally:
        lt_env.chmod(0o700)


def test_a_second_lt_run_on_the_same_state_is_refused_and_so_is_reset(lt_env, capsys):
    lt_env.mkdir()
    held = stack.hold_state_lock(load_settings())
    try:
        assert stack.main(run_args()) == 2
        one_line_error(capsys, f"lt run: another `lt run` (pid {os.getpid()}) is using {lt_env}")
        assert reset.main(["--yes"]) == 2
        one_line_error(capsys, f"lt reset: refused: `lt run` (pid {os.getpid()}) is using")
    finally:
        held.close()
    assert stack.state_in_use(lt_env) is None


def test_a_taken_port_is_one_line(lt_env, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert stack.main(["--port", str(port), "--web-port", str(free_port())]) == 2
    one_line_error(capsys, f"lt run: the Dagster UI: 127.0.0.1:{port} is taken")


def test_the_state_folder_is_found_from_another_folder_or_says_where_it_looked(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / ".lt_state").mkdir(parents=True)
    deep = project / "docs" / "deeper"
    deep.mkdir(parents=True)
    assert find_state_dir({}, deep) == (project / ".lt_state", f"found above {deep}; LT_STATE_DIR unset")
    assert find_state_dir({"LT_STATE_DIR": str(tmp_path / "x")}, deep) == (tmp_path / "x", "LT_STATE_DIR")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    found, origin = find_state_dir({}, elsewhere)  # run from this checkout: the project's own state
    assert found.name == ".lt_state" and (found.parent / "pyproject.toml").is_file()
    assert f"no .lt_state in {elsewhere} or above" in origin

    monkeypatch.setattr("lt_pipeline.settings.PROJECT_ROOT", tmp_path / "not-a-checkout")
    found, origin = find_state_dir({}, elsewhere)
    assert found == elsewhere / ".lt_state"
    assert origin.startswith(f"the current folder; LT_STATE_DIR unset, no .lt_state in {elsewhere} or above")


def test_the_world_is_seeded_once_and_the_users_changes_are_kept(tmp_path):
    settings = load_settings({"LT_STATE_DIR": str(tmp_path)})
    engine = make_engine(settings.ledger_url)
    migrate.upgrade(engine)

    first = seed_world(engine, settings, NOW)
    assert first.created == [f"LT_{w}" for w in SEED_WALLETS] == first.twins
    twins = list_strategies(engine, user_id=settings.default_user)
    assert all(t.launched_at == NOW and not t.is_paused for t in twins)
    assert str(twins[0].settings.max_total_exposure_usd) == TWIN_SETTINGS["max_total_exposure_usd"]

    pause(engine, twins[0].strategy_id, "the user paused it", NOW)
    again = seed_world(engine, settings, NOW.replace(hour=13))
    assert again.created == [] and again.already_seeded_at == NOW.isoformat()
    after = list_strategies(engine, user_id=settings.default_user)
    assert [t.strategy_id for t in after] == first.twins
    assert after[0].is_paused and all(t.launched_at == NOW for t in after)
    assert "seeded 2026-06-01" in again.describe()


def test_reset_removes_everything_the_stack_wrote(lt_env, tmp_path, monkeypatch, capsys):
    for folder in ("dagster/storage", "emulator", "logs"):
        (lt_env / folder).mkdir(parents=True)
    for file in ("ledger.db", "ledger.db-wal", "analytics.duckdb", "logs/daemon.log", "lt-run.lock", "demo-ledger-seed7.db"):
        (lt_env / file).write_text("x")
    elsewhere = tmp_path / "analytics-elsewhere.duckdb"
    elsewhere.write_text("x")
    monkeypatch.setenv("LT_DUCKDB_PATH", str(elsewhere))

    assert reset.main([]) == 2 and str(elsewhere) in capsys.readouterr().err
    assert reset.main(["--yes"]) == 0
    assert list(lt_env.iterdir()) == [] and not elsewhere.exists()


def test_the_terminal_tells_milestones_first_successes_and_failures_once():
    progress = Progress("http://ui")
    counts = {"paper_orders": 5, "live_orders": 0, "fills": 0, "paper_settled": 0, "live_settled": 0}
    assert progress.ledger_lines(counts) == []  # what was there before this session is no news
    assert progress.ledger_lines({**counts, "paper_orders": 7, "live_orders": 2}) == [
        "first paper (FT) order of this session (7 in the ledger)",
        "first live order placed of this session (2 in the ledger)",
    ]
    assert progress.ledger_lines({**counts, "paper_orders": 9, "live_orders": 3}) == []
    runs = [
        {"runId": "c", "jobName": "execution_job", "status": "FAILURE", "startTime": 130.0, "endTime": 133.0},
        {"runId": "b", "jobName": "execution_job", "status": "SUCCESS", "startTime": 120.0, "endTime": 124.0},
        {"runId": "a", "jobName": "execution_job", "status": "SUCCESS", "startTime": 110.0, "endTime": 113.0},
        {"runId": "old", "jobName": "resolution_job", "status": "FAILURE", "startTime": 50.0, "endTime": 51.0},
        {"runId": "d", "jobName": "resolution_job", "status": "STARTED", "startTime": 135.0, "endTime": None},
    ]
    assert progress.run_lines(runs, started_at=100.0) == [
        "first execution_job run succeeded in 3 s: http://ui/runs/a",
        "WARNING: execution_job run FAILURE: http://ui/runs/c",
    ]
    assert progress.run_lines(runs, started_at=100.0) == []
    assert "runs this session: 2 succeeded, 1 failed" in progress.summary()


def test_the_dashboard_starts_only_once_its_module_exists(monkeypatch):
    monkeypatch.setattr(stack, "WEB_MODULE", "lt_pipeline.tools.no_such_dashboard")
    assert stack.web_command("127.0.0.1", 3001, "http://127.0.0.1:3000") is None
    monkeypatch.setattr(stack, "WEB_MODULE", "lt_pipeline.tools.seed_world")
    command = stack.web_command("127.0.0.1", 3001, "http://127.0.0.1:3000")
    assert command[1:] == ["-m", "lt_pipeline.tools.seed_world", "--host", "127.0.0.1", "--port", "3001",
                           "--dagster-url", "http://127.0.0.1:3000"]


def test_a_command_run_before_any_state_exists_says_where_it_looked(tmp_path):
    from lt_pipeline.settings import missing_state_message

    settings = load_settings({"LT_STATE_DIR": str(tmp_path / "none-yet")})
    message = missing_state_message(settings)
    assert message.startswith(f"no ledger at {tmp_path / 'none-yet' / 'ledger.db'}: the state folder is ")
    assert "(LT_STATE_DIR)" in message and "make run" in message
    migrate.upgrade(make_engine(settings.ledger_url))
    assert missing_state_message(settings) is None
    assert missing_state_message(load_settings({"LT_LEDGER_URL": "postgresql+psycopg2://u@h/db"})) is None
