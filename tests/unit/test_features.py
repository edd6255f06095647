"""The vectorised feasibility and the history features, against the pure rules and by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import engine
from matching.catalog import Catalog
from matching.domain import Candidate, Job, Referral
from matching.engine import Matcher
from matching.features import FEATURES, HistoryIndex, build_features, feasible, vacant
from matching.index import VectorIndex
from matching.occupations import OccupationVocabulary
from matching.ranker import Ranker
from matching.rules import job_feasibility
from matching.settings import Settings
from matching.vocabulary import Accommodation, Dimension, DisabilityCategory
from tests.records import candidate, catalog_of, job

CERTIFICATES = ["盲人医疗按摩人员资格证", "驾驶证", "会计从业资格"]
levels = st.integers(0, 3)
demands = st.dictionaries(st.sampled_from(list(Dimension)), levels)
accommodations = st.lists(st.sampled_from(list(Accommodation)), unique=True)
certificates = st.lists(st.sampled_from(CERTIFICATES), unique=True)


@st.composite
def jobs(draw: st.DrawFn, n: int) -> Job:
    return job(
        f"j{n}",
        demands=draw(demands),
        accommodations=draw(accommodations),
        certificates_required=draw(
            st.lists(st.sampled_from(CERTIFICATES), max_size=2, unique=True)
        ),
    )


@st.composite
def candidates(draw: st.DrawFn, n: int) -> Candidate:
    category = draw(st.none() | st.sampled_from(list(DisabilityCategory)))
    return candidate(
        f"c{n}",
        disability_category=category,
        disability_grade=draw(st.integers(1, 4)) if category else None,
        capacities=draw(st.dictionaries(st.sampled_from(list(Dimension)), levels)),
        needs=draw(st.lists(st.sampled_from(list(Accommodation)), max_size=2, unique=True)),
        certificates=draw(certificates),
    )


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_vectorised_feasibility_agrees_with_the_rules(data: st.DataObject) -> None:
    job_list = [data.draw(jobs(n)) for n in range(6)]
    people = [data.draw(candidates(n)) for n in range(6)]
    catalog = catalog_of(job_list, people)
    ci, ji = np.meshgrid(np.arange(6), np.arange(6), indexing="ij")
    got = feasible(catalog, ci.ravel(), ji.ravel())
    for c, j, answer in zip(ci.ravel(), ji.ravel(), got, strict=True):
        assert answer == job_feasibility(people[c], job_list[j]).feasible
    # One job against many people, one person against many jobs: the same answers.
    grid = got.reshape(6, 6)
    rows = np.arange(6)
    for n in range(6):
        assert feasible(catalog, rows, n).tolist() == grid[:, n].tolist()
        assert feasible(catalog, n, rows).tolist() == grid[n].tolist()
    assert feasible(catalog, rows[:0], 0).shape == feasible(catalog, 0, rows[:0]).shape == (0,)


def _world() -> tuple[Catalog, HistoryIndex]:
    job_list = [
        job("market1", title="客服", openings=1),
        job("market2", title="录入"),
        job("welfare", title="保洁", work_mode="public_welfare", public_welfare=True),
    ]
    people = [candidate("p")]
    referrals = [
        Referral(
            id="r1",
            candidate_id="p",
            job_id="market2",
            referred_at="2025-02-01",
            outcome="rejected",
            outcome_at="2025-02-05",
        ),
        Referral(
            id="r2",
            candidate_id="p",
            job_id="market2",
            referred_at="2025-03-01",
            outcome="no_show",
            outcome_at="2025-03-02",
        ),
        Referral(
            id="r3",
            candidate_id="p",
            job_id="market2",
            referred_at="2025-04-01",
            outcome="declined",
            outcome_at="2025-04-03",
        ),
        Referral(
            id="r4",
            candidate_id="p",
            job_id="market1",
            referred_at="2025-05-01",
            outcome="hired",
            outcome_at="2025-05-10",
        ),
    ]
    catalog = catalog_of(job_list, people, referrals)
    return catalog, HistoryIndex(catalog)


def _features_on(day: str, job: int) -> dict[str, float]:
    catalog, history = _world()
    on = np.array([dt.date.fromisoformat(day).toordinal()])
    row = build_features(
        catalog, history, np.array([0]), np.array([job]), on, np.zeros(1), Settings()
    )[0]
    return dict(zip(FEATURES, row.tolist(), strict=True))


def test_history_is_as_of_the_day_and_only_known_outcomes_count() -> None:
    # On 2025-04-03 the third failure is not yet known (strictly before the day only).
    before = _features_on("2025-04-03", 2)
    assert before["person_failed_market_streak"] == 2
    assert before["public_welfare_priority"] == 0
    after = _features_on("2025-04-04", 2)
    assert after["person_failed_market_streak"] == 3
    assert after["public_welfare_priority"] == 1
    assert after["person_prior_referrals"] == 3
    # The referral of 2025-05-01 (being labelled) never sees itself; a hire resets the streak.
    labelled = _features_on("2025-05-01", 0)
    assert labelled["person_prior_referrals"] == 3 and labelled["person_prior_hires"] == 0
    assert labelled["job_prior_hires"] == 0
    later = _features_on("2025-05-11", 2)
    assert later["person_failed_market_streak"] == 0 and later["person_prior_hires"] == 1


def test_filled_jobs_are_not_vacant() -> None:
    catalog, history = _world()
    days = np.full(3, dt.date(2025, 5, 11).toordinal())
    assert vacant(catalog, history, np.arange(3), days).tolist() == [False, True, True]


@settings(max_examples=40, deadline=None)
@given(st.data(), st.integers(1, 8), st.integers(1, 5))
def test_matcher_never_returns_an_infeasible_pair_and_misses_no_feasible_one(
    data: st.DataObject, k: int, pool: int
) -> None:
    """Whatever the vectors and the pool size, results are exactly the best feasible items."""
    job_list = [data.draw(jobs(n)) for n in range(7)]
    people = [data.draw(candidates(n)) for n in range(5)]
    catalog = catalog_of(job_list, people)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    job_vectors = rng.normal(size=(7, 8)).astype(np.float32)
    people_vectors = rng.normal(size=(5, 8)).astype(np.float32)
    job_vectors /= np.linalg.norm(job_vectors, axis=1, keepdims=True)
    people_vectors /= np.linalg.norm(people_vectors, axis=1, keepdims=True)
    matcher = Matcher(
        catalog,
        Ranker(),
        Settings(retrieval_pool=pool),
        job_vectors=job_vectors,
        candidate_vectors=people_vectors,
        job_index=VectorIndex.build([j.id for j in job_list], job_vectors),
        candidate_index=VectorIndex.build([p.id for p in people], people_vectors),
    )
    for person in people:
        found = [m.id for m in matcher.jobs_for_candidate(person.id, k)]
        truly = {j.id for j in job_list if job_feasibility(person, j).feasible}
        assert set(found) <= truly
        assert len(found) == min(k, pool, len(truly))
    for posted in job_list:
        found = [m.id for m in matcher.candidates_for_job(posted.id, k)]
        truly = {p.id for p in people if job_feasibility(p, posted).feasible}
        assert set(found) <= truly
        assert len(found) == min(k, pool, len(truly))


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_exact_fallback_returns_what_the_index_search_returns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Checking every eligible item's requirements first, then scoring the feasible ones
    exactly or searching the index restricted to them, changes no answer."""
    rng = np.random.default_rng(7)
    job_list = [jobs(n).example() for n in range(30)]
    people = [candidates(n).example() for n in range(10)]
    catalog = catalog_of(job_list, people)
    job_vectors = rng.normal(size=(30, 8)).astype(np.float32)
    job_vectors /= np.linalg.norm(job_vectors, axis=1, keepdims=True)
    people_vectors = rng.normal(size=(10, 8)).astype(np.float32)
    people_vectors /= np.linalg.norm(people_vectors, axis=1, keepdims=True)
    # No eligible set too small to search the index for.
    searching = Settings(retrieval_pool=4, exact_index_below=0)
    matcher = Matcher(
        catalog,
        Ranker(),
        searching,
        job_vectors=job_vectors,
        candidate_vectors=people_vectors,
        job_index=VectorIndex.build([j.id for j in job_list], job_vectors),
        candidate_index=VectorIndex.build([p.id for p in people], people_vectors),
    )
    searched = [[m.id for m in matcher.jobs_for_candidate(p.id, 4)] for p in people]
    monkeypatch.setattr(engine, "FIRST_SEARCH", 0)  # the first search never fills the pool
    monkeypatch.setattr(engine, "EXACT_SHARE", 10**9)  # the feasible ones in the index
    assert [[m.id for m in matcher.jobs_for_candidate(p.id, 4)] for p in people] == searched
    matcher.settings = Settings(retrieval_pool=4)  # 30 jobs: scored exactly
    assert [[m.id for m in matcher.jobs_for_candidate(p.id, 4)] for p in people] == searched


