"""Cold start and NLU parse latency, measured in a fresh process (`python -m bench --parse-child`).

The parent passes the wall-clock time at which it spawned this process, so "cold start" covers
the interpreter, every import (TensorFlow included) and loading the model, as a real start does.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.stats import percentile


async def parse_latencies(agent: Any, texts: list[str], rounds: int) -> list[float]:
    """Milliseconds per `agent.parse_message`, after one warm-up pass over 20 texts."""
    for text in texts[:20]:
        await agent.parse_message(text)
    timings = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            await agent.parse_message(text)
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def measure_here(model: Path, texts: list[str], rounds: int, spawned_at: float) -> dict[str, float]:
    """Load `model` cold, then time parsing `texts` `rounds` times (runs in the child)."""
    import warnings

    from bot.cli import configure_logging
    from bot.engine.model import load_agent

    configure_logging(False)
    warnings.filterwarnings("ignore")
    agent = load_agent(model)
    loaded = time.time() - spawned_at
    timings = asyncio.run(parse_latencies(agent, texts, rounds))
    return {
        "cold_start_s": loaded,
        "parsed": len(timings),
        "parse_p50_ms": percentile(timings, 50),
        "parse_p95_ms": percentile(timings, 95),
        "parse_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(root: Path, model: Path, texts_file: Path, rounds: int,
            env: dict[str, str] | None = None) -> dict[str, float]:  # fmt: skip
    """Spawn the child on `model` (in `root`, with `env`) and return its figures."""
    command = [sys.executable, "-m", "bench", "--parse-child", str(model),
               "--texts", str(texts_file), "--rounds", str(rounds),
               "--spawned-at", repr(time.time())]  # fmt: skip
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"parse measurement failed:\n{done.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def child_main(model: str, texts_file: str, rounds: int, spawned_at: float) -> None:
    """Entry point of the child: print the figures as one JSON line."""
    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    print(json.dumps(measure_here(Path(model), texts, rounds, spawned_at)))
