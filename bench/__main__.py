"""`python -m bench`: training time, model load time, parse latency and peak memory.

Run on the machine itself; every figure is one measurement of this run, printed as a table and
written to bench-results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def parse_latencies(agent, texts: list[str], rounds: int) -> list[float]:  # noqa: ANN001
    """Milliseconds per `agent.parse_message`, after one warm-up pass."""
    for text in texts[:20]:
        await agent.parse_message(text)
    timings = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            await agent.parse_message(text)
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    """Measure and print."""
    from bot import model
    from bot.cli import configure_logging
    from bot.nlu.datacheck import load_examples
    from bot.settings import get_settings

    args = argparse.ArgumentParser(prog="bench")
    args.add_argument("--rounds", type=int, default=3, help="passes over the held-out messages")
    args.add_argument("--skip-training", action="store_true", help="do not time a full retrain")
    opts = args.parse_args()
    configure_logging(False)
    warnings.filterwarnings("ignore")
    settings = get_settings()
    figures: dict[str, float | int | str] = {}

    if not opts.skip_training:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            model.train(settings, output=Path(tmp), force=True, fixed_name="bench")
            figures["training time, full model, no cache (s)"] = time.perf_counter() - start

    model_path = model.train(settings)  # the matching model (trained if missing)
    start = time.perf_counter()
    agent = model.load_agent(model_path)
    figures["model load time (s)"] = time.perf_counter() - start

    texts = [e.text for e in load_examples([settings.root / "tests" / "nlu" / "heldout.yml"])]
    timings = asyncio.run(parse_latencies(agent, texts, opts.rounds))
    figures["messages parsed"] = len(timings)
    figures["parse latency p50 (ms)"] = percentile(timings, 50)
    figures["parse latency p95 (ms)"] = percentile(timings, 95)
    figures["parse latency mean (ms)"] = statistics.fmean(timings)
    figures["peak memory, this process (MiB)"] = peak_rss_mb()
    figures["cpu cores"] = os.cpu_count() or 0

    width = max(len(k) for k in figures)
    print(f"{'measure':{width}}  value")
    for key, value in figures.items():
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"{key:{width}}  {shown}")
    out = settings.root / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
