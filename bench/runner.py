"""One bench run: for each pipeline, train it, time parsing, serve it and load it, then the table.

Both pipelines see the same conversations (same seed) at the same concurrency levels, one after
the other on the same machine. Progress goes to stderr; the table to stdout; every figure also to
bench-results/latest.json, and each pipeline's figures to partial.json once measured.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from bench import load, parse, pipelines, servers
from bench.table import Figures, build_rows, render, with_before

FULL_PEOPLE = {1: 30, 20: 100, 200: 200}  # people per concurrency level (3-5 messages each)


@dataclass(frozen=True)
class Plan:
    """What to measure and how."""

    levels: tuple[int, ...] = (1, 20, 200)
    quick: bool = False
    only: str = ""  # measure one pipeline ("ours" or "default") only: development
    parse_texts: int = 500
    parse_rounds: int = 2
    workers: int = 1
    timeout: float = 10.0
    think: float = 0.0  # mean pause between a person's messages, in seconds
    reuse_models: bool = False
    models_dir: Path = Path("bench-results/models")
    postgres: bool = False
    admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    redis_url: str = "redis://127.0.0.1:6379/9"
    base_port: int = 18700
    seed: int = 6
    before: Path | None = None  # another checkout: its pipeline measured first, same run
    default_epochs: int = 0  # > 0: Rasa's default trained with fewer epochs, serving figures only


def quick_plan(**overrides: object) -> Plan:
    """Small and fast, for development: 20 people at once, models reused when present."""
    values: dict[str, object] = {"levels": (20,), "quick": True, "parse_texts": 100,
                                 "parse_rounds": 1, "reuse_models": True}  # fmt: skip
    values.update(overrides)
    return Plan(**values)  # type: ignore[arg-type]


def people_at(plan: Plan, level: int) -> int:
    """How many people talk at a level: a few rounds of `level` people (one round when quick)."""
    if plan.quick:
        return max(level, 10)
    return FULL_PEOPLE.get(level, max(30, level))


def progress(text: str) -> None:
    """A progress line on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


@contextmanager
def database(plan: Plan, folder: Path) -> Iterator[str]:
    """SQLite in `folder`, or a fresh PostgreSQL database dropped on exit."""
    if not plan.postgres:
        yield f"sqlite:///{folder / 'donghanh.db'}"
        return
    url = servers.create_database(plan.admin_url)
    try:
        yield url
    finally:
        servers.drop_database(plan.admin_url, url)


def level_figures(result: load.LevelResult) -> Figures:
    """The figures of one concurrency level, keyed `c<level>_…`."""
    key = f"c{result.concurrency}_"
    figures: Figures = {key + "errors": result.error_count, key + "throughput": result.throughput,
                        key + "answered": result.answered}  # fmt: skip
    for q in (50, 95):
        p = result.p(q)
        if p is not None:
            figures[f"{key}p{q}_ms"] = p
    return figures


def run_levels(urls: list[str], plan: Plan, pool: load.MessagePool,
               name: str) -> tuple[Figures, list[str]]:  # fmt: skip
    """Every concurrency level against running workers; figures and error notes."""
    figures: Figures = {}
    notes: list[str] = []
    run_id = secrets.token_hex(3)
    for level in plan.levels:
        progress(f"{name}: {level} concurrent people")
        people = load.conversations(pool, people_at(plan, level), seed=plan.seed + level,
                                    prefix=f"bench-{run_id}-c{level}")  # fmt: skip
        talk = load.run_level(urls, people, level, timeout=plan.timeout, think=plan.think)
        result = asyncio.run(talk)
        figures.update(level_figures(result))
        notes += [f"{name}, {level} concurrent: {kind} ×{n}"
                  for kind, n in result.errors.most_common()]  # fmt: skip
    return figures, notes


def serve_and_load(
    root: Path, model: Path, plan: Plan, pool: load.MessagePool, name: str,
    env: dict[str, str] | None = None,
) -> tuple[Figures, list[str]]:  # fmt: skip
    """Start the workers on `model`, warm them up, run every level, read their peak memory."""
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp,
        database(plan, Path(tmp)) as url,
    ):
        redis = plan.redis_url if plan.workers > 1 else ""
        cluster = servers.start(root, model, plan.workers, folder=Path(tmp), database_url=url,
                                redis_url=redis, base_port=plan.base_port,
                                extra_env=env)  # fmt: skip
        try:
            asyncio.run(load.warm_up(cluster.urls, list(pool.topics[:8]), timeout=60))
            figures, notes = run_levels(cluster.urls, plan, pool, name)
            figures["ready_s"] = cluster.ready_seconds
            figures["worker_peak_mib"] = max(cluster.peak_rss_mib())
        finally:
            servers.stop(cluster)
    return figures, notes


