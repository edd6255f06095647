"""The matching engine end to end on a small synthetic world: the real m3e model, real faiss,
a real LightGBM ranker trained on the world's referrals, a real SQLite store."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import matching.engine as engine
from demo.world import generate_world
from matching.catalog import Catalog
from matching.embedding import Embedder, EmbeddingCache
from matching.engine import NON_PERSONALISED, Matcher, UnknownRecord, embed_catalog, open_matcher
from matching.features import (
    HistoryIndex,
    build_features,
    failed_market_streak,
    feasible,
    region_proximity,
)
from matching.index import VectorIndex
from matching.interchange import import_directory
from matching.occupations import OccupationVocabulary
from matching.ranker import Direction, Ranker
from matching.settings import Settings
from matching.store import Store
from training.config import shipped_config
from training.dataset import ranking_sets
from training.train import fit_ranker

pytestmark = pytest.mark.slow


@dataclass
class World:
    settings: Settings
    store: Store
    embedder: Embedder
    occupations: OccupationVocabulary
    catalog: Catalog
    job_vectors: np.ndarray
    candidate_vectors: np.ndarray
    learned: Ranker


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[World]:
    root = tmp_path_factory.mktemp("engine")
    generate_world(root / "files", seed=3, candidates=300, jobs=90)
    settings = Settings(home=root / "home", retrieval_pool=40)
    store = Store.open(settings)
    assert import_directory(store, root / "files").ok
    occupations = OccupationVocabulary.load()
    catalog = Catalog.from_store(store, settings, occupations)
    job_vectors, candidate_vectors = embed_catalog(
        catalog, EmbeddingCache(store, embedder), occupations
    )
    config = shipped_config().with_changes(
        {"lightgbm": {"n_estimators": 60, "min_child_samples": 5}}
    )
    sets = ranking_sets(
        catalog,
        HistoryIndex(catalog),
        job_vectors=job_vectors,
        candidate_vectors=candidate_vectors,
        settings=settings,
        rows=np.arange(len(catalog.history)),
        config=config,
    )
    learned = fit_ranker(sets, embedding_model_id=embedder.model_id, config=config)
    yield World(
        settings, store, embedder, occupations, catalog, job_vectors, candidate_vectors, learned
    )
    store.close()


@pytest.fixture(scope="module")
def matcher(world: World) -> Matcher:
    return open_matcher(
        world.store, world.settings, world.embedder, world.learned, world.occupations
    )


def test_results_are_feasible_open_and_best_first(world: World, matcher: Matcher) -> None:
    today = dt.date.today().toordinal()
    for candidate_id in matcher.catalog.candidates.ids[:60]:
        matches = matcher.jobs_for_candidate(candidate_id, 10)
        scores = [m.score for m in matches]
        c = matcher.catalog.candidates.index[candidate_id]
        jobs = np.array([matcher.catalog.jobs.index[m.id] for m in matches], dtype=np.int64)
        assert feasible(matcher.catalog, np.full(len(jobs), c), jobs).all()
        assert (
            (matcher.catalog.jobs.posted[jobs] <= today)
            & (matcher.catalog.jobs.closes[jobs] >= today)
        ).all()
        assert len({m.id for m in matches}) == len(matches) <= 10
        assert all(m.model == world.learned.name and m.reasons for m in matches)
        streak = failed_market_streak(
            matcher.catalog, matcher.history, np.array([c]), np.array([today])
        )[0]
        if streak < world.settings.public_welfare_failed_referrals:
            assert scores == sorted(scores, reverse=True)


def test_people_for_a_job_are_feasible(matcher: Matcher) -> None:
    for job_id in matcher.catalog.jobs.ids[:30]:
        matches = matcher.candidates_for_job(job_id, 10)
        people = np.array([matcher.catalog.candidates.index[m.id] for m in matches], dtype=np.int64)
        j = matcher.catalog.jobs.index[job_id]
        assert feasible(matcher.catalog, people, np.full(len(people), j)).all()


def test_retrieval_widens_until_the_pool_is_exhausted(world: World, matcher: Matcher) -> None:
    """With a tiny pool the index search must widen past infeasible neighbours."""
    narrow = Matcher(
        matcher.catalog,
        world.learned,
        world.settings.model_copy(update={"retrieval_pool": 3}),
        job_vectors=world.job_vectors,
        candidate_vectors=world.candidate_vectors,
        job_index=matcher.job_index,
        candidate_index=matcher.candidate_index,
    )
    for candidate_id in matcher.catalog.candidates.ids[:40]:
        exhaustive = matcher.jobs_for_candidate(candidate_id, 100)
        assert len(narrow.jobs_for_candidate(candidate_id, 3)) == min(3, len(exhaustive))


def test_reasons_never_contradict_the_data(matcher: Matcher) -> None:
    catalog = matcher.catalog
    for candidate_id in catalog.candidates.ids[:60]:
        c = catalog.candidates.index[candidate_id]
        for match in matcher.jobs_for_candidate(candidate_id, 5):
            j = catalog.jobs.index[match.id]
            for reason in match.reasons:
                for part in reason.split("；"):
                    if part.startswith("技能匹配："):
                        shared = set(part.removeprefix("技能匹配：").split("、"))
                        assert shared <= catalog.candidates.skill_names[c]
                        assert shared <= catalog.jobs.skill_names[j]
                    if part.startswith("缺少技能："):
                        missing = set(part.removeprefix("缺少技能：").split("、"))
                        assert not missing & catalog.candidates.skill_names[c]
                if reason.startswith("工作地点："):
                    level = int(
                        region_proximity(catalog.candidates.region[[c]], catalog.jobs.region[[j]])[
                            0
                        ]
                    )
                    label = {3: "同一区县", 2: "同一地市", 1: "同省", 0: "跨省"}[level]
                    assert label in reason
                if reason.startswith("需提供"):
                    assert catalog.candidates.records[c].needs


def test_non_personalised_orders_by_distance_then_date(matcher: Matcher) -> None:
    catalog = matcher.catalog
    for candidate_id in catalog.candidates.ids[:20]:
        matches = matcher.jobs_for_candidate(candidate_id, 10, personalised=False)
        c = catalog.candidates.index[candidate_id]
        jobs = np.array([catalog.jobs.index[m.id] for m in matches], dtype=np.int64)
        keys = list(
            zip(
                -region_proximity(
                    catalog.candidates.region[np.full(len(jobs), c)], catalog.jobs.region[jobs]
                ),
                -catalog.jobs.posted[jobs],
                strict=True,
            )
        )
        assert keys == sorted(keys)
        assert all(m.model == NON_PERSONALISED for m in matches)


def test_public_welfare_posts_first_after_three_failed_market_referrals(
    matcher: Matcher,
) -> None:
    catalog = matcher.catalog
    today = np.array([dt.date.today().toordinal()])
    checked = 0
    for c, candidate_id in enumerate(catalog.candidates.ids):
        streak = failed_market_streak(catalog, matcher.history, np.array([c]), today)[0]
        if streak < 3:
            continue
        matches = matcher.jobs_for_candidate(candidate_id, 10)
        welfare = [catalog.jobs.public_welfare[catalog.jobs.index[m.id]] for m in matches]
        assert welfare == sorted(welfare, reverse=True)  # every post before any market job
        checked += any(welfare)
    assert checked, "the world should hold someone with three failed market referrals"


def test_learned_ranker_round_trips_and_guards_its_embedding_model(
    world: World, matcher: Matcher, tmp_path: Path
) -> None:
    world.learned.save(tmp_path / "ranker")
    loaded = Ranker.load(tmp_path / "ranker")
    rows = np.random.default_rng(0).random((5, len(loaded.features))).astype(np.float32)
    for direction in Direction:
        assert np.allclose(loaded.score(rows, direction), world.learned.score(rows, direction))
        contributions = loaded.contributions(rows, direction)
        assert np.allclose(contributions.sum(axis=1), loaded.score(rows, direction), atol=1e-6)
    loaded.check_compatible(world.embedder.model_id)
    with pytest.raises(ValueError, match="embedding model"):
        loaded.check_compatible("another-model")


def test_unknown_ids_are_named(matcher: Matcher) -> None:
    with pytest.raises(UnknownRecord, match="no candidate with id nobody"):
        matcher.jobs_for_candidate("nobody", 5)
    with pytest.raises(UnknownRecord, match="no job with id nothing"):
        matcher.candidates_for_job("nothing", 5)


def test_features_as_of_a_day_ignore_everything_referred_from_that_day_on(world: World) -> None:
    """No leakage: dropping every referral made on or after a day changes no feature as of it."""
    with world.store.session() as session:
        employers = list(world.store.iter_records(session, "employers"))
        referrals = list(world.store.iter_records(session, "referrals"))
    catalog = world.catalog
    day = int(np.median(catalog.history.referred))
    truncated = Catalog.from_records(
        employers=employers,
        jobs=catalog.jobs.records,
        candidates=catalog.candidates.records,
        referrals=[r for r in referrals if r.referred_at.toordinal() < day],
        settings=world.settings,
        occupations=world.occupations,
    )
    assert 0 < len(truncated.history) < len(catalog.history)
    people = np.arange(len(catalog.candidates))
    jobs = people % len(catalog.jobs)
    similarity = np.zeros(len(people))
    full = build_features(
        catalog, HistoryIndex(catalog), people, jobs, day, similarity, world.settings
    )
    cut = build_features(
        truncated, HistoryIndex(truncated), people, jobs, day, similarity, world.settings
    )
    assert np.array_equal(full, cut, equal_nan=True)


def test_region_prefix_limits_results_to_a_counselors_area(matcher: Matcher) -> None:
    catalog = matcher.catalog
    prefix = str(catalog.jobs.region[0])[:4]
    for candidate_id in catalog.candidates.ids[:30]:
        for match in matcher.jobs_for_candidate(candidate_id, 10, region_prefix=prefix):
            assert str(catalog.jobs.region[catalog.jobs.index[match.id]]).startswith(prefix)
    for job_id in catalog.jobs.ids[:20]:
        for match in matcher.candidates_for_job(job_id, 10, region_prefix=prefix):
            person = catalog.candidates.index[match.id]
            assert str(catalog.candidates.region[person]).startswith(prefix)


def _matcher_over(
    world: World,
    ranker: Ranker,
    job_index: VectorIndex | None,
    candidate_index: VectorIndex | None,
) -> Matcher:
    """A matcher over the world's catalog and vectors with this ranker and these indexes."""
    return Matcher(
        world.catalog,
        ranker,
        world.settings,
        job_vectors=world.job_vectors,
        candidate_vectors=world.candidate_vectors,
        job_index=job_index,
        candidate_index=candidate_index,
    )


