import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.mark.slow  # a Rasa process: ~10 s
def test_rasa_data_validate_passes_without_warnings(root: Path) -> None:  # noqa: ANN001
    proc = subprocess.run(
        [
            str(BIN / "rasa"),
            "data",
            "validate",
            "--fail-on-warnings",
            "--domain",
            "domain.yml",
            "--data",
            "nlu_data",
            "--config",
            "config.yml",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