def parse_texts(pool: load.MessagePool, count: int, seed: int) -> list[str]:
    """A reproducible sample of typed messages (button payloads left out)."""
    typed = [t for t in pool.openers + pool.topics + pool.closers if not t.startswith("/")]
    return random.Random(seed).sample(typed, min(count, len(typed)))


def measure(root: Path, pipeline: pipelines.Pipeline, plan: Plan,
            pool: load.MessagePool) -> tuple[Figures, list[str]]:  # fmt: skip
    """Every figure of one pipeline."""
    progress(f"{pipeline.name}: training ({pipeline.config.name})")
    trained = pipelines.trained(root, pipeline, root / plan.models_dir, reuse=plan.reuse_models,
                                default_epochs=plan.default_epochs)  # fmt: skip
    figures: Figures = {}
    speed_only = plan.default_epochs and pipeline.name == "default"
    if "seconds" in trained and not speed_only:  # a reused model has no training figures
        figures = {
            "train_s": float(trained["seconds"]),
            "train_peak_mib": float(trained["peak_mib"]),
        }
    model = Path(str(trained["model"]))
    code, env = pipeline.code(root), pipelines.child_env(pipeline.checkout)
    progress(f"{pipeline.name}: cold start and parse latency")
    with tempfile.TemporaryDirectory() as tmp:
        texts = Path(tmp) / "texts.json"
        texts.write_text(json.dumps(parse_texts(pool, plan.parse_texts, plan.seed)), "utf-8")
        figures.update(parse.measure(code, model, texts, plan.parse_rounds, env))
    progress(f"{pipeline.name}: serving with {plan.workers} worker(s)")
    served, notes = serve_and_load(code, model, plan, pool, pipeline.name, env)
    figures.update(served)
    return figures, notes


def footer(plan: Plan, results: dict[str, Figures], load_average: float) -> list[str]:
    """How the figures were measured, printed under the table."""
    database = "PostgreSQL + Redis" if plan.postgres and plan.workers > 1 else (
        "PostgreSQL" if plan.postgres else "SQLite")  # fmt: skip
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores (load average "
        f"{load_average:.2f} at start); {plan.workers} worker(s), {database}; "
        "ratio = ours ÷ default.",
        f"Parse: {plan.parse_texts} messages × {plan.parse_rounds} rounds after a warm-up. "
        f"Round trip: POST /webhooks/rest/webhook, timeout {plan.timeout:.0f} s, "
        + (
            f"pauses of {plan.think:g} s on average between a person's messages."
            if plan.think
            else "no pause between a person's messages."
        ),
    ]
    if plan.default_epochs:
        lines.append(f"Rasa default trained with {plan.default_epochs} epochs instead of 100 "
                     "(--default-epochs): the same components and layers, so the same work per "
                     "message; its training time, memory while training and accuracy are not "
                     "measured.")  # fmt: skip
    for level in plan.levels:
        answered = {n: int(f.get(f"c{level}_answered", 0)) for n, f in results.items()}
        counts = ", ".join(f"{n} {a}" for n, a in answered.items())
        lines.append(f"{level} concurrent: {people_at(plan, level)} people of 3-5 messages; "
                     f"messages answered: {counts}")  # fmt: skip
    return lines


def run(root: Path, plan: Plan) -> str:
    """Measure both pipelines and return the printed report (also written as JSON)."""
    if plan.workers > 1 and not plan.postgres:
        plan = replace(plan, postgres=True)
    load_average = os.getloadavg()[0]
    pool = load.load_pool(root)
    results: dict[str, Figures] = {}
    notes: list[str] = []
    out = root / "bench-results"
    out.mkdir(exist_ok=True)
    saved_plan = {**asdict(plan), "models_dir": str(plan.models_dir),
                  "before": str(plan.before or "")}  # fmt: skip
    found_pipelines = pipelines.pipelines(root, plan.before, default_epochs=plan.default_epochs,
                                          models_dir=root / plan.models_dir)  # fmt: skip
    for pipeline in found_pipelines:
        if plan.only and pipeline.name not in (plan.only, "before"):
            continue
        results[pipeline.name], found = measure(root, pipeline, plan, pool)
        notes += found
        # Each pipeline's figures are kept as soon as they are measured: a run stopped later
        # (Rasa's default can train for hours) does not lose the ones before it.
        (out / "partial.json").write_text(json.dumps({"plan": saved_plan, **results}, indent=2),
                                          encoding="utf-8")  # fmt: skip
    rows = build_rows(results.get("ours", {}), results.get("default", {}), plan.levels)
    if "before" in results:
        earlier = build_rows(results["before"], results.get("default", {}), plan.levels)
        rows = with_before(rows, earlier)
    report = "\n".join([render(rows), "", *footer(plan, results, load_average), *notes])
    saved = {"plan": saved_plan, **results}
    (out / "latest.json").write_text(json.dumps(saved, indent=2), encoding="utf-8")
    return report
