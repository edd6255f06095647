"""Evaluation worlds (demo/worlds.py): cold-start people and jobs without history, the
months world's one-referral-at-a-time policy, and graded truth that respects feasibility."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from demo.worlds import (
    GRADE_SHARES,
    MIN_GAP_DAYS,
    Truth,
    WorldStyle,
    generate_evaluation_world,
)
from matching.catalog import Catalog
from matching.domain import Candidate, Employer, Job, Referral
from matching.features import HistoryIndex, feasible
from matching.ranker import Direction
from matching.settings import Settings
from training.evaluate import truth_queries

TODAY = dt.date(2026, 6, 30)


def _read(directory: Path, name: str, model):
    lines = (directory / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [model.model_validate(json.loads(line)) for line in lines]


@pytest.fixture(scope="module", params=list(WorldStyle))
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp(request.param.value)
    summary = generate_evaluation_world(
        directory,
        style=request.param,
        seed=4,
        candidates=300,
        jobs=150,
        referrals=700,
        today=TODAY,
    )
    catalog = Catalog.from_records(
        employers=_read(directory, "employers", Employer),
        jobs=_read(directory, "jobs", Job),
        candidates=_read(directory, "candidates", Candidate),
        referrals=_read(directory, "referrals", Referral),
        settings=Settings(),
        occupations=None,
    )
    return summary, catalog, Truth.load(directory)


def test_cold_start_people_and_jobs_have_no_referral(world) -> None:
    summary, catalog, truth = world
    assert summary.cold_candidates == 30 and summary.cold_jobs > 0
    referred_people = {catalog.candidates.ids[i] for i in catalog.history.candidate.tolist()}
    referred_jobs = {catalog.jobs.ids[i] for i in catalog.history.job.tolist()}
    assert not referred_people & set(truth.cold_candidates)
    assert not referred_jobs & set(truth.cold_jobs)
    day = truth.day.toordinal()
    cold = np.array([catalog.jobs.index[i] for i in truth.cold_jobs])
    assert ((catalog.jobs.posted[cold] <= day) & (catalog.jobs.closes[cold] >= day)).all()


def _feasible_grid(catalog: Catalog, people: np.ndarray, jobs: np.ndarray) -> np.ndarray:
    ok = feasible(catalog, np.repeat(people, len(jobs)), np.tile(jobs, len(people)))
    return ok.reshape(len(people), len(jobs))


def test_truth_grades_only_feasible_pairs_in_the_declared_shares(world) -> None:
    _, catalog, truth = world
    every_person = np.array([catalog.candidates.index[i] for i in truth.candidate_ids])
    every_job = np.array([catalog.jobs.index[i] for i in truth.job_ids])
    cold_people = np.array([catalog.candidates.index[i] for i in truth.cold_candidates])
    cold_jobs = np.array([catalog.jobs.index[i] for i in truth.cold_jobs])
    by_person = _feasible_grid(catalog, cold_people, every_job)
    by_job = _feasible_grid(catalog, every_person, cold_jobs).T
    assert truth.jobs_for_candidate.shape == by_person.shape
    assert truth.candidates_for_job.shape == by_job.shape
    assert (truth.jobs_for_candidate[~by_person] == 0).all()
    assert (truth.candidates_for_job[~by_job] == 0).all()
    grades = np.r_[truth.jobs_for_candidate[by_person], truth.candidates_for_job[by_job]]
    shares = np.bincount(grades, minlength=4)[::-1][:3] / len(grades)
    assert np.allclose(shares, GRADE_SHARES, atol=0.005)


def test_truth_queries_rank_every_feasible_item_and_count_what_retrieval_missed(world) -> None:
    _, catalog, truth = world
    history = HistoryIndex(catalog)
    queries = truth_queries(catalog, history, truth, Direction.CANDIDATES_FOR_JOB)
    assert queries
    for query in queries:
        people, jobs = query.pairs()
        assert feasible(catalog, people, jobs).all()
        assert query.retrieved.all()
        assert query.relevance.max() > 0


def test_the_months_world_refers_one_job_at_a_time_weeks_apart(world) -> None:
    summary, catalog, _ = world
    if summary.style is not WorldStyle.MONTHS:
        pytest.skip("the counselor-days world is the demo generator's")
    h = catalog.history
    assert max(Counter(zip(h.candidate.tolist(), h.referred.tolist(), strict=True)).values()) == 1
    for person in np.unique(h.candidate):
        days = np.sort(h.referred[h.candidate == person])
        assert (np.diff(days) >= MIN_GAP_DAYS).all()
    assert h.referred.min() >= TODAY.toordinal() - 365


def test_a_seed_gives_the_same_world(tmp_path: Path) -> None:
    for run in ("a", "b"):
        generate_evaluation_world(
            tmp_path / run,
            style=WorldStyle.MONTHS,
            seed=9,
            candidates=120,
            jobs=60,
            referrals=200,
            today=TODAY,
        )
    for name in ("jobs", "candidates", "referrals"):
        assert (tmp_path / "a" / f"{name}.jsonl").read_bytes() == (
            tmp_path / "b" / f"{name}.jsonl"
        ).read_bytes()
    a, b = Truth.load(tmp_path / "a"), Truth.load(tmp_path / "b")
    assert np.array_equal(a.jobs_for_candidate, b.jobs_for_candidate)
