"""Embedding throughput and agreement of the backends (torch, onnx, onnx-int8) in one run.

    .venv/bin/python benchmarks/embedding_speed.py                  # 256 job texts, batch 32 and 64
    .venv/bin/python benchmarks/embedding_speed.py --texts 512 --batch-sizes 64

The texts are job texts (:func:`matching.embedding.job_text`) of the demo generator's jobs
(``demo.world.generate_world``, fixed seed and date), the length serving and training
embed. Every backend embeds the same texts at each batch size; the torch vectors are the
reference for the cosine similarity of the others (mean and minimum over the texts). Each
measurement reports wall-clock texts/s and texts per CPU-second of this process (which a
loaded machine disturbs less: on an idle two-core machine, texts/s is about twice it when
both cores are used), and the machine's load average before the run. Exports go to a fresh
cache folder unless ``--cache`` names one, and the export time is reported too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from demo.world import generate_world
from matching.domain import Job
from matching.embedding import Embedder, job_text
from matching.occupations import OccupationVocabulary
from matching.onnx_embedding import BACKENDS, Backend
from matching.settings import Settings

SEED = 11
TODAY = dt.date(2026, 6, 1)


def demo_job_texts(count: int, scratch: Path) -> list[str]:
    """``count`` job texts of a demo world (fixed seed and date)."""
    generate_world(scratch, seed=SEED, candidates=10, jobs=count, today=TODAY)
    vocabulary = OccupationVocabulary.load()
    lines = (scratch / "jobs.jsonl").read_text(encoding="utf-8").splitlines()
    return [job_text(Job.model_validate_json(line), vocabulary) for line in lines[:count]]


def measure(embedder: Embedder, texts: list[str], batch_size: int) -> tuple[np.ndarray, dict]:
    """Vectors of ``texts`` and the throughput of computing them (model already loaded)."""
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = embedder.encode(texts, batch_size=batch_size)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return vectors, {
        "texts_per_s": len(texts) / wall,
        "texts_per_cpu_s": len(texts) / cpu if cpu > 0 else float("nan"),
        "seconds": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=256, help="job texts to embed")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--cache", type=Path, help="ONNX export cache (default: a fresh one)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here too")
    args = parser.parse_args()
    if "torch" not in args.backends:
        parser.error("torch is the reference: keep it among --backends")

    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="embedding-speed-") as scratch:
        texts = demo_job_texts(args.texts, Path(scratch) / "world")
        cache = args.cache or Path(scratch) / "cache"
        lengths = [len(text) for text in texts]
        print(
            f"{len(texts)} job texts, {np.mean(lengths):.0f} characters on average "
            f"(median {np.median(lengths):.0f}); load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} CPUs"
        )
        embedders: dict[Backend, Embedder] = {}
        results: list[dict] = []
        for backend in args.backends:
            embedder = Embedder(settings.resolved_embedding_model, backend=backend, cache=cache)
            started = time.perf_counter()
            embedder.warm_up()
            print(f"{backend}: loaded (and exported) in {time.perf_counter() - started:.1f} s")
            embedders[backend] = embedder
        reference: dict[int, np.ndarray] = {}
        # Backends alternate within each batch size, so a change of the machine's load
        # during the run falls on all of them alike.
        for batch_size in args.batch_sizes:
            for backend, embedder in embedders.items():
                vectors, row = measure(embedder, texts, batch_size)
                if backend == "torch":
                    reference[batch_size] = vectors
                cosine = np.sum(vectors * reference[batch_size], axis=1)
                row.update(
                    backend=backend,
                    model_id=embedder.model_id,
                    batch_size=batch_size,
                    cosine_mean=float(cosine.mean()),
                    cosine_min=float(cosine.min()),
                )
                results.append(row)
                print(
                    f"  {backend:9s} batch {batch_size:3d}: {row['texts_per_s']:7.1f} texts/s, "
                    f"{row['texts_per_cpu_s']:7.1f} texts/CPU-s, cosine vs torch mean "
                    f"{row['cosine_mean']:.4f} min {row['cosine_min']:.4f}"
                )
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        if args.out:
            args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
