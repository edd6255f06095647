"""Job-fair plans: the assignment respects every capacity, is optimal (checked by brute force
on small cases), never worse than greedy top-K and strictly better where people compete; on a
demo world with the real m3e model and matcher, every proposal is feasible and within limits."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from demo.world import generate_world
from matching.domain import Candidate, Job
from matching.embedding import Embedder
from matching.engine import open_matcher
from matching.interchange import import_directory
from matching.jobfair import FairInputError, Pairs, assign, greedy, plan_fair, summarise
from matching.occupations import OccupationVocabulary
from matching.ranker import Ranker
from matching.rules import job_feasibility
from matching.settings import Settings
from matching.store import Store


@st.composite
def instances(draw: st.DrawFn) -> tuple[Pairs, np.ndarray, np.ndarray]:
    people = draw(st.integers(1, 5))
    jobs = draw(st.integers(1, 4))
    every = list(itertools.product(range(people), range(jobs)))
    chosen = draw(st.lists(st.sampled_from(every), unique=True, max_size=10))
    scores = draw(st.lists(st.floats(0.01, 1.0), min_size=len(chosen), max_size=len(chosen)))
    pairs = Pairs(
        np.array([p for p, _ in chosen], dtype=np.int64),
        np.array([j for _, j in chosen], dtype=np.int64),
        np.array(scores, dtype=np.float64),
    )
    person_cap = np.array(draw(st.lists(st.integers(1, 3), min_size=people, max_size=people)))
    job_cap = np.array(draw(st.lists(st.integers(0, 3), min_size=jobs, max_size=jobs)))
    return pairs, person_cap, job_cap


def _within(pairs: Pairs, chosen: np.ndarray, person_cap: np.ndarray, job_cap: np.ndarray) -> bool:
    per_person = np.bincount(pairs.person[chosen], minlength=len(person_cap))
    per_job = np.bincount(pairs.job[chosen], minlength=len(job_cap))
    return bool((per_person <= person_cap).all() and (per_job <= job_cap).all())


def _brute_force_best(pairs: Pairs, person_cap: np.ndarray, job_cap: np.ndarray) -> float:
    best = 0.0
    for mask in itertools.product([False, True], repeat=len(pairs.score)):
        chosen = np.array(mask, dtype=bool)
        if _within(pairs, chosen, person_cap, job_cap):
            best = max(best, float(pairs.score[chosen].sum()))
    return best


@hypothesis_settings(max_examples=150, deadline=None)
@given(instances())
def test_plan_respects_capacities_and_is_optimal(
    instance: tuple[Pairs, np.ndarray, np.ndarray],
) -> None:
    pairs, person_cap, job_cap = instance
    chosen = assign(pairs, person_cap, job_cap)
    assert _within(pairs, chosen, person_cap, job_cap)
    baseline = greedy(pairs, person_cap, job_cap)
    assert _within(pairs, baseline, person_cap, job_cap)
    total = float(pairs.score[chosen].sum())
    assert total == pytest.approx(_brute_force_best(pairs, person_cap, job_cap), abs=1e-9)
    assert total >= float(pairs.score[baseline].sum()) - 1e-9


def test_plan_beats_greedy_where_people_compete() -> None:
    # Person 0 likes job 0 (0.9) a little more than job 1 (0.85); person 1 fits job 0 only
    # (0.8). One interview per job, one per person. Greedy: 0 -> job 0, then person 1 has no
    # room: 0.9, one person covered. The plan: 0 -> job 1, 1 -> job 0: 1.65, both covered.
    pairs = Pairs(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([0.9, 0.85, 0.8]))
    caps = np.array([1, 1]), np.array([1, 1])
    plan, baseline = assign(pairs, *caps), greedy(pairs, *caps)
    raw = pairs.score
    assert summarise(pairs, plan, raw).total_score == pytest.approx(1.65)
    assert summarise(pairs, baseline, raw).total_score == pytest.approx(0.9)
    assert (
        summarise(pairs, plan, raw).people_covered,
        summarise(pairs, baseline, raw).people_covered,
    ) == (2, 1)


# -- on a demo world, with the real matcher ------------------------------------------------

TODAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder):  # noqa: ANN201
    root = tmp_path_factory.mktemp("fair")
    generate_world(root / "files", seed=9, candidates=160, jobs=40, today=TODAY)
    settings = Settings(home=root / "home")
    store = Store.open(settings)
    assert import_directory(store, root / "files").ok
    matcher = open_matcher(
        store,
        settings,
        embedder,
        Ranker(),
        OccupationVocabulary.load(),
        on=TODAY,
    )
    store.close()
    # The imported records themselves (disability included): feasibility is checked on them.
    people = {
        c.id: c
        for c in map(Candidate.model_validate_json, (root / "files/candidates.jsonl").open())
    }
    jobs = {j.id: j for j in map(Job.model_validate_json, (root / "files/jobs.jsonl").open())}
    return matcher, people, jobs


@pytest.mark.slow
def test_fair_plan_on_demo_data_is_feasible_within_limits_and_beats_greedy(world) -> None:  # noqa: ANN001
    matcher, records, job_records = world
    catalog = matcher.catalog
    people = catalog.candidates.ids
    jobs = catalog.jobs.ids
    plan = plan_fair(matcher, people, jobs, max_per_person=2, per_opening=1, on=TODAY)
    assert plan.proposals, "a demo fair proposes interviews"
    per_person = Counter(p.candidate_id for p in plan.proposals)
    per_job = Counter(p.job_id for p in plan.proposals)
    assert max(per_person.values()) <= 2
    assert all(per_job[j] <= plan.capacity[j] for j in per_job)
    assert len({(p.candidate_id, p.job_id) for p in plan.proposals}) == len(plan.proposals)
    for proposal in plan.proposals:
        job = job_records[proposal.job_id]
        assert job_feasibility(records[proposal.candidate_id], job).feasible, proposal
        assert job.id in plan.capacity and job.employer_id == proposal.employer_id
        assert proposal.reasons
    for person_id in per_person:
        ranks = [p.rank for p in plan.proposals if p.candidate_id == person_id]
        assert sorted(ranks) == list(range(1, len(ranks) + 1))
    # Closed and filled jobs take no part; every open vacant one has a capacity.
    assert set(plan.capacity) | set(plan.closed_jobs) == set(jobs)
    # The optimum is never below greedy, and with one interview per opening people compete.
    assert plan.summary.objective >= plan.greedy.objective
    assert plan.summary.total_score > plan.greedy.total_score
    assert plan.summary.people_covered >= plan.greedy.people_covered
    print("plan", plan.summary, "greedy", plan.greedy)  # numbers for the README


@pytest.mark.slow
def test_unknown_ids_are_refused_before_planning(world) -> None:  # noqa: ANN001
    with pytest.raises(FairInputError) as error:
        plan_fair(world[0], ["nobody"], world[0].catalog.jobs.ids[:2], max_per_person=1, on=TODAY)
    assert error.value.kind == "candidate" and error.value.unknown == ["nobody"]