def test_reasons_from_the_contribution_table_are_those_of_pred_contrib(
    world: World, matcher: Matcher
) -> None:
    """The table (matching.contributions) changes no result, score or reason: the same
    matcher with LightGBM computing every contribution answers exactly the same."""
    direct = dataclasses.replace(world.learned)
    direct._tables = dict.fromkeys(Direction)  # no table: LightGBM's pred_contrib each time
    assert world.learned.contribution_table(Direction.JOBS_FOR_CANDIDATE) is not None
    reference = _matcher_over(world, direct, matcher.job_index, matcher.candidate_index)
    for candidate_id in matcher.catalog.candidates.ids[:80]:
        assert matcher.jobs_for_candidate(candidate_id, 10) == (
            reference.jobs_for_candidate(candidate_id, 10)
        )
    for job_id in matcher.catalog.jobs.ids[:40]:
        assert matcher.candidates_for_job(job_id, 10) == reference.candidates_for_job(job_id, 10)


@pytest.mark.parametrize(
    "path",
    ["first search", "restricted index", "exact", "restricted to a share", "rows in order"],
)
def test_served_top_10_equals_exact_search(
    world: World, matcher: Matcher, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Over HNSW indexes, by each retrieval path, the top 10 served for a fixed set of
    queries (every public-welfare post among them: rule 6 retrieves each tier of its
    claimants) are those of exact search over every feasible item. "restricted to a share":
    a small share of the index eligible (a priority group) is searched in the index
    restricted to it, as a national register's tiers are, not scored exactly. "rows in
    order": the restricted index again, over indexes holding every catalog row in catalog
    order, whose restrictions are the eligibility masks themselves (Matcher._storage_mask)."""
    today = dt.date.today().toordinal()
    catalog = matcher.catalog
    open_jobs = np.flatnonzero(catalog.jobs.closes >= today)
    active = np.flatnonzero(catalog.candidates.active)
    if path == "rows in order":
        open_jobs, active = np.arange(len(catalog.jobs)), np.arange(len(catalog.candidates))
    else:  # storage positions that are not catalog rows: restrictions are gathered
        open_jobs, active = open_jobs[::-1], active[::-1]

    def hnsw(ids: list[str], rows: np.ndarray, vectors: np.ndarray) -> VectorIndex:
        return VectorIndex.build([ids[i] for i in rows], vectors[rows], exact_below=0)

    exact = _matcher_over(world, world.learned, None, None)
    searched = _matcher_over(
        world,
        world.learned,
        hnsw(catalog.jobs.ids, open_jobs, world.job_vectors),
        hnsw(catalog.candidates.ids, active, world.candidate_vectors),
    )
    assert searched.job_index is not None and searched.job_index.kind == "hnsw"
    if path in ("restricted index", "exact", "rows in order"):
        monkeypatch.setattr(engine, "FIRST_SEARCH", 0)  # the first search never fills the pool
        monkeypatch.setattr(engine, "EXACT_SHARE", 1 if path == "exact" else 10**9)
    if path != "exact":  # no eligible set is too small to search the index for
        searched.settings = world.settings.model_copy(update={"exact_index_below": 0})
    welfare = [catalog.jobs.ids[j] for j in np.flatnonzero(catalog.jobs.public_welfare)]
    assert welfare
    for candidate_id in catalog.candidates.ids[:60]:
        assert searched.jobs_for_candidate(candidate_id, 10) == exact.jobs_for_candidate(
            candidate_id, 10
        )
    for job_id in dict.fromkeys(catalog.jobs.ids[:30] + welfare):
        assert searched.candidates_for_job(job_id, 10) == exact.candidates_for_job(job_id, 10)
    assert searched.candidate_index is not None
    in_order = searched._index_map(searched.candidate_index, catalog.candidates.index).in_order
    assert in_order == (path == "rows in order")


@pytest.mark.parametrize("in_order", [True, False])
def test_a_replaced_vector_is_never_searched_under_its_old_position(
    world: World, in_order: bool
) -> None:
    """An edit that re-embeds a person replaces their vector in the index: the old storage
    position is tombstoned and the new one appended. A restriction built after that
    (Matcher._storage_mask) allows the new position only, whether or not the index held the
    catalog's rows in order before: a restricted search returning the old position served
    the person twice, once under their old vector."""
    catalog = world.catalog
    rows = np.arange(len(catalog.candidates))
    if not in_order:
        rows = rows[::-1]
    index = VectorIndex.build(
        [catalog.candidates.ids[i] for i in rows], world.candidate_vectors[rows], exact_below=0
    )
    matcher = _matcher_over(world, world.learned, None, index)
    everyone = np.ones(len(catalog.candidates), dtype=bool)
    before = matcher._storage_mask(index, catalog.candidates.index, everyone)
    assert before.all()
    edited = 3
    old_position = index.storage_ids.index(catalog.candidates.ids[edited])
    index.add([catalog.candidates.ids[edited]], -world.candidate_vectors[edited : edited + 1])
    after = matcher._storage_mask(index, catalog.candidates.index, everyone)
    assert len(after) == len(index.storage_ids)
    assert not after[old_position] and after[-1]
    assert int(after.sum()) == len(catalog.candidates)
    hits = matcher._rows_of(index, catalog.candidates.index)[
        index.search_storage(-world.candidate_vectors[edited], 50, allowed=after)
    ]
    assert list(hits).count(edited) == 1
