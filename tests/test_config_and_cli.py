"""Settings and the `reelgraph` command."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from reelgraph.app import create_app
from reelgraph.config import ConfigError, Settings


def test_development_generates_and_keeps_a_private_jwt_secret(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}", jwt_secret=None)
    first = settings.resolved_jwt_secret()
    secret_file = tmp_path / ".reelgraph.jwt-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert settings.resolved_jwt_secret() == first  # kept, not regenerated


@pytest.mark.parametrize("secret", [None, "too-short"])
def test_production_refuses_to_start_without_a_strong_secret(tmp_path: Path, secret: str | None) -> None:
    settings = Settings(
        env="production", jwt_secret=secret, database_url=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    )
    with pytest.raises(ConfigError, match="REELGRAPH_JWT_SECRET"):
        create_app(settings)


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "REELGRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "REELGRAPH_CACHE_URL": "memory://",
        **env,
    }
    environment.pop("REELGRAPH_JWT_SECRET", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "reelgraph.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def test_cli_migrates_and_creates_the_first_admin(tmp_path: Path) -> None:
    assert _run(tmp_path, "migrate").returncode == 0
    created = _run(
        tmp_path,
        "create-user",
        "--email",
        "Root@Example.com",
        "--password",
        "a long admin secret",
        "--name",
        "Root",
        "--role",
        "ADMIN",
    )
    assert created.returncode == 0, created.stderr
    assert "root@example.com" in created.stdout and "ADMIN" in created.stdout
    duplicate = _run(
        tmp_path,
        "create-user",
        "--email",
        "root@example.com",
        "--password",
        "a long admin secret",
        "--name",
        "Root",
    )
    assert duplicate.returncode == 1 and "EMAIL_TAKEN" in duplicate.stderr
    weak = _run(tmp_path, "create-user", "--email", "x@example.com", "--password", "short", "--name", "X")
    assert weak.returncode == 1 and "WEAK_PASSWORD" in weak.stderr


def test_cli_serve_refuses_production_without_secret(tmp_path: Path) -> None:
    result = _run(tmp_path, "serve", "--port", "0", REELGRAPH_ENV="production")
    assert result.returncode == 2
    assert "REELGRAPH_JWT_SECRET" in result.stderr
