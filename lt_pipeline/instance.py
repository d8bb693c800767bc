"""The embedded Dagster instance: SQLite storage under the state folder, a 1 s queue, run monitoring.

Production uses the repository's dagster.yaml (PostgreSQL from the environment) in its own DAGSTER_HOME.
"""

from __future__ import annotations

from pathlib import Path

EMBEDDED_INSTANCE = """\
# Written by lt_pipeline for the embedded default; production uses the repository's dagster.yaml.
storage:
  sqlite:
    base_dir: {base_dir}
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 2
    dequeue_interval_seconds: 1
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_runtime_seconds: 1800
  poll_interval_seconds: 30
retention:
  schedule:
    purge_after_days: 7
  sensor:
    purge_after_days:
      skipped: 1
      failure: 14
      success: 7
python_logs:
  # Runs print INFO and above on their console (the daemon's and webserver's logs: Dagster prints every
  # step event at DEBUG, about 20 MB a day). Events are stored in each run's event log whatever this says.
  python_log_level: INFO
telemetry:
  enabled: false
"""


def embedded_dagster_home(state_dir: Path) -> Path:
    """Create (or refresh) the embedded instance's DAGSTER_HOME and return it."""
    home = (state_dir / "dagster").absolute()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    text = EMBEDDED_INSTANCE.format(base_dir=home / "storage")
    if not config.exists() or config.read_text() != text:
        config.write_text(text)
    return home


def fail_runs_left_in_flight(home: Path) -> list[str]:
    """Mark as failed the runs a previous session of the embedded stack left queued or started (its
    processes are gone: Ctrl-C, a crash, a reboot), so schedules that skip while a run is in flight
    do not skip forever. Call it only while no daemon or webserver uses this instance."""
    import dagster as dg

    in_flight = [
        dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING,
    ]
    failed = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for record in instance.get_run_records(filters=dg.RunsFilter(statuses=in_flight)):
            run = record.dagster_run
            instance.report_run_failed(run, "the embedded stack stopped while this run was in flight (lt run)")
            failed.append(f"{run.job_name} {run.run_id[:8]}")
    return failed


def main(argv: list[str] | None = None) -> int:
    from lt_pipeline.settings import load_settings

    print(embedded_dagster_home(load_settings().state_dir))
    return 0
