"""`donghanh` end to end, as a person runs it: a real process, the model trained for this run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.model


def _run(args: list[str], stdin: bytes = b"", env_extra: dict | None = None):  # noqa: ANN202
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=600,
        check=False,
    )


def test_parse_stdin_one_json_line_each_bad_lines_get_errors(trained_model: Path) -> None:
    lines = [
        "con tôi bị người lạ dọa tung ảnh".encode(),
        b"",
        b"\xff\xfe\xfd",
        ("a" * 4001).encode(),
        b"cai family link the nao",
    ]
    proc = _run(["parse", "--model", str(trained_model)], stdin=b"\n".join(lines) + b"\n")
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(out) == 5
    urgent, empty, binary, long, controls = out
    assert urgent["urgent"] is True and urgent["intent"] == "urgent_danger"
    assert set(urgent) >= {"text", "intent", "confidence", "urgent", "ranking"}
    assert len(urgent["ranking"]) == 3
    assert empty == {"error": "empty message"}
    assert binary["error"].startswith("not valid UTF-8")
    assert long["error"].startswith("message too long")
    assert controls["intent"] == "ask_parental_controls" and controls["urgent"] is False


def test_parse_text_argument(trained_model: Path) -> None:
    proc = _run(["parse", "--model", str(trained_model), "e muon chet"])
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    result = json.loads(proc.stdout)
    assert (result["intent"], result["urgent"]) == ("self_harm", True)


def test_eval_exits_1_below_the_urgent_recall_bar(trained_model: Path, tmp_path: Path) -> None:
    data = tmp_path / "eval.yml"
    data.write_text(
        'version: "3.1"\nnlu:\n- intent: urgent_danger\n  examples: |\n'
        "    - xin chào bạn nhé\n- intent: greet\n  examples: |\n    - chào ad\n",
        encoding="utf-8",
    )
    proc = _run(
        ["eval", str(data), "--model", str(trained_model), "--json", str(tmp_path / "s.json")]
    )
    assert proc.returncode == 1
    assert "urgent recall       0.000" in proc.stdout.decode()
    scores = json.loads((tmp_path / "s.json").read_text())
    assert scores["overall"]["urgent_recall"] == 0.0
    assert set(scores) == {"overall", "with_diacritics", "without_diacritics"}


def test_parse_without_a_model_says_how_to_get_one(tmp_path: Path) -> None:
    proc = _run(["parse", "xin chào"], env_extra={"DONGHANH_MODELS_DIR": str(tmp_path)})
    assert proc.returncode == 1
    assert "donghanh train" in proc.stderr.decode()


def test_chat_answers_an_urgent_message_with_111_first(trained_model: Path, tmp_path: Path) -> None:
    stdin = "xin chào\ncon tôi bị người lạ dọa tung ảnh\n/quit\n".encode()
    proc = _run(
        ["chat", "--model", str(trained_model)],
        stdin=stdin,
        env_extra={"DONGHANH_DATA_DIR": str(tmp_path), "DATABASE_URL": ""},
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    replies = [line for line in proc.stdout.decode().split("Bạn: ") if "Đồng Hành:" in line]
    urgent_reply = replies[-1]
    assert urgent_reply.strip().startswith("Đồng Hành:")
    assert "111" in urgent_reply
    assert (
        tmp_path / "donghanh.db"
    ).is_file()  # the conversation went to SQLite under the data folder
