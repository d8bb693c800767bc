"""The Dagster instance keeps every step event of a run in its event log (the UI) but prints only INFO
and above on the console, which is the daemon's log file under `lt run`: at DEBUG it grew by about
20 MB a day."""

from pathlib import Path

import dagster as dg
import yaml

from lt_pipeline.instance import embedded_dagster_home

REPOSITORY_INSTANCE = Path(__file__).resolve().parents[2] / "dagster.yaml"


@dg.asset
def tiny(context: dg.AssetExecutionContext) -> int:
    context.log.info("tiny ran")
    return 1


def test_a_runs_step_events_are_stored_but_not_printed(tmp_path, capfd):
    home = embedded_dagster_home(tmp_path)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.materialize([tiny], instance=instance)
        stored = {e.dagster_event.event_type_value for e in instance.all_logs(result.run_id) if e.dagster_event}
    printed = "".join(capfd.readouterr())
    assert result.success and {"STEP_START", "STEP_SUCCESS", "ASSET_MATERIALIZATION"} <= stored
    assert "tiny ran" in printed  # what a run says at INFO still shows
    assert "STEP_START" not in printed and "DEBUG" not in printed


def test_production_prints_at_the_same_level(tmp_path):
    embedded = yaml.safe_load((embedded_dagster_home(tmp_path) / "dagster.yaml").read_text())
    production = yaml.safe_load(REPOSITORY_INSTANCE.read_text())
    assert production["python_logs"] == embedded["python_logs"] == {"python_log_level": "INFO"}