def test_occupation_match_grades_same_occupation_minor_and_major_group() -> None:
    # 客户服务管理员 4-07-02-03; 风险管理师 4-07-02-01 (same minor group); 保安员 4-07-05-01
    # (same major group 4); 通信工程技术人员 2-02-10-01 (another major group).
    codes = ["4-07-02-03", "风险管理师", "保安员", "2-02-10-01", None]
    job_list = [job(f"j{n}", occupation=code) for n, code in enumerate(codes)]
    targets = [["客户服务管理员"], ["保健按摩师", "通信工程技术人员"], []]
    people = [candidate(f"c{n}", target_occupations=t) for n, t in enumerate(targets)]
    catalog = catalog_of(job_list, people, occupations=OccupationVocabulary.load())
    ci, ji = (a.ravel() for a in np.meshgrid(np.arange(3), np.arange(5), indexing="ij"))
    rows = build_features(
        catalog, HistoryIndex(catalog), ci, ji, np.full(15, 739000), np.zeros(15), Settings()
    )
    got = rows[:, FEATURES.index("occupation_match")].reshape(3, 5)
    nan = np.nan
    expected = [[3, 2, 1, 0, nan], [1, 1, 1, 3, nan], [nan] * 5]
    np.testing.assert_array_equal(got, np.array(expected, dtype=np.float32))
