"""`python -m bench`: training time, cold start, parse latency and peak memory.

Training is timed in this process; serving is measured in a fresh process (`--serve-only`), so the
load time includes the imports a real start pays and the memory is that of a serving process.
Every figure is one measurement of this run, printed as a table and written to
bench-results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
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


def serve_figures(rounds: int) -> dict[str, float | int]:
    """Cold start to a loaded model, then parse latency and peak memory: run in a fresh process."""
    start = time.perf_counter()
    from bot import model
    from bot.cli import configure_logging
    from bot.nlu.datacheck import load_examples
    from bot.settings import get_settings

    configure_logging(False)
    warnings.filterwarnings("ignore")
    settings = get_settings()
    path = model.current_model(settings) or model.latest_model(settings)
    if path is None:
        raise SystemExit("no trained model: run `make train` first")
    agent = model.load_agent(path)
    figures: dict[str, float | int] = {
        "cold start to model loaded (s)": time.perf_counter() - start
    }
    texts = [e.text for e in load_examples([settings.root / "tests" / "nlu" / "heldout.yml"])]
    timings = asyncio.run(parse_latencies(agent, texts, rounds))
    figures["messages parsed"] = len(timings)
    figures["parse latency p50 (ms)"] = percentile(timings, 50)
    figures["parse latency p95 (ms)"] = percentile(timings, 95)
    figures["parse latency mean (ms)"] = statistics.fmean(timings)
    figures["peak memory, serving process (MiB)"] = peak_rss_mb()
    return figures


def main() -> None:
    """Measure and print one table."""
    args = argparse.ArgumentParser(prog="bench")
    args.add_argument("--rounds", type=int, default=3, help="passes over the held-out messages")
    args.add_argument("--skip-training", action="store_true", help="do not time a full retrain")
    args.add_argument("--serve-only", action="store_true", help=argparse.SUPPRESS)
    opts = args.parse_args()
    if opts.serve_only:
        print(json.dumps(serve_figures(opts.rounds)))
        return

    from bot import model
    from bot.cli import configure_logging
    from bot.settings import get_settings

    configure_logging(False)
    warnings.filterwarnings("ignore")
    settings = get_settings()
    figures: dict[str, float | int | str] = {}
    if not opts.skip_training:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            model.train(settings, output=Path(tmp), force=True, fixed_name="bench")
            figures["training time, full model, no cache (s)"] = time.perf_counter() - start
    model.train(settings)  # the model that matches the data (trained if missing)
    serve = subprocess.run(
        [sys.executable, "-m", "bench", "--serve-only", "--rounds", str(opts.rounds)],
        capture_output=True, text=True, check=True, cwd=settings.root,
    )  # fmt: skip
    figures.update(json.loads(serve.stdout.strip().splitlines()[-1]))
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
