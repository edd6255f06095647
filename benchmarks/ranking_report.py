"""Ranking quality on the cold-start questions of two structurally different synthetic worlds.

Each world (:mod:`demo.worlds`) holds people and open jobs with no referral history (the
ones asked about) and graded truth over every pair. The rankers are trained on the whole
recorded history (``jobmatch train`` would see the same), then asked, for every cold-start
person (job), to order every feasible open job (active person): once over the retrieval pool
serving ranks (``JOBMATCH_RETRIEVAL_POOL`` nearest feasible items by embedding) and once over
every feasible item. Methods: tf-idf + feasibility (the reference), embedding + feasibility,
the baseline scorer, the learned ranker, and the order serving returns (learned ranker, then
the rule-6 policy tiers).

    python benchmarks/ranking_report.py --work /tmp/ranking-report
    python benchmarks/ranking_report.py --work /tmp/ranking-report --ablation

The work directory keeps each world's files and store, and one embedding cache: a second run
only trains and evaluates. Both worlds share people and jobs (same seed, same record
builders); they differ in the referral history and the hidden utility. ``--ablation`` also
trains one ranker per training choice (:data:`ABLATION`) and reports the NDCG@10 of the
order serving returns with it (learned scores, then the rule-6 policy tiers), beside the
baseline scorer's. The training follows the shipped configuration (``--config FILE``
replaces some of it); ``--trees`` trades model size for time on a busy machine (the learning
rate is scaled to keep trees × rate).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.sparse import spmatrix
from sklearn.feature_extraction.text import TfidfVectorizer

from demo.worlds import Truth, WorldStyle, generate_evaluation_world
from matching.catalog import Catalog
from matching.embedding import Embedder, EmbeddingCache, candidate_text, job_text
from matching.engine import embed_catalog
from matching.features import FEATURES, HistoryIndex, build_features, feasible, pair_similarity
from matching.interchange import import_directory
from matching.occupations import OccupationVocabulary
from matching.policy import policy_tiers, served_scores
from matching.ranker import Direction, Ranker
from matching.settings import Settings
from matching.store import Store
from training.config import TrainingConfig, load_config
from training.dataset import ranking_sets
from training.evaluate import Method, Query, Retrieval, evaluate, truth_queries
from training.train import fit_ranker

TODAY = dt.date(2026, 11, 30)  # fixed, so that a seed gives the same worlds on any day
SEED = 23


# The trees of the previous default (before the ablation).
_WIDE = {"num_leaves": 15, "min_child_samples": 20}
# Training choices compared by --ablation, as changes (by section) to the configuration in
# force; the first changes nothing: it is what training ships (training/ranker.toml).
ABLATION: dict[str, dict[str, dict[str, object]]] = {
    "whole history, 10 random, content, monotone, prior 50, 7 leaves, 50 a leaf (default)": {},
    "same, prior 20": {"training": {"baseline_prior": 20.0}},
    "same, prior 20, 4 leaves, 100 a leaf": {
        "training": {"baseline_prior": 20.0},
        "lightgbm": {"num_leaves": 4, "min_child_samples": 100},
    },
    "same, prior 5, 15 leaves, 20 a leaf (previous trees)": {
        "training": {"baseline_prior": 5.0},
        "lightgbm": _WIDE,
    },
    "same, prior 5, 15 leaves, 20 a leaf, not monotone (previous default)": {
        "training": {"baseline_prior": 5.0, "monotone": False},
        "lightgbm": _WIDE,
    },
    "same, prior 20, 15 leaves, 20 a leaf": {
        "training": {"baseline_prior": 20.0},
        "lightgbm": _WIDE,
    },
    "same, prior 5": {"training": {"baseline_prior": 5.0}},
    "same, prior 5, 15 leaves, referrals only (no negatives)": {
        "dataset": {"random_negatives": 0},
        "training": {"baseline_prior": 5.0},
        "lightgbm": _WIDE,
    },
    "same, prior 5, 15 leaves, 90-day windows": {
        "dataset": {"window_days": 90},
        "training": {"baseline_prior": 5.0},
        "lightgbm": _WIDE,
    },
    "same, prior 5, 15 leaves, referred above unreferred labels": {
        "dataset": {"labels": "referred"},
        "training": {"baseline_prior": 5.0},
        "lightgbm": _WIDE,
    },
    "same, prior 5, 15 leaves, + 10 retrieval negatives": {
        "dataset": {"retrieval_negatives": 10},
        "training": {"baseline_prior": 5.0},
        "lightgbm": _WIDE,
    },
    "one day per group, 10 random, all features, from scratch, 15 leaves, not monotone": {
        "dataset": {"window_days": 1, "history_features": True},
        "training": {"baseline_prior": 0.0, "monotone": False},
        "lightgbm": _WIDE,
    },
}


SERVED = "served order (learned, then rule-6 tiers)"


@dataclass
class World:
    """One imported, embedded evaluation world."""

    style: WorldStyle
    settings: Settings
    catalog: Catalog
    history: HistoryIndex
    job_vectors: np.ndarray
    candidate_vectors: np.ndarray
    truth: Truth
    embedding_model_id: str
    tfidf_jobs: spmatrix
    tfidf_people: spmatrix
    features: dict[tuple, np.ndarray] = field(default_factory=dict)


def open_world(
    work: Path, style: WorldStyle, args: argparse.Namespace, embedder: Embedder | None = None
) -> World:
    """Generate (once), import (once) and embed (cached) the world of ``style`` with
    ``embedder`` (default: the one the settings configure)."""
    files, home = work / style.value / "files", work / style.value / "home"
    if not (files / "truth.npz").is_file():
        summary = generate_evaluation_world(
            files,
            style=style,
            seed=SEED,
            candidates=args.candidates,
            jobs=args.jobs,
            referrals=args.referrals,
            today=TODAY,
        )
        print(f"generated {summary}", flush=True)
    settings = Settings(home=home, retrieval_pool=args.pool)
    occupations = OccupationVocabulary.load()
    store = Store.open(settings)
    # One embedding cache for both worlds (keyed by model and text): the worlds share the
    # record builders, so most texts are embedded once.
    cache = Store.open(Settings(home=work / "embeddings"))
    try:
        with store.session() as session:
            if store.count(session, "candidates") == 0:
                assert import_directory(store, files).ok
        embedder = embedder or Embedder.from_settings(settings)
        catalog = Catalog.from_store(store, settings, occupations)
        started = time.perf_counter()
        job_vectors, candidate_vectors = embed_catalog(
            catalog, EmbeddingCache(cache, embedder), occupations
        )
        print(f"{style}: vectors ready in {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        store.close()
        cache.close()
    tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    texts_jobs = [job_text(j, occupations) for j in catalog.jobs.records]
    texts_people = [candidate_text(c, occupations) for c in catalog.candidates.records]
    tfidf.fit(texts_jobs + texts_people)
    return World(
        style,
        settings,
        catalog,
        HistoryIndex(catalog),
        job_vectors,
        candidate_vectors,
        Truth.load(files),
        embedder.model_id,
        tfidf.transform(texts_jobs),
        tfidf.transform(texts_people),
    )


def training_config(file: Path | None, trees: int | None) -> TrainingConfig:
    """The shipped configuration with ``file``'s keys, and ``trees`` trees a direction if
    given (the learning rate scaled to keep trees × rate)."""
    config = load_config(file)
    if trees is None:
        return config
    rate = config.lightgbm.learning_rate * config.lightgbm.n_estimators / trees
    return config.with_changes({"lightgbm": {"n_estimators": trees, "learning_rate": rate}})


def train(world: World, config: TrainingConfig) -> Ranker:
    """A learned ranker on every recorded referral of the world, trained as ``config`` says."""
    sets = ranking_sets(
        world.catalog,
        world.history,
        job_vectors=world.job_vectors,
        candidate_vectors=world.candidate_vectors,
        settings=world.settings,
        rows=np.arange(len(world.catalog.history)),
        config=config,
    )
    return fit_ranker(sets, embedding_model_id=world.embedding_model_id, config=config)


def features_of(world: World, query: Query) -> np.ndarray:
    """The query's feature rows, computed once: both scopes rank the same items, and every
    ranker reads the same features."""
    key = (query.direction, query.query, query.day, len(query.items))
    if key not in world.features:
        people, jobs = query.pairs()
        similarity = pair_similarity(world.candidate_vectors, world.job_vectors, people, jobs)
        world.features[key] = build_features(
            world.catalog, world.history, people, jobs, query.day, similarity, world.settings
        )
    return world.features[key]


def methods(world: World, learned: Ranker) -> dict[str, Method]:
    """The compared methods; each returns scores and the items it may return."""
    catalog = world.catalog

    def similarity(query: Query) -> np.ndarray:
        return pair_similarity(world.candidate_vectors, world.job_vectors, *query.pairs())

    def only_feasible(query: Query) -> np.ndarray:
        return feasible(catalog, *query.pairs())

    def tfidf(query: Query) -> tuple[np.ndarray, np.ndarray]:
        people, jobs = query.pairs()
        product = world.tfidf_people[people].multiply(world.tfidf_jobs[jobs]).sum(1)
        return np.asarray(product).ravel(), only_feasible(query)

    def ranked_by(ranker: Ranker) -> Method:
        def method(query: Query) -> tuple[np.ndarray, np.ndarray]:
            return ranker.score(features_of(world, query), query.direction), only_feasible(query)

        return method

    def served(query: Query) -> tuple[np.ndarray, np.ndarray]:
        rows = features_of(world, query)
        tiers = policy_tiers(
            catalog,
            *query.pairs(),
            rows[:, FEATURES.index("person_failed_market_streak")],
            world.settings,
            for_person=query.direction is Direction.JOBS_FOR_CANDIDATE,
        )
        scores = served_scores(learned.score(rows, query.direction), tiers)
        return scores, only_feasible(query)

    return {
        "tf-idf + feasibility": tfidf,
        "embedding + feasibility": lambda q: (similarity(q), only_feasible(q)),
        "baseline scorer": ranked_by(Ranker()),
        "learned ranker": ranked_by(learned),
        SERVED: served,
    }


def measure(world: World, table: dict[str, Method]) -> dict[str, dict[str, dict[str, float]]]:
    """NDCG@10 and friends per direction, over the retrieval pool and over every feasible item."""
    retrieval = Retrieval(world.job_vectors, world.candidate_vectors, world.settings.retrieval_pool)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for direction in Direction:
        for scope, by in (("pool", retrieval), ("all feasible", None)):
            queries = truth_queries(
                world.catalog, world.history, world.truth, direction, retrieval=by
            )
            out[f"{direction.value} / {scope}"] = {
                name: evaluate(world.catalog, queries, method) for name, method in table.items()
            }
    return out


def print_world(style: WorldStyle, results: dict[str, dict[str, dict[str, float]]]) -> None:
    """One markdown table per direction and scope, with NDCG@10 relative to tf-idf."""
    for key, rows in results.items():
        reference = rows["tf-idf + feasibility"]["ndcg@10"]
        queries = next(iter(rows.values()))["queries"]
        print(f"\n**{style}: {key}** ({queries} cold-start queries)\n")
        print("| method | NDCG@10 | × tf-idf | recall@10 | NDCG@5 | infeasible in top 10 |")
        print("|---|---|---|---|---|---|")
        for name, m in rows.items():
            print(
                f"| {name} | {m['ndcg@10']:.3f} | {m['ndcg@10'] / max(reference, 1e-9):.2f}× "
                f"| {m['recall@10']:.3f} | {m['ndcg@5']:.3f} | {m['infeasible_in_top']:.1%} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--candidates", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=1500)
    parser.add_argument("--referrals", type=int, default=9000)
    parser.add_argument("--pool", type=int, default=200, help="Retrieval pool (as serving).")
    parser.add_argument("--ablation", action="store_true", help="Also compare training sets.")
    parser.add_argument(
        "--only", nargs="*", default=None, help="Ablation rows whose name holds one of these."
    )
    parser.add_argument("--world", choices=[s.value for s in WorldStyle], help="Only this one.")
    parser.add_argument(
        "--config", type=Path, help="A training configuration replacing some shipped settings."
    )
    parser.add_argument(
        "--trees",
        type=int,
        help="LightGBM trees per direction (default: the configuration's); the learning rate "
        "is scaled to keep trees × rate.",
    )
    parser.add_argument("--out", type=Path, help="Write the results as JSON here too.")
    args = parser.parse_args()
    config = training_config(args.config, args.trees)

    report: dict[str, object] = {}
    ablation: dict[str, dict[str, float]] = {}
    styles = [WorldStyle(args.world)] if args.world else [WorldStyle.MONTHS, *WorldStyle]
    for style in dict.fromkeys(styles):  # the proxy world first
        world = open_world(args.work, style, args)
        started = time.perf_counter()
        learned = train(world, config)
        print(f"{style}: trained in {time.perf_counter() - started:.0f} s", flush=True)
        results = measure(world, methods(world, learned))
        print_world(style, results)
        report[style.value] = results
        if args.ablation:
            chosen = {
                name: changes
                for n, (name, changes) in enumerate(ABLATION.items())
                if n == 0 or args.only is None or any(part in name for part in args.only)
            }
            reference_rows: dict[str, tuple[str, dict[str, dict[str, object]] | None]] = {
                "baseline scorer (reference)": ("baseline scorer", None),
                **{name: (SERVED, changes) for name, changes in chosen.items()},
            }
            for n, (name, (method, changes)) in enumerate(reference_rows.items()):
                if changes is None:
                    scores = results
                else:
                    ranker = learned if n == 1 else train(world, config.with_changes(changes))
                    scores = measure(world, {method: methods(world, ranker)[method]})
                for key, rows in scores.items():
                    reference = results[key]["tf-idf + feasibility"]["ndcg@10"]
                    ablation.setdefault(name, {})[f"{style.value} / {key}"] = rows[method][
                        "ndcg@10"
                    ] / max(reference, 1e-9)
                row = ablation[name]
                print(
                    f"ablation {style}: {name}: "
                    + ", ".join(f"{k} {v:.2f}x" for k, v in row.items() if k.startswith(style)),
                    flush=True,
                )
    if ablation:
        columns = list(next(iter(ablation.values())))
        print("\n**Ablation: learned ranker NDCG@10 ÷ tf-idf + feasibility**\n")
        print("| training set | " + " | ".join(columns) + " |")
        print("|---|" + "---|" * len(columns))
        for name, row in ablation.items():
            print(f"| {name} | " + " | ".join(f"{row[c]:.2f}×" for c in columns) + " |")
        report["ablation"] = ablation
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
