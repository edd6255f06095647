"""Job-fair plan against greedy top-K, and how long planning takes, on a synthetic world.

    python benchmarks/jobfair.py --candidates 1000 --jobs 300 --max-per-person 3

Everyone registered and every job of the world is at the fair. Pseudo-random unit vectors
stand in for m3e (embedding is not what is measured) and the documented baseline scorer
ranks, so the run needs no model; the plan, the features and the solver are the real ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np

from demo.world import generate_world
from matching.catalog import Catalog
from matching.domain import Candidate, Employer, Job, Referral
from matching.engine import Matcher
from matching.jobfair import plan_fair
from matching.ranker import Ranker
from matching.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--max-per-person", type=int, default=3)
    parser.add_argument("--per-opening", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    today = dt.date(2026, 11, 30)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate_world(
            root, seed=args.seed, candidates=args.candidates, jobs=args.jobs, today=today
        )

        def load(name: str, model: type) -> list:
            with (root / name).open(encoding="utf-8") as handle:
                return [model.model_validate_json(line) for line in handle]

        settings = Settings(home=root / "home")
        catalog = Catalog.from_records(
            employers=load("employers.jsonl", Employer),
            jobs=load("jobs.jsonl", Job),
            candidates=load("candidates.jsonl", Candidate),
            referrals=load("referrals.jsonl", Referral),
            settings=settings,
            occupations=None,
        )
    rng = np.random.default_rng(args.seed)

    def unit(n: int) -> np.ndarray:
        vectors = rng.normal(size=(n, 64)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    matcher = Matcher(
        catalog,
        Ranker(),
        settings,
        job_vectors=unit(len(catalog.jobs)),
        candidate_vectors=unit(len(catalog.candidates)),
    )
    started = time.perf_counter()
    plan = plan_fair(
        matcher,
        catalog.candidates.ids,
        catalog.jobs.ids,
        max_per_person=args.max_per_person,
        per_opening=args.per_opening,
        on=today,
    )
    seconds = time.perf_counter() - started
    print(
        f"{len(catalog.candidates)} people x {len(catalog.jobs)} jobs, "
        f"{sum(plan.capacity.values())} interview places: planned in {seconds:.1f} s"
    )
    for label, s in (("plan", plan.summary), ("greedy top-K", plan.greedy)):
        print(
            f"{label:>12}: {s.proposals} proposals, total score {s.total_score:.1f}, "
            f"{s.people_covered} people, {s.jobs_covered} jobs covered"
        )


if __name__ == "__main__":
    main()
