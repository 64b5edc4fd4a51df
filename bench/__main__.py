"""`python -m bench` (`make bench`): our pipeline and Rasa's default, side by side, in one table.

Wiring only: the options, and the hidden entry points of the child processes (training, cold
start and parsing) that the run spawns so that each is measured in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import warnings
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def options() -> argparse.Namespace:
    """The command line."""
    top = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    top.add_argument(
        "--quick",
        action="store_true",
        help="development run: 20 people at once, models reused when present",
    )
    top.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes, sticky by sender (>1: PostgreSQL + Redis)",
    )
    top.add_argument("--postgres", action="store_true", help="PostgreSQL even for one worker")
    top.add_argument(
        "--reuse-models",
        action="store_true",
        help="serve the models of an earlier run (no training figures)",
    )
    top.add_argument(
        "--levels",
        default="",
        help="comma-separated concurrency levels (default 1,20,200; quick 20)",
    )
    top.add_argument(
        "--only",
        choices=("ours", "default"),
        default="",
        help="measure one pipeline only (development)",
    )
    top.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause in seconds between a person's messages (default 0: none)",
    )
    top.add_argument("--timeout", type=float, default=10.0, help="seconds before a message fails")
    top.add_argument(
        "--admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL URL allowed to create and drop the bench_* database",
    )
    top.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/9", help="REDIS_URL for >1 worker"
    )
    top.add_argument("--base-port", type=int, default=18700, help="first port to try")
    top.add_argument(
        "--before",
        type=Path,
        help="another checkout of the project (e.g. a git worktree of main): its pipeline is "
        "measured first, in the same run, with this virtualenv; a 'before' column is added",
    )
    top.add_argument(
        "--default-epochs",
        type=int,
        default=0,
        help="train Rasa's default with this many epochs instead of 100: its serving figures "
        "only (the same network per message), not its training time or accuracy",
    )
    top.add_argument("--train-child", help=argparse.SUPPRESS)
    top.add_argument("--models-dir", default="bench-results/models", help=argparse.SUPPRESS)
    top.add_argument("--parse-child", help=argparse.SUPPRESS)
    top.add_argument("--texts", help=argparse.SUPPRESS)
    top.add_argument("--rounds", type=int, default=1, help=argparse.SUPPRESS)
    top.add_argument("--spawned-at", type=float, default=0.0, help=argparse.SUPPRESS)
    return top.parse_args()  # fmt: skip


def main() -> None:
    """Run the bench, or one of its child processes."""
    from bot.cli import configure_logging
    from bot.settings import ROOT

    opts = options()
    configure_logging(False)
    warnings.filterwarnings("ignore")
    if opts.train_child:
        from bench import pipelines

        found = pipelines.pipelines(ROOT, default_epochs=opts.default_epochs,
                                    models_dir=ROOT / opts.models_dir)  # fmt: skip
        chosen = {p.name: p for p in found}[opts.train_child]
        print(json.dumps(pipelines.train_here(ROOT, chosen, ROOT / opts.models_dir)))
    elif opts.parse_child:
        from bench import parse

        parse.child_main(opts.parse_child, opts.texts, opts.rounds, opts.spawned_at)
    else:
        from bench import runner

        common = {"workers": opts.workers, "postgres": opts.postgres, "timeout": opts.timeout,
                  "think": opts.think,
                  "admin_url": opts.admin_url, "redis_url": opts.redis_url,
                  "base_port": opts.base_port, "models_dir": Path(opts.models_dir),
                  "only": opts.only, "default_epochs": opts.default_epochs,
                  "before": opts.before.resolve() if opts.before else None}  # fmt: skip
        if opts.levels:
            common["levels"] = tuple(int(level) for level in opts.levels.split(","))
        plan = runner.quick_plan(**common) if opts.quick else runner.Plan(
            reuse_models=opts.reuse_models, **common)  # type: ignore[arg-type]  # fmt: skip
        print(runner.run(ROOT, plan))


if __name__ == "__main__":
    main()
