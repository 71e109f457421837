"""The development configuration `make run` records (var/dev.json) and the CLI run from any
directory: the README's commands work without exporting anything, production still needs its
secret, and expected errors are one line."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import app.settings
from app.cli import main
from app.db import Database
from app.settings import (
    DEV_CONFIG_FILE,
    DEV_SECRET_KEY,
    MIN_SECRET_LENGTH,
    Settings,
    SettingsError,
    effective_environment,
    write_dev_config,
)
from seats import credentials, orgs

CLI = Path(sys.executable).with_name("scim-seats")


def _config(data: Path) -> dict[str, str]:
    return json.loads((data / DEV_CONFIG_FILE).read_text())


def test_the_file_holds_a_private_random_key_made_once(tmp_path: Path) -> None:
    data = tmp_path / "var"
    path = write_dev_config({"SCIM_DATA_DIR": str(data)})
    assert path == data / DEV_CONFIG_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = _config(data)
    assert first["SCIM_DEV"] == "1" and "SCIM_DATABASE_URL" not in first
    assert len(first["SCIM_SECRET_KEY"]) >= MIN_SECRET_LENGTH
    assert first["SCIM_SECRET_KEY"] != DEV_SECRET_KEY
    write_dev_config({"SCIM_DATA_DIR": str(data)})
    assert _config(data)["SCIM_SECRET_KEY"] == first["SCIM_SECRET_KEY"]
    assert [p.name for p in data.iterdir()] == [DEV_CONFIG_FILE]  # no temporary file left


def test_a_relative_sqlite_url_is_recorded_absolute(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"SCIM_DATA_DIR": "var", "SCIM_DATABASE_URL": "sqlite:///other/x.db"}
    write_dev_config(env)
    recorded = _config(tmp_path / "var")["SCIM_DATABASE_URL"]
    assert recorded == f"sqlite:///{tmp_path}/other/x.db"
    write_dev_config({"SCIM_DATA_DIR": "var"})  # a later run without a URL: the default again
    assert "SCIM_DATABASE_URL" not in _config(tmp_path / "var")


def test_the_environment_wins_and_production_ignores_the_file(tmp_path: Path) -> None:
    base = {"SCIM_DATA_DIR": str(tmp_path)}
    write_dev_config(base)
    key = _config(tmp_path)["SCIM_SECRET_KEY"]
    merged, used = effective_environment({**base, "SCIM_BASE_URL": "http://h:1"})
    assert used == tmp_path / DEV_CONFIG_FILE
    assert (merged["SCIM_DEV"], merged["SCIM_SECRET_KEY"], merged["SCIM_BASE_URL"]) == (
        "1", key, "http://h:1")
    for mode in ({"SCIM_SECRET_KEY": "p" * 40}, {"SCIM_DEV": "0"}, {"SCIM_DEV": "1"}):
        merged, used = effective_environment({**base, **mode})
        assert used is None and merged == {**base, **mode}


def test_settings_of_the_process_read_the_file(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SCIM_DEV", "SCIM_SECRET_KEY", "SCIM_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCIM_DATA_DIR", str(tmp_path))
    with pytest.raises(SettingsError, match="SCIM_SECRET_KEY must be set"):
        Settings.from_env()  # no file yet: production rules
    write_dev_config(os.environ)
    settings = Settings.from_env()
    assert settings.dev_mode and settings.dev_config == tmp_path / DEV_CONFIG_FILE
    assert settings.secret_key == _config(tmp_path)["SCIM_SECRET_KEY"]
    assert settings.database_url == f"sqlite:///{tmp_path}/scim-seats.db"


@pytest.mark.parametrize("content",
                         ["not json", '["SCIM_DEV"]', '{"PATH": "/bin"}', '{"SCIM_DEV": 1}'])
def test_a_broken_file_is_one_clear_error(tmp_path: Path, content: str) -> None:
    (tmp_path / DEV_CONFIG_FILE).write_text(content)
    with pytest.raises(SettingsError, match=DEV_CONFIG_FILE):
        effective_environment({"SCIM_DATA_DIR": str(tmp_path)})


def test_an_installed_package_has_no_default_database(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.settings, "_CHECKOUT_ROOT", tmp_path)  # no pyproject.toml there
    with pytest.raises(SettingsError, match="SCIM_DATABASE_URL must be set"):
        Settings.from_env({"SCIM_DEV": "1"})


def _run_elsewhere(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)


def test_the_cli_from_another_directory(tmp_path: Path) -> None:
    """Fails in one line, creates nothing where it runs, then works once set up."""
    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
    env["SCIM_DATA_DIR"] = str(data)

    no_config = _run_elsewhere(elsewhere, env, "seats", "demo")
    assert (no_config.returncode, no_config.stdout) == (1, "")
    assert no_config.stderr.startswith("Error: SCIM_SECRET_KEY must be set")
    assert no_config.stderr.count("\n") == 1

    assert _run_elsewhere(elsewhere, env, "dev-config").returncode == 0
    no_database = _run_elsewhere(elsewhere, env, "seats", "demo")
    assert no_database.returncode == 1
    assert no_database.stderr == (f"Error: no database at {data}/scim-seats.db: run `make run` in "
                                  "the checkout (or `scim-seats db upgrade`) first, or set "
                                  "SCIM_DATABASE_URL\n")

    for step in (["db", "upgrade"], ["demo"]):
        assert _run_elsewhere(elsewhere, env, *step).returncode == 0
    seats = _run_elsewhere(elsewhere, env, "seats", "demo")
    assert seats.stdout == "total 5 / assigned 0 / free 5\n"
    assert list(elsewhere.iterdir()) == []
    companions = ("-wal", "-shm", "-writers")  # SQLite's, and the writers' queue (app/db.py)
    assert sorted(p.name for p in data.iterdir() if not p.name.endswith(companions)) == [
        DEV_CONFIG_FILE, "scim-seats.db"]


def test_an_unreachable_database_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIM_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = CliRunner().invoke(main, ["seats", "demo"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: database error: connection failed")
    assert result.output.count("\n") == 1


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def _token(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("SCIM token:")).split()[-1]


def test_demo_replaces_its_token_instead_of_piling_them_up(cli: Callable[..., str],
                                                           database: Database) -> None:
    slug = f"demo-{os.urandom(4).hex()}"
    first = cli("demo", "--slug", slug)
    assert "revoked" not in first
    second = cli("demo", "--slug", slug)
    assert "new this run; 1 earlier 'demo' token(s) revoked" in second
    with database.transaction() as session:
        assert credentials.token_by_secret(session, _token(first)) is None
        assert credentials.token_by_secret(session, _token(second)) is not None
        org_id = orgs.org_by_slug(session, slug).id
        live = [t for t in credentials.list_tokens(session, org_id) if t.revoked_at is None]
    assert [t.name for t in live] == ["demo"]
