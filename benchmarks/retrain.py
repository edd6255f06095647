"""Time the whole weekly retrain on a large referral history, stage by stage.

    .venv/bin/python benchmarks/retrain.py --runs 2        # ~100k referral rows
    .venv/bin/python benchmarks/retrain.py --full --runs 2 # ~1M referral rows
    .venv/bin/python benchmarks/retrain.py --rows 250000 --workdir /tmp/rt --reuse

A synthetic world (demo.world.generate_world) of ``--rows`` referrals is written
(by default 1 person per 7 referrals and 1 job per 5 people: real histories, not copies;
the generator writes fewer than asked where too few jobs are open to people, and the run
prints the real count: the default writes ~100k, ``--full`` asks 1.2M of 175,000 people
and 45,000 jobs and gets 967,282), imported into a fresh home and embedded once; none of
that is timed (the weekly job finds the embeddings cached). ``--vectors hash`` (the
default) stands a fixed pseudo-random unit vector per text in for m3e: a retrain's time
does not depend on the vectors' values, and m3e on two cores embeds about 15 texts a
second, hours for a 100k-person world; ``--vectors m3e`` uses the real model. ``--reuse``
keeps the world and home of an earlier run in ``--workdir``.

Then :func:`training.retrain.retrain` runs ``--runs`` times with the shipped configuration
(``--config FILE`` and ``--n-estimators`` replace some of it; the first run has no champion,
later ones also score the champion) and each stage is timed by wrapping the functions the
pipeline's steps call:
snapshot + cached vectors, the dataset and its features (``ranking_sets``), LightGBM
(``fit_ranker``), the validation queries (``build_queries``), evaluation
(``evaluate_ranker``, challenger and champion), the personal-data read for per-category
metrics (``read_categories``), the index rebuild, and promotion; "other" is the rest (lock,
MLflow logging and registration, split). Goal (issue 5): <= 10 minutes for 1M rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.world import generate_world  # noqa: E402
from matching.catalog import Catalog  # noqa: E402
from matching.embedding import Embedder, EmbeddingCache  # noqa: E402
from matching.engine import embed_catalog  # noqa: E402
from matching.interchange import import_directory  # noqa: E402
from matching.occupations import OccupationVocabulary  # noqa: E402
from matching.settings import Settings  # noqa: E402
from matching.store import Store  # noqa: E402
from training import promotion, validation  # noqa: E402
from training import retrain as job  # noqa: E402
from training.config import load_config  # noqa: E402

# (module whose global the pipeline calls, function name): label.
STAGES = {
    (job, "embed_catalog"): "snapshot vectors (cached)",
    (job, "ranking_sets"): "dataset + features",
    (job, "fit_ranker"): "training (LightGBM)",
    (validation, "build_queries"): "validation queries",
    (promotion, "evaluate_ranker"): "evaluation",
    (job, "read_categories"): "categories (decrypted)",
    (job, "rebuild_indexes"): "index rebuild",
    (job, "promote"): "promotion",
}
TODAY = dt.date(2025, 6, 30)


class HashEmbedder:
    """Stands in for m3e at scale: each text's vector is a fixed pseudo-random unit vector
    seeded by its hash (same interface as :class:`matching.embedding.Embedder`)."""

    model_id = "benchmark-hash-512"
    dim = 512

    def encode(self, texts: list[str], **_: Any) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            out[row] = np.random.default_rng(seed).standard_normal(self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def instrument(timings: dict[str, float]) -> Callable[[], None]:
    """Wrap the pipeline's stage functions so that each call adds its time; returns an undo."""
    originals: dict[tuple[Any, str], Any] = {}
    for module, name in STAGES:
        original = getattr(module, name)
        originals[module, name] = original

        def timed(*args: Any, _name: str = name, _f: Any = original, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                timings[_name] += time.perf_counter() - start

        setattr(module, name, timed)

    def undo() -> None:
        for (module, name), original in originals.items():
            setattr(module, name, original)

    return undo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=125_000, help="referrals asked for")
    parser.add_argument("--full", action="store_true", help="~1M referrals (see above)")
    parser.add_argument("--candidates", type=int, default=None, help="default: rows / 7")
    parser.add_argument("--jobs", type=int, default=None, help="default: candidates / 5")
    parser.add_argument("--vectors", choices=["hash", "m3e"], default="hash")
    parser.add_argument("--runs", type=int, default=1, help="retrains (2nd+ face a champion)")
    parser.add_argument("--config", type=Path, default=None, help="a user training config")
    parser.add_argument("--n-estimators", type=int, default=None, help="override the config")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the world here")
    parser.add_argument("--reuse", action="store_true", help="reuse --workdir's world and home")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rows = 1_200_000 if args.full else args.rows
    candidates = args.candidates or (175_000 if args.full else max(1000, rows // 7))
    jobs = args.jobs or (45_000 if args.full else max(200, candidates // 5))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="jobmatch-bench-retrain-"))
    files, home = workdir / "files", workdir / "home"
    settings = Settings(home=home)
    embedder: Any = HashEmbedder() if args.vectors == "hash" else Embedder.from_settings(settings)
    occupations = OccupationVocabulary.load()
    if args.reuse and (home / "ready").is_file():
        print(f"world: reusing {workdir} ({(home / 'ready').read_text().strip()})", flush=True)
    else:
        shutil.rmtree(home, ignore_errors=True)
        setup = time.perf_counter()
        summary = generate_world(
            files, seed=args.seed, candidates=candidates, jobs=jobs, referrals=rows, today=TODAY
        )
        generated = time.perf_counter() - setup
        store = Store.open(settings)
        report = import_directory(store, files)
        if not report.ok:
            raise SystemExit(f"import failed: {report}")
        imported = time.perf_counter() - setup - generated
        embed_catalog(
            Catalog.from_store(store, settings, occupations),
            EmbeddingCache(store, embedder),
            occupations,
        )
        store.close()
        embedded = time.perf_counter() - setup - generated - imported
        (home / "ready").write_text(f"{summary}, {args.vectors} vectors\n")
        print(
            f"world: {summary}, {args.vectors} vectors (setup, not timed: generate "
            f"{generated:.1f} s, import {imported:.1f} s, embed {embedded:.1f} s) in {workdir}",
            flush=True,
        )

    config = load_config(args.config, {"lightgbm": {"n_estimators": args.n_estimators}})
    for run in range(1, args.runs + 1):
        timings: dict[str, float] = defaultdict(float)
        undo = instrument(timings)
        start = time.perf_counter()
        try:
            result = job.retrain(
                settings, config, now=TODAY, embedder=embedder, occupations=occupations
            )
        finally:
            undo()
        total = time.perf_counter() - start
        window = result.data_window
        print(
            f"\nretrain {run}: {total:.1f} s total; {result.reason} "
            f"(train rows: {window.get('train_rows_jobs_for_candidate')} jobs-for-person, "
            f"{window.get('train_rows_candidates_for_job')} people-for-job; "
            f"validation referrals {window.get('validation_referrals')})"
        )
        for (_, name), label in STAGES.items():
            print(f"  {label:<28} {timings[name]:8.1f} s")
        print(f"  {'other (lock, MLflow, split)':<28} {total - sum(timings.values()):8.1f} s")
        ndcg = result.metrics["jobs_for_candidate.ndcg_at_10"]
        caveat = " (hash vectors: retrieval is random, so this says nothing of quality)"
        print(
            f"  validation NDCG@10 jobs for a person: {ndcg:.3f}"
            + (caveat if args.vectors == "hash" else "")
        )


if __name__ == "__main__":
    main()
