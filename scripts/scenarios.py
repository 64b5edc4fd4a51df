"""Run multi-turn scenarios through the real conversation core and write their transcripts.

    .venv/bin/python scripts/scenarios.py tests/conversations/blind/scenarios.yml OUT_DIR

Each scenario (`id`, `voice`, `night`, `turns`) is one person writing on the web chat; a day-time
scenario has a counsellor active in the console (on duty), a night-time one nobody. Writes
OUT_DIR/transcripts.md (for a human or a judge) and OUT_DIR/checks.json with what is checked by
code: no reply repeated from the previous turn (nor an answer from any earlier one), the voice
kept (no adult address to a child, no child address to an adult), every message written while
waiting in the case, 111 in the first reply to a message the triage calls urgent, and no question
before it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import uuid
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LONG_REPLY = 120  # characters: a reply this long is an answer, not a note that may recur
ADULT = {"parent": "anh/chị", "grandparent": "ông/bà", "teacher": "thầy/cô"}
CHILD_ADDRESS = re.compile(r"(^|\n|\. )Em |\bem (có|hãy|gọi|cứ|đang|muốn|nhé|ơi)\b")


def voice_kept(voice: str, texts: list[str]) -> bool:
    """No adult address to a child; no child address (or another adult's) to an adult."""
    joined = "\n".join(texts)
    if voice in ("child", "bystander_child"):
        return not any(a in joined for a in ADULT.values())
    own = ADULT.get(voice, "anh/chị")
    # another adult (a teacher, a social worker) may be a teacher, addressed "thầy/cô", who reads
    # the pupil called "em"
    allowed = {own, "thầy/cô"} if voice == "other_adult" else {own}
    others = [a for a in ADULT.values() if a not in allowed]
    if any(a in joined for a in others):
        return False
    teacher = voice == "teacher" or (voice == "other_adult" and "thầy/cô" in joined.lower())
    return teacher or not CHILD_ADDRESS.search(joined)


async def run(path: Path, out: Path) -> dict[str, Any]:
    """Run every scenario; return the checks."""
    from bot import runtime
    from bot.content import load_content
    from bot.core import Core
    from bot.engine import model
    from bot.engine.conversations import Engine
    from bot.messages import IncomingMessage
    from bot.pseudonym import Pseudonymizer
    from bot.settings import Settings
    from tests.helpers.fakes import MemoryStore

    settings = Settings.from_env({"DONGHANH_DATA_DIR": str(out / "data")})
    store = MemoryStore()
    content = load_content()
    runtime.install(runtime.Services(settings, content, store))
    found = model.latest_model(settings)
    if found is None:
        raise SystemExit("no trained model: run `donghanh train` first")
    agent = model.load_agent(found)
    core = Core(
        Engine(agent),
        store,
        Pseudonymizer(b"k" * 32),
        content,
        max_chars=settings.max_message_chars,
    )
    lines: list[str] = []
    checks: dict[str, Any] = {}
    for scenario in yaml.safe_load(path.read_text(encoding="utf-8")):
        store.seen.clear()
        if not scenario.get("night"):
            store.mark_active("counsellor", datetime.now(timezone.utc))
        person = uuid.uuid4().hex
        pseudonym = core.person_id("web", person)
        lines += [f"## {scenario['id']} ({scenario['voice']}, {'night' if scenario.get('night') else 'day'})",
                  f"_{scenario['persona']}_", ""]  # fmt: skip
        previous: list[str] = []
        earlier: set[str] = set()
        result = {"repeats": 0, "sent_before": 0, "voice_lost": 0, "waiting_lost": 0,
                  "urgent_without_111": 0, "question_before_111": 0,
                  "turns": len(scenario["turns"])}  # fmt: skip
        for text in scenario["turns"]:
            before = await agent.tracker_store.retrieve(pseudonym)
            waiting = bool(before and before.get_slot("waiting"))
            replies = [r.text for r in await core.handle(IncomingMessage("web", person, str(text)))]
            parse = await agent.parse_message(str(text))
            urgent = (parse.get("intent") or {}).get("name") in ("urgent_danger", "self_harm")
            result["repeats"] += bool(set(replies) & set(previous))
            # an answer (not a short note) already sent at any earlier turn of the conversation
            result["sent_before"] += any(r in earlier for r in replies if len(r) >= LONG_REPLY)
            earlier |= set(replies)
            result["voice_lost"] += not voice_kept(scenario["voice"], replies)
            first = replies[0] if replies else ""
            hotline = [first.index(n) for n in ("111", "115") if n in first]
            if urgent and not hotline:
                result["urgent_without_111"] += 1
            elif urgent and "?" in first[: min(hotline)]:  # never a question before the hotline
                result["question_before_111"] += 1
            if waiting:
                case_lines = [m["text"] for c in store.escalations if c["person_id"] == pseudonym
                              for m in c["context"].get("last_messages", [])]  # fmt: skip
                result["waiting_lost"] += str(text) not in case_lines
            lines.append(f"**Người dùng:** {text}")
            lines += [f"> {r}".replace("\n", "\n> ") for r in replies] + [""]
            previous = replies
        checks[scenario["id"]] = result
        lines += [f"answered_when: {scenario.get('answered_when', '').strip()}", "", "---", ""]
    (out / "transcripts.md").write_text("\n".join(lines), encoding="utf-8")
    (out / "checks.json").write_text(json.dumps(checks, indent=1), encoding="utf-8")
    return checks


def main() -> None:
    """Command line: scenarios file, output folder."""
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    path, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    checks = asyncio.run(run(path, out))
    totals = {k: sum(c[k] for c in checks.values()) for k in next(iter(checks.values()))}
    print(json.dumps(totals))


if __name__ == "__main__":
    main()
