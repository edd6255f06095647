"""What an embedding backend changes, against torch, in one run: vectors, occupation coding
and the served ranking.

    python benchmarks/backend_quality.py --work /tmp/backend-quality
    python benchmarks/backend_quality.py --work /tmp/backend-quality --backends torch onnx-int8

For each backend (torch first: the reference), on the same texts and the same world:

* **speed**: texts/s and texts per CPU-second of this process embedding the world's job
  texts (``benchmarks/embedding_speed.py``'s measurement, batch 64, model loaded);
* **vectors**: cosine of the backend's vectors to torch's over the ranking world's job texts
  and person texts (mean and minimum);
* **occupation coding**: acc@1 / acc@5 of the fixed fusion (n-grams and embeddings, the coder
  before its re-ranker, whose shipped bundle is keyed by one model id) on the 743 real-style
  titles and the 66 hand-written ones of ``benchmarks/occupation_coding.py``;
* **ranking**: NDCG@10 on the cold-start queries of one synthetic world
  (``benchmarks/ranking_report.py``'s, smaller by default), both directions, over the retrieval
  pool serving ranks: of embedding + feasibility, and of the served order (a learned ranker
  trained on that backend's vectors, then the rule-6 policy tiers). The learned ranker is
  trained with ``--seeds`` seeds (of negative sampling and bagging): a backend's difference
  to torch (mean over seeds) is compared with the standard deviation over seeds of the same
  vectors, which is the noise.

The work directory keeps the world and one embedding cache (keyed by model id), so a second
run only trains and evaluates; ONNX exports go to ``--cache`` (default: inside ``--work``).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from embedding_speed import measure as measure_speed
from occupation_coding import HAND_WRITTEN, Memo, accuracy, read_titles, suggest_codes
from ranking_report import SERVED, World, measure, methods, open_world, train, training_config

from demo.worlds import WorldStyle
from matching.embedding import Embedder, job_text
from matching.occupation_coding import OccupationCoder
from matching.occupations import OccupationVocabulary
from matching.onnx_embedding import BACKENDS
from matching.settings import Settings
from training.config import TrainingConfig

SIMILARITY = "embedding + feasibility"


def cosines(world: World, reference: World) -> dict[str, float]:
    """Mean and minimum cosine of ``world``'s vectors to ``reference``'s, jobs and people."""
    out: dict[str, float] = {}
    for kind in ("job", "candidate"):
        mine = getattr(world, f"{kind}_vectors")
        theirs = getattr(reference, f"{kind}_vectors")
        cosine = np.sum(mine * theirs, axis=1)
        out[f"{kind}_cosine_mean"] = float(cosine.mean())
        out[f"{kind}_cosine_min"] = float(cosine.min())
    return out


def occupation_accuracy(vocabulary: OccupationVocabulary, embedder: Embedder) -> dict[str, float]:
    """acc@1 and acc@5 of the fixed fusion on the real-style and hand-written titles."""
    coder = OccupationCoder(vocabulary, Memo(embedder), model=None)
    out: dict[str, float] = {}
    for name, labelled in (("real", read_titles()), ("hand", list(HAND_WRITTEN))):
        top1, top5 = accuracy(suggest_codes(coder, [t for t, _ in labelled]), labelled)
        out[f"{name}_acc@1"], out[f"{name}_acc@5"] = top1, top5
    return out


def ranking(world: World, config: TrainingConfig, seeds: int) -> dict[str, float]:
    """Pool NDCG@10 per direction: embedding + feasibility, and served with each seed."""
    out: dict[str, float] = {}
    for seed in range(seeds):
        table = methods(world, train(world, config.with_changes({"training": {"seed": seed}})))
        # Embedding + feasibility does not depend on the seed: measured once.
        names = (SERVED, SIMILARITY) if seed == 0 else (SERVED,)
        wanted = {name: table[name] for name in names}
        for key, rows in measure(world, wanted).items():
            if not key.endswith("/ pool"):
                continue
            direction = key.removesuffix(" / pool")
            out[f"{direction} served seed {seed}"] = rows[SERVED]["ndcg@10"]
            if SIMILARITY in rows:
                out[f"{direction} {SIMILARITY}"] = rows[SIMILARITY]["ndcg@10"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=["torch", "onnx-int8"])
    parser.add_argument("--cache", type=Path, help="ONNX export cache (default: in --work)")
    parser.add_argument("--world", choices=[s.value for s in WorldStyle], default="months")
    parser.add_argument("--candidates", type=int, default=600)
    parser.add_argument("--jobs", type=int, default=240)
    parser.add_argument("--referrals", type=int, default=1800)
    parser.add_argument("--pool", type=int, default=200, help="Retrieval pool (as serving).")
    parser.add_argument("--trees", type=int, default=100, help="LightGBM trees per direction.")
    parser.add_argument("--seeds", type=int, default=5, help="Learned rankers per backend.")
    parser.add_argument("--out", type=Path, help="Write the results as JSON here too.")
    args = parser.parse_args()
    if args.backends[0] != "torch":
        parser.error("torch is the reference: name it first among --backends")

    settings = Settings()
    cache = args.cache or args.work / "onnx-cache"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    report: dict[str, dict[str, float]] = {}
    model_ids: dict[str, str] = {}
    vocabulary = OccupationVocabulary.load()
    worlds: dict[str, World] = {}
    for backend in args.backends:
        started = time.perf_counter()
        embedder = Embedder(settings.resolved_embedding_model, backend=backend, cache=cache)
        world = open_world(args.work, WorldStyle(args.world), args, embedder)
        worlds[backend] = world
        texts = [job_text(job, vocabulary) for job in world.catalog.jobs.records]
        embedder.warm_up()
        row = measure_speed(embedder, texts, batch_size=64)[1]
        row.update(cosines(world, worlds["torch"]))
        row.update(occupation_accuracy(vocabulary, embedder))
        row.update(ranking(world, training_config(None, args.trees), args.seeds))
        report[backend] = row
        model_ids[backend] = embedder.model_id
        print(
            f"{backend} ({embedder.model_id}): measured in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        print(json.dumps(row, ensure_ascii=False, indent=1), flush=True)

    print(f"\nload average after: {os.getloadavg()[0]:.1f}\n")
    metrics = list(report["torch"])
    print("| measure | " + " | ".join(args.backends) + " |")
    print("|---|" + "---|" * len(args.backends))
    for key in metrics:
        print(f"| {key} | " + " | ".join(f"{report[b][key]:.4f}" for b in args.backends) + " |")
    for direction in sorted({k.split(" served")[0] for k in metrics if " served seed " in k}):
        torch_runs = [report["torch"][f"{direction} served seed {s}"] for s in range(args.seeds)]
        for backend in args.backends[1:]:
            runs = [report[backend][f"{direction} served seed {s}"] for s in range(args.seeds)]
            print(
                f"{direction}: served NDCG@10 over {args.seeds} seeds, torch "
                f"{np.mean(torch_runs):.4f} ± {np.std(torch_runs, ddof=1):.4f}, {backend} "
                f"{np.mean(runs):.4f} ± {np.std(runs, ddof=1):.4f} (± one standard deviation); "
                f"difference {np.mean(runs) - np.mean(torch_runs):+.4f}"
            )
    if args.out:
        everything = {"model_ids": model_ids, **report}
        args.out.write_text(json.dumps(everything, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
