"""The Dagster code location loads, with the names that history hangs on pinned."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from lt_pipeline.defs.resources import LedgerResource

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def definitions(tmp_path, monkeypatch):
    monkeypatch.setenv("LT_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("LT_LEDGER_URL", raising=False)
    from lt_pipeline.definitions import defs

    loaded = defs()
    dg.Definitions.validate_loadable(loaded)
    return loaded


def test_definitions_load_with_the_shared_resources(definitions):
    assert {"ledger", "venue", "duckdb", "clock"} <= set(definitions.resources)
    assert definitions.resolve_job_def("prune_runs_job") is not None
    schedule = definitions.resolve_schedule_def("prune_runs_job_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_ledger_resource_refuses_a_database_behind_the_latest_migration(sqlite_url):
    resource = LedgerResource(url=sqlite_url)
    with pytest.raises(dg.DagsterResourceFunctionError) as error:
        with dg.build_resources({"ledger": resource}):
            pass
    assert "run `lt db upgrade`" in str(error.value.__cause__)


def test_dg_check_defs_passes(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LT_", "DAGSTER_"))}
    env["LT_STATE_DIR"] = str(tmp_path)
    home = subprocess.run(
        [sys.executable, "-m", "lt_pipeline.cli", "dagster-home"], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    env["DAGSTER_HOME"] = home
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "check", "defs"],
        cwd=REPO, capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr
