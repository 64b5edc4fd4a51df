"""The two pipelines compared: ours (config.yml) and Rasa's default, trained on the same data.

Each is trained by the same call (`rasa.model_training.train` on domain.yml and nlu_data/, cache
bypassed) in a fresh process, so the training time and peak memory of one do not include the
other's imports or leftovers.
"""

from __future__ import annotations

import hashlib
import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Pipeline:
    """A named Rasa configuration."""

    name: str  # "ours" or "default": the column of the table
    config: Path


def pipelines(root: Path) -> list[Pipeline]:
    """Ours first, then Rasa's default (bench/rasa_default_config.yml)."""
    return [
        Pipeline("ours", root / "config.yml"),
        Pipeline("default", BENCH_DIR / "rasa_default_config.yml"),
    ]


def model_stem(root: Path, pipeline: Pipeline) -> str:
    """`<name>-<hash>`: the hash covers what shapes this pipeline's model.

    Ours: everything `bot.model.training_fingerprint` covers (our config and NLU code included).
    Rasa's default: Rasa's version, the domain, the training data and its own config only.
    """
    from bot.model import TRAINING_INPUTS, fingerprint, training_fingerprint

    if pipeline.name == "ours":
        base = training_fingerprint(root)
    else:
        base = fingerprint(
            root, [p for p in TRAINING_INPUTS if p.startswith(("domain", "nlu_data"))]
        )
    digest = hashlib.sha256(base.encode())
    digest.update(pipeline.config.read_bytes())
    return f"{pipeline.name}-{digest.hexdigest()[:12]}"


def train_here(root: Path, pipeline: Pipeline, output: Path) -> dict[str, float | str]:
    """Train in this process (a fresh one) and return the model path, seconds and peak MiB."""
    from rasa.model_training import train

    stem = model_stem(root, pipeline)
    start = time.perf_counter()
    result = train(str(root / "domain.yml"), str(pipeline.config), [str(root / "nlu_data")],
                   str(output), force_training=True, fixed_model_name=stem)  # fmt: skip
    seconds = time.perf_counter() - start
    if not result.model:
        raise RuntimeError(f"training {pipeline.name} produced no model")
    usage = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    peak = max(u.ru_maxrss for u in usage)
    return {"model": str(result.model), "seconds": seconds, "peak_mib": peak / 1024}


def trained(root: Path, pipeline: Pipeline, output: Path, *, reuse: bool) -> dict[str, float | str]:
    """The pipeline's model in `output`: trained in a fresh process, or reused if asked and present.

    A reused model has no training figures (only "model").
    """
    existing = output / f"{model_stem(root, pipeline)}.tar.gz"
    if reuse and existing.is_file():
        return {"model": str(existing)}
    output.mkdir(parents=True, exist_ok=True)
    for old in output.glob(f"{pipeline.name}-*.tar.gz"):
        old.unlink()
    command = [sys.executable, "-m", "bench", "--train-child", pipeline.name, "--models-dir",
               str(output)]  # fmt: skip
    done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"training {pipeline.name} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, float | str] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures
