"""The `lt db` commands as a user runs them: real processes, real databases."""

import os
import subprocess
import sys


def lt(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LT_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "lt_pipeline.tools.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_db_status_then_upgrade_on_sqlite_and_postgresql(ledger_url, tmp_path):
    env = {"LT_LEDGER_URL": ledger_url, "LT_STATE_DIR": str(tmp_path)}
    before = lt("db", "status", env_extra=env)
    assert before.returncode == 1
    assert "run `lt db upgrade`" in before.stdout

    upgraded = lt("db", "upgrade", env_extra=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "at the latest migration" in upgraded.stdout

    after = lt("db", "status", env_extra=env)
    assert after.returncode == 0
    assert "at the latest migration" in after.stdout


def test_malformed_ledger_url_is_one_line_and_exit_code_2(tmp_path):
    result = lt("db", "upgrade", env_extra={"LT_LEDGER_URL": "sqlite-ish:/nowhere", "LT_STATE_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("lt: LT_LEDGER_URL: expected")
    assert "Traceback" not in result.stderr


def test_password_in_ledger_url_is_not_printed(pg_url, tmp_path):
    url = pg_url.replace("postgres@", "postgres:s3cret-pw@")  # trust auth ignores the password
    result = lt("db", "upgrade", env_extra={"LT_LEDGER_URL": url, "LT_STATE_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "s3cret-pw" not in result.stdout + result.stderr


def test_lt_reset_starts_the_embedded_setup_over_only_when_told_and_never_in_production(tmp_path):
    import os
    import subprocess
    import sys

    state = tmp_path / "state"
    (state / "emulator").mkdir(parents=True)
    (state / "ledger.db").write_text("x")
    env = {**os.environ, "LT_STATE_DIR": str(state)}
    env.pop("LT_LEDGER_URL", None)
    lt = [sys.executable, "-m", "lt_pipeline.tools.cli", "reset"]
    asked = subprocess.run(lt, env=env, capture_output=True, text=True)
    assert asked.returncode == 2 and "lt reset --yes" in asked.stderr and (state / "ledger.db").exists()
    done = subprocess.run([*lt, "--yes"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and list(state.iterdir()) == []
    production = subprocess.run([*lt, "--yes"], env={**env, "LT_DEPLOYMENT": "production"}, capture_output=True, text=True)
    assert production.returncode == 2 and "refused" in production.stderr


def test_help_lists_every_command_and_the_exit_codes():
    from lt_pipeline.tools.cli import lt as group

    result = lt("--help", env_extra={})
    assert result.returncode == 0
    for name in ("user", "wallets", "strategy", "halt", "unhalt", "dashboard", "order", "orders", "why", "report",
                 "backfill", "db", "emulator", "bench", "drill", "run", "web", "demo", "reset", "dagster-home"):
        assert name in group.commands, name
        assert f"  {name} " in result.stdout, name
    assert "Exit codes:" in result.stdout and "1  not found or failed" in result.stdout and "2  bad usage" in result.stdout


def test_every_option_of_every_command_says_what_it_takes():
    """Help text with units and choices: each option has help, and each value option a metavar or choices."""
    import click

    from lt_pipeline.tools.cli import lt as group
    from lt_pipeline.tools.report import Words

    def walk(command, path):
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path), command

    for path, command in walk(group, ["lt"]):
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help, f"{path} {param.opts[0]} has no help"
                if not param.is_flag:
                    assert param.metavar or isinstance(param.type, (click.Choice, click.DateTime, click.IntRange, Words)), (
                        f"{path} {param.opts[0]} says neither unit nor choices")


def test_delegated_tools_keep_their_own_options(monkeypatch, capsys):
    """`lt bench analytics --orders 10` and `lt run --port 3001` reach the tool's own parser unchanged."""
    import types

    from lt_pipeline.tools import cli

    seen = {}
    fake = types.SimpleNamespace(main=lambda argv: seen.setdefault("argv", argv) and 7)
    monkeypatch.setitem(sys.modules, "lt_pipeline.tools.stack", fake)
    assert cli.main(["run", "--port", "3001", "--help"]) == 7 and seen["argv"] == ["--port", "3001", "--help"]
    code = cli.main(["bench", "analytics", "--help"])
    assert code == 0 and "--orders" in capsys.readouterr().out
    assert cli.main(["emulator", "serve", "--no-such-flag"]) == 2  # the tool's own usage error, its own code
