"""`donghanh run` and `chat` refuse to start in production without a secret key (exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def donghanh(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DONGHANH_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={
            **clean,
            "RASA_TELEMETRY_ENABLED": "false",
            "DONGHANH_DATA_DIR": str(tmp_path / "data"),
            "DONGHANH_MODELS_DIR": str(tmp_path / "models"),
            "DONGHANH_SECRET_KEY": "",  # wins over a .env file
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("command", ["run", "chat"])
def test_production_without_a_key_exits_2_with_one_line(tmp_path: Path, command: str) -> None:
    proc = donghanh([command], tmp_path, DONGHANH_ENV="production")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "donghanh: DONGHANH_SECRET_KEY must be set when DONGHANH_ENV=production"
    ]
    assert proc.stdout == "" and not (tmp_path / "data" / "secret.key").exists()


def test_production_with_a_key_goes_past_the_check(tmp_path: Path) -> None:
    proc = donghanh(["run"], tmp_path, DONGHANH_ENV="production", DONGHANH_SECRET_KEY="k" * 32)
    assert "No trained model" in proc.stderr  # the next thing it needs
    assert "DONGHANH_SECRET_KEY" not in proc.stderr and "Traceback" not in proc.stderr
