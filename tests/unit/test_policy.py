"""DOMAIN.md rule 6 (matching/policy.py): both tiers, the typed setting, and everyone entitled
proposed for a public-welfare post, also when retrieval would not have brought them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from matching.domain import Referral
from matching.engine import Matcher
from matching.features import HistoryIndex, could_claim, failed_market_streak
from matching.policy import (
    EVERYONE,
    FIRST_CLAIM,
    PRIORITY_GROUP,
    policy_tiers,
    served_order,
    served_scores,
    strongest_claims,
)
from matching.ranker import Ranker
from matching.settings import Settings
from matching.vocabulary import PriorityGroup
from tests.records import candidate, catalog_of, job

DAY = dt.date(2025, 6, 1)


def _failed_referrals() -> list[Referral]:
    """Three market referrals of "streak" in a row, rejected on 1, 2 and 3 March."""
    return [
        Referral(
            id=f"r{n}",
            candidate_id="streak",
            job_id=f"market{n}",
            referred_at=dt.date(2025, 2, n),
            outcome="rejected",
            outcome_at=dt.date(2025, 3, n),
        )
        for n in (1, 2, 3)
    ]


def _world(settings: Settings | None = None):
    jobs = [
        job("market1"),
        job("market2"),
        job("market3"),
        job("welfare", work_mode="public_welfare", public_welfare=True, title="社区公益岗"),
    ]
    people = [
        candidate("streak"),  # three failed market referrals in a row
        candidate("dibao", priority_groups=["dibao"]),
        candidate("graduate", priority_groups=["graduate"]),
        candidate("plain"),
    ]
    catalog = catalog_of(jobs, people, _failed_referrals())
    return catalog, HistoryIndex(catalog), settings or Settings()


def _streak(catalog, history, people: np.ndarray) -> np.ndarray:
    return failed_market_streak(catalog, history, people, np.full(len(people), DAY.toordinal()))


def test_people_for_a_post_first_claim_then_priority_groups_then_everyone() -> None:
    catalog, history, settings = _world()
    people = np.arange(4)
    welfare = np.full(4, catalog.jobs.index["welfare"])
    tiers = policy_tiers(
        catalog, people, welfare, _streak(catalog, history, people), settings, for_person=False
    )
    assert tiers.tolist() == [FIRST_CLAIM, PRIORITY_GROUP, EVERYONE, EVERYONE]
    market = np.full(4, catalog.jobs.index["market1"])
    tiers = policy_tiers(
        catalog, people, market, _streak(catalog, history, people), settings, for_person=False
    )
    assert tiers.tolist() == [EVERYONE] * 4  # a market job has no tiers


def test_for_a_person_only_the_first_claim_moves_posts_up() -> None:
    catalog, history, settings = _world()
    welfare = catalog.jobs.index["welfare"]
    for name, expected in (("streak", FIRST_CLAIM), ("dibao", EVERYONE), ("plain", EVERYONE)):
        person = np.array([catalog.candidates.index[name]])
        tier = policy_tiers(
            catalog,
            person,
            np.array([welfare]),
            _streak(catalog, history, person),
            settings,
            for_person=True,
        )
        assert tier.tolist() == [expected], name


def test_the_priority_groups_setting_is_typed_and_decides_the_second_tier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOBMATCH_PUBLIC_WELFARE_PRIORITY_GROUPS", '["graduate"]')
    settings = Settings()
    assert settings.public_welfare_priority_groups == [PriorityGroup.GRADUATE]
    catalog, history, _ = _world()
    people = np.arange(4)
    welfare = np.full(4, catalog.jobs.index["welfare"])
    tiers = policy_tiers(
        catalog, people, welfare, _streak(catalog, history, people), settings, for_person=False
    )
    assert tiers.tolist() == [FIRST_CLAIM, EVERYONE, PRIORITY_GROUP, EVERYONE]
    monkeypatch.setenv("JOBMATCH_PUBLIC_WELFARE_PRIORITY_GROUPS", '["dibao", "low_income"]')
    with pytest.raises(ValidationError, match="low_income"):
        Settings()


def test_an_entitled_person_outside_the_retrieval_pool_is_still_proposed() -> None:
    """Retrieval keeps one person (the nearest by text); both entitled people still come first."""
    catalog, history, _ = _world()
    settings = Settings(retrieval_pool=1)
    job_vectors = np.tile(np.eye(4, dtype=np.float32)[0], (4, 1))
    # "plain" is nearest to every job; the entitled people are far away.
    candidate_vectors = np.eye(4, dtype=np.float32)[[1, 2, 3, 0]]
    matcher = Matcher(
        catalog,
        Ranker(),
        settings,
        job_vectors=job_vectors,
        candidate_vectors=candidate_vectors,
    )
    ids = [m.id for m in matcher.candidates_for_job("welfare", 10, on=DAY)]
    assert ids[:2] == ["streak", "dibao"]
    assert "plain" in ids
    # A market job gets no such additions: the pool alone.
    assert [m.id for m in matcher.candidates_for_job("market1", 10, on=DAY)] == ["plain"]
    people = np.arange(4)
    welfare = np.full(4, catalog.jobs.index["welfare"])
    tiers = policy_tiers(
        catalog, people, welfare, _streak(catalog, history, people), settings, for_person=False
    )
    assert (tiers < EVERYONE).tolist() == [True, True, False, False]


@given(
    st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=30),
    st.data(),
)
def test_served_scores_sort_exactly_as_the_served_order(scores: list[float], data) -> None:
    tiers = np.array(
        data.draw(st.lists(st.integers(0, 2), min_size=len(scores), max_size=len(scores)))
    )
    values = np.array(scores)
    by_score = np.argsort(-served_scores(values, tiers), kind="stable")
    order = served_order(values, tiers)
    assert np.array_equal(tiers[by_score], tiers[order])
    assert np.array_equal(values[by_score], values[order])


def test_the_claims_kept_for_a_post_fill_from_the_strongest_tier_then_the_nearest() -> None:
    tiers = np.array([1, 0, 1, 0, 1], dtype=np.int8)
    nearness = np.array([0.9, 0.1, 0.8, 0.2, 0.7])
    # Two places: both first claims, however far, before any priority-group person.
    assert sorted(strongest_claims(tiers, nearness, 2).tolist()) == [1, 3]
    # Three places: the nearest priority-group person fills the third.
    assert sorted(strongest_claims(tiers, nearness, 3).tolist()) == [0, 1, 3]
    # Room for all: every claim is kept.
    assert sorted(strongest_claims(tiers, nearness, 9).tolist()) == [0, 1, 2, 3, 4]


def test_a_public_welfare_post_ranks_no_more_claimants_than_its_list_and_pool_hold() -> None:
    """With one place and a pool of one, only the first claim is kept, however near the
    priority-group person is: the list's one place goes to the first claim."""
    catalog, history, _ = _world()
    matcher = Matcher(
        catalog,
        Ranker(),
        Settings(retrieval_pool=1),
        job_vectors=np.tile(np.eye(4, dtype=np.float32)[0], (4, 1)),
        candidate_vectors=np.eye(4, dtype=np.float32)[[1, 2, 3, 0]],
    )
    assert [m.id for m in matcher.candidates_for_job("welfare", 1, on=DAY)] == ["streak"]


