"""Ranking quality on held-out people, jobs and weeks of a synthetic world.

Compares random, tf-idf character n-grams, embedding only, embedding + feasibility, the
non-learned baseline scorer and the learned LambdaRank ranker, on both sides (jobs for a
person, people for a job). Training sees only referrals before the cut-off date that involve
neither a held-out person nor a held-out job; evaluation asks about held-out people (and
jobs) after the cut-off, over every open job (active person) of the day.

    python benchmarks/ranking_report.py --home /tmp/report-home --candidates 3000 --jobs 800

The home keeps the imported world and the embedding cache, so a second run is fast.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.catalog import OUTCOMES, Catalog
from matching.embedding import Embedder, EmbeddingCache, candidate_text, job_text
from matching.engine import embed_catalog
from matching.features import HistoryIndex, build_features, feasible, pair_similarity
from matching.interchange import import_directory
from matching.occupations import OccupationVocabulary
from matching.ranker import Direction, Ranker
from matching.settings import Settings
from matching.store import Store
from matching.vocabulary import Outcome
from training.evaluate import Query, build_queries, evaluate
from training.synthetic import generate_world
from training.train import fit_ranker, ranking_sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--candidates", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=800)
    parser.add_argument("--held-out", type=float, default=0.2)
    parser.add_argument("--negatives", type=int, default=10, help="Sampled negatives per group.")
    parser.add_argument("--out", type=Path, help="Write the results as JSON here too.")
    args = parser.parse_args()

    settings = Settings(home=args.home)
    occupations = OccupationVocabulary.load()
    store = Store.open(settings)
    with store.session() as session:
        empty = store.count(session, "candidates") == 0
    if empty:
        world = generate_world(
            args.home / "world", seed=args.seed, candidates=args.candidates, jobs=args.jobs
        )
        print(f"generated {world}")
        assert import_directory(store, args.home / "world").ok
    embedder = Embedder(settings.resolved_embedding_model)
    catalog = Catalog.from_store(store, settings, occupations)
    started = time.perf_counter()
    job_vectors, candidate_vectors = embed_catalog(
        catalog, EmbeddingCache(store, embedder), occupations, progress=True
    )
    print(f"vectors ready in {time.perf_counter() - started:.0f} s")
    history = HistoryIndex(catalog)

    rng = np.random.default_rng(args.seed)
    h = catalog.history
    # The last fifth of the referrals whose outcome is known (recent ones are mostly pending).
    resolved = h.outcome != OUTCOMES.index(Outcome.PENDING)
    cutoff = int(np.quantile(h.referred[resolved], 0.8))
    held_people = rng.random(len(catalog.candidates)) < args.held_out
    held_jobs = rng.random(len(catalog.jobs)) < args.held_out
    unseen = held_people[h.candidate] | held_jobs[h.job]
    train_rows = np.flatnonzero((h.referred < cutoff) & ~unseen)
    sets = ranking_sets(
        catalog,
        history,
        job_vectors=job_vectors,
        candidate_vectors=candidate_vectors,
        settings=settings,
        rows=train_rows,
        negatives=args.negatives,
    )
    learned = fit_ranker(sets, embedding_model_id=embedder.model_id)
    baseline = Ranker()

    texts_jobs = [job_text(j, occupations) for j in catalog.jobs.records]
    texts_people = [candidate_text(c, occupations) for c in catalog.candidates.records]
    tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    tfidf.fit(texts_jobs + texts_people)
    tf_jobs, tf_people = tfidf.transform(texts_jobs), tfidf.transform(texts_people)

    def similarity(query: Query) -> np.ndarray:
        people, jobs = query.pairs()
        return pair_similarity(candidate_vectors, job_vectors, people, jobs)

    def everything(query: Query) -> np.ndarray:
        return np.ones(len(query.items), dtype=bool)

    def only_feasible(query: Query) -> np.ndarray:
        return feasible(catalog, *query.pairs())

    def ranked_by(ranker: Ranker):
        def method(query: Query) -> tuple[np.ndarray, np.ndarray]:
            people, jobs = query.pairs()
            allowed = feasible(catalog, people, jobs)
            features = build_features(
                catalog, history, people, jobs, query.day, similarity(query), settings
            )
            return ranker.score(features, query.direction), allowed

        return method

    methods = {
        "random": lambda q: (rng.random(len(q.items)), everything(q)),
        "tf-idf char n-grams": lambda q: (
            np.asarray(tf_people[q.pairs()[0]].multiply(tf_jobs[q.pairs()[1]]).sum(1)).ravel(),
            everything(q),
        ),
        "embedding only": lambda q: (similarity(q), everything(q)),
        "embedding + feasibility": lambda q: (similarity(q), only_feasible(q)),
        "baseline scorer + feasibility": ranked_by(baseline),
        "learned ranker (LambdaRank)": ranked_by(learned),
    }
    results = {}
    for direction in Direction:
        owner = h.candidate if direction is Direction.JOBS_FOR_CANDIDATE else h.job
        held = held_people if direction is Direction.JOBS_FOR_CANDIDATE else held_jobs
        test_rows = np.flatnonzero((h.referred >= cutoff) & held[owner])
        queries = build_queries(catalog, history, test_rows, direction)
        results[direction.value] = {
            name: evaluate(catalog, queries, m) for name, m in methods.items()
        }
        print(
            f"\n### {direction.value} ({len(queries)} held-out queries, "
            f"train rows {len(sets[direction])})\n"
        )
        print("| method | NDCG@10 | recall@10 | NDCG@5 | MAP | coverage | infeasible in top 10 |")
        print("|---|---|---|---|---|---|---|")
        for name, m in results[direction.value].items():
            print(
                f"| {name} | {m['ndcg@10']:.3f} | {m['recall@10']:.3f} | {m['ndcg@5']:.3f} "
                f"| {m['map']:.3f} | {m['coverage']:.2f} | {m['infeasible_in_top']:.1%} |"
            )
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    store.close()


if __name__ == "__main__":
    main()
