"""The two pipelines compared: ours (config.yml) and Rasa's default, trained on the same data.

Each is trained by the same call (`rasa.model_training.train` on domain.yml and nlu_data/, cache
bypassed) in a fresh process, so the training time and peak memory of one do not include the
other's imports or leftovers.
"""

from __future__ import annotations

import hashlib
import json
import os
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

    name: str  # "ours", "default" or "before": the column of the table
    config: Path
    checkout: Path | None = None  # another checkout whose code trains and serves it ("before")

    def code(self, root: Path) -> Path:
        """The checkout whose code trains, parses and serves this pipeline."""
        return self.checkout or root


def child_env(checkout: Path | None) -> dict[str, str] | None:
    """The environment of a child process running another checkout's code (None: inherit).

    Its `bot` and `bench` packages come first on the path, before this checkout's editable
    install, so the same virtualenv runs the earlier code.
    """
    if checkout is None:
        return None
    return {**os.environ, "PYTHONPATH": str(checkout)}


def speed_only_config(epochs: int, folder: Path) -> Path:
    """Rasa's default configuration with every `epochs:` set to `epochs`, written in `folder`.

    For the serving figures only: the components, their layers and so the work a message costs
    are the same as with 100 epochs; the weights are not, so its training time and accuracy say
    nothing about Rasa's default. Everything else in the file is copied as it is.
    """
    if epochs < 1:
        raise ValueError("epochs must be at least 1")
    source = (BENCH_DIR / "rasa_default_config.yml").read_text("utf-8")
    lines = [
        line.split("epochs:")[0] + f"epochs: {epochs}"
        if line.strip().startswith("epochs:")
        else line
        for line in source.splitlines()
    ]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"rasa_default_config_{epochs}_epochs.yml"
    target.write_text("\n".join(lines) + "\n", "utf-8")
    return target


def pipelines(root: Path, before: Path | None = None, *, default_epochs: int = 0,
              models_dir: Path | None = None) -> list[Pipeline]:  # fmt: skip
    """Ours on `before` (another checkout) when given, ours, then Rasa's default.

    `default_epochs` (> 0): Rasa's default trained with that many epochs instead of 100, its
    configuration written in `models_dir` (see `speed_only_config`).
    """
    default = BENCH_DIR / "rasa_default_config.yml"
    if default_epochs:
        default = speed_only_config(default_epochs, models_dir or root / "bench-results" / "models")
    found = [
        Pipeline("ours", root / "config.yml"),
        Pipeline("default", default),
    ]
    if before is not None:
        found.insert(0, Pipeline("before", before / "config.yml", checkout=before))
    return found


def model_stem(root: Path, pipeline: Pipeline) -> str:
    """`<name>-<hash>`: the hash covers what shapes this pipeline's model.

    Ours: everything `bot.engine.model.training_fingerprint` covers (config and NLU code included).
    Rasa's default: Rasa's version, the domain, the training data and its own config only.
    """
    from bot.engine.model import TRAINING_INPUTS, fingerprint, training_fingerprint

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


def trained(root: Path, pipeline: Pipeline, output: Path, *, reuse: bool,
            default_epochs: int = 0) -> dict[str, float | str]:  # fmt: skip
    """The pipeline's model in `output`: trained in a fresh process, or reused if asked and present.

    A reused model has no training figures (only "model").
    """
    if pipeline.checkout is not None:  # the checkout trains its own "ours" in a folder of its own
        output, name = output / "before", "ours"
        found = sorted(output.glob("ours-*.tar.gz"))
        existing = found[-1] if found else output / "none"
    else:
        name, existing = pipeline.name, output / f"{model_stem(root, pipeline)}.tar.gz"
    if reuse and existing.is_file():
        return {"model": str(existing)}
    output.mkdir(parents=True, exist_ok=True)
    for old in output.glob(f"{name}-*.tar.gz"):
        old.unlink()
    command = [sys.executable, "-m", "bench", "--train-child", name, "--models-dir",
               str(output)]  # fmt: skip
    if default_epochs and name == "default":
        command += ["--default-epochs", str(default_epochs)]
    done = subprocess.run(command, cwd=pipeline.code(root), capture_output=True, text=True,
                          env=child_env(pipeline.checkout))  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"training {pipeline.name} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, float | str] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures
