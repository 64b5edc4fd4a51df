from pathlib import Path

from bot.settings import ROOT, Settings, _read_dotenv


def test_defaults_keep_everything_under_the_project() -> None:
    s = Settings.from_env({})
    assert s.models_dir == ROOT / "models"
    assert s.database_url == f"sqlite:///{ROOT / 'data' / 'donghanh.db'}"
    assert s.max_message_chars == 4000
    assert s.min_urgent_recall == 1.0


def test_environment_overrides() -> None:
    s = Settings.from_env(
        {"DATABASE_URL": "postgresql://127.0.0.1/test", "DONGHANH_MAX_MESSAGE_CHARS": "500"}
    )
    assert s.database_url == "postgresql://127.0.0.1/test"
    assert s.max_message_chars == 500


def test_the_redis_key_prefix_defaults_to_the_bots_name() -> None:
    assert Settings.from_env({}).redis_key_prefix == "donghanh:"
    assert Settings.from_env({"REDIS_KEY_PREFIX": "bot2:"}).redis_key_prefix == "bot2:"


def test_dotenv_parsing(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# comment\nA=1\nB = 'two'\n\nbroken line\n", encoding="utf-8")
    assert _read_dotenv(env) == {"A": "1", "B": "two"}
    assert _read_dotenv(tmp_path / "missing") == {}


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    import re

    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot").rglob("*.py"))
    names = set(re.findall(r'env\.get\(\s*"([A-Z_]+)"', source))
    assert names, "no settings found"
    missing = sorted(n for n in names if f"`{n}`" not in readme)
    assert missing == []