def test_who_could_claim_a_post_covers_everyone_entitled_on_every_day() -> None:
    """The people serving computes streaks for: a priority group or a streak that ever
    reached the count; on each day (before, during and after the streak) everyone entitled
    is among them, and someone with neither is not."""
    catalog, history, settings = _world()
    people = np.arange(4)
    welfare = np.full(4, catalog.jobs.index["welfare"])
    maybe = could_claim(catalog, history, people, settings)
    assert maybe.tolist() == [True, True, False, False]
    for day in (dt.date(2025, 3, 2), dt.date(2025, 3, 4), DAY):
        streak = failed_market_streak(catalog, history, people, np.full(4, day.toordinal()))
        tiers = policy_tiers(catalog, people, welfare, streak, settings, for_person=False)
        assert not ((tiers < EVERYONE) & ~maybe).any()
    # A shorter rule lets the streak person claim earlier; a longer one never.
    longer = Settings(public_welfare_failed_referrals=4)
    assert could_claim(catalog, history, people, longer).tolist() == [False, True, False, False]


def test_the_claimants_kept_for_posts_follow_the_day_and_the_snapshot() -> None:
    """The matcher keeps rule 6's claimants per day and snapshot (Matcher._claimants_on):
    asked for another day, the streak counts as of that day; after a live update swaps the
    catalog (a person newly in a priority group), the new claim is seen at once."""
    catalog, history, settings = _world()
    vectors = np.eye(4, dtype=np.float32)[[1, 2, 3, 0]]
    matcher = Matcher(
        catalog,
        Ranker(),
        Settings(retrieval_pool=1),
        job_vectors=np.tile(np.eye(4, dtype=np.float32)[0], (4, 1)),
        candidate_vectors=vectors,
    )

    def proposed(on: dt.date) -> list[str]:
        return [m.id for m in matcher.candidates_for_job("welfare", 10, on=on)]

    assert proposed(DAY)[:2] == ["streak", "dibao"]
    # On 2 March only one failure was known: no first claim yet, and no claim at all.
    assert proposed(dt.date(2025, 3, 2))[0] == "dibao"
    assert "streak" not in proposed(dt.date(2025, 3, 2))
    assert proposed(DAY)[:2] == ["streak", "dibao"]
    assert "graduate" not in proposed(DAY)  # not a configured priority group: not retrieved
    people = [
        candidate("streak"),
        candidate("dibao", priority_groups=["dibao"]),
        candidate("graduate", priority_groups=["graduate", "dibao"]),
        candidate("plain"),
    ]
    updated = catalog_of(list(catalog.jobs.records), people, _failed_referrals())
    matcher.catalog, matcher.history = updated, HistoryIndex(updated)
    assert proposed(DAY)[:3] == ["streak", "dibao", "graduate"]
