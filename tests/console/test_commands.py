"""`donghanh operator add|list|disable`: the password comes from stdin or a prompt, never argv."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.console.commands import FIRST_RUN_HINT, first_run_hint
from bot.console.security import verify_password
from bot.settings import Settings
from bot.storage.store import Store


@pytest.fixture
def local(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'ops.db'}", "DONGHANH_DATA_DIR": str(tmp_path)}
    )


def run(settings: Settings, argv: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    from bot import cli

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    parser = build_parser(settings)
    args = parser.parse_args(argv)
    return cli.COMMANDS[args.command](args, settings)


def test_add_list_disable(
    local: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(local.database_url)
    assert first_run_hint(store) == FIRST_RUN_HINT
    assert (
        run(
            local,
            ["operator", "add", "lan", "--role", "supervisor"],
            "a long password\n",
            monkeypatch,
        )
        == 0
    )
    assert first_run_hint(store) is None
    found = store.operator("lan")
    assert found is not None and found[0].role == "supervisor"
    assert found[1].startswith("$argon2id$") and verify_password(found[1], "a long password")
    assert run(local, ["operator", "list"], "", monkeypatch) == 0
    assert "lan\tsupervisor\tactive" in capsys.readouterr().out
    assert run(local, ["operator", "disable", "lan"], "", monkeypatch) == 0
    assert not store.operator("lan")[0].active  # type: ignore[index]
    assert run(local, ["operator", "disable", "ghost"], "", monkeypatch) == 2


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["operator", "add", "Lan Anh"], "a long password\n", "username"),
        (["operator", "add", "lan"], "short\n", "10 to 256"),
        (["operator", "add", "lan"], "", "10 to 256"),
    ],
)
def test_bad_input(
    local: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    stdin: str,
    message: str,
) -> None:
    assert run(local, argv, stdin, monkeypatch) == 2
    assert message in capsys.readouterr().err
    assert Store.open(local.database_url).count_operators() == 0


def test_duplicate_and_password_never_on_the_command_line(
    local: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(local, ["operator", "add", "lan"], "a long password\n", monkeypatch) == 0
    assert run(local, ["operator", "add", "lan"], "a long password\n", monkeypatch) == 2
    with pytest.raises(SystemExit):
        build_parser(local).parse_args(["operator", "add", "minh", "--password", "secret12345"])
