"""The change log and incremental serving state: every write is numbered in commit order,
and applying the changed records to a matcher gives what a full rebuild over the store gives.

The equivalence test stands a fixed pseudo-random unit vector per text (seeded by its hash,
as benchmarks/retrain.py does) in for m3e: what is tested is the splicing of catalog rows,
history events, vectors and index entries, which does not depend on the vectors' values, and
embedding a few hundred texts with m3e would take minutes on two cores. The API tests
(tests/test_api_live.py) use the real model.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, update

from demo.world import generate_world
from matching.catalog import Catalog
from matching.domain import Employer, Job, Referral
from matching.embedding import EmbeddingCache
from matching.engine import open_matcher
from matching.features import FEATURES, build_features, feasible, pair_similarity
from matching.interchange import import_directory
from matching.live import ChangeLog, LiveMatcher
from matching.occupations import OccupationVocabulary
from matching.ranker import Ranker
from matching.settings import Settings
from matching.store import Store
from matching.store.tables import CandidateRow, ReferralRow
from tests.records import EMPLOYER, candidate, job

TODAY = dt.date(2025, 6, 30)


class HashEmbedder:
    """A fixed pseudo-random unit vector per text (the interface of matching.embedding's
    Embedder)."""

    model_id = "test-hash-64"
    dim = 64

    def encode(self, texts: list[str], **_: Any) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            out[row] = np.random.default_rng(seed).standard_normal(self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def changed(record: Any, **fields: Any) -> Any:
    """The record with ``fields`` changed, validated like a write through the API."""
    return type(record).model_validate({**record.model_dump(mode="json"), **fields})


# -- the change log ---------------------------------------------------------------------------


def test_every_write_is_logged_in_order_and_read_once(store: Store) -> None:
    changes = ChangeLog(store, limit=100)
    assert changes.start() == 0
    with store.session() as session:
        store.upsert(session, "employers", [EMPLOYER])
        store.upsert(session, "jobs", [job("j1"), job("j2")])
        store.upsert(session, "candidates", [candidate("c1")])
    first = changes.read()
    assert first.upserted["jobs"] == {"j1", "j2"}
    assert first.upserted["candidates"] == {"c1"}
    assert first.upserted["employers"] == {"e"}
    assert first.last == changes.position == 4
    assert not changes.read()  # read once
    # Writes that bypass the store's helpers are logged too (the triggers are the database's).
    with store.session() as session:
        session.execute(update(CandidateRow).values(active=False))
        store.upsert(
            session,
            "referrals",
            [
                Referral(
                    id="r1", candidate_id="c1", job_id="j1", referred_at=TODAY, outcome="pending"
                )
            ],
        )
    with store.session() as session:
        session.execute(delete(ReferralRow).where(ReferralRow.id == "r1"))
    second = changes.read()
    assert second.after == 4 and second.last == 7
    assert second.upserted["candidates"] == {"c1"}
    assert second.deleted["referrals"] == {"r1"} and not second.upserted["referrals"]
    # Unchanged records re-imported write nothing, so log nothing.
    with store.session() as session:
        assert store.upsert(session, "jobs", [job("j1")]) == (0, 0, 1)
    assert not changes.read()


def test_a_rolled_back_write_leaves_no_change(store: Store) -> None:
    changes = ChangeLog(store, limit=100)
    changes.start()
    with pytest.raises(RuntimeError), store.session() as session:
        store.upsert(session, "employers", [EMPLOYER])
        raise RuntimeError("the request failed")
    assert not changes.read()
    with store.session() as session:
        store.upsert(session, "employers", [EMPLOYER])
    assert changes.read().upserted["employers"] == {"e"}


def test_more_changes_than_the_limit_are_a_bulk_change(store: Store) -> None:
    changes = ChangeLog(store, limit=3)
    changes.start()
    with store.session() as session:
        store.upsert(session, "employers", [EMPLOYER])
        store.upsert(session, "jobs", [job(f"j{n}") for n in range(5)])
    bulk = changes.read()
    assert bulk.bulk and bulk.last == 6 and len(bulk) == 0
    assert not changes.read()


def test_seq_follows_commit_order_across_concurrent_transactions(store: Store) -> None:
    """A transaction that wrote first but commits last must not commit a smaller number
    after a reader saw a larger one (PostgreSQL numbers at commit; SQLite has one writer)."""
    with store.session() as session:
        store.upsert(session, "employers", [EMPLOYER])
    changes = ChangeLog(store, limit=100)
    changes.start()
    slow_wrote, fast_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow() -> None:
        try:
            with store.session() as session:
                store.upsert(session, "jobs", [job("slow")])
                session.flush()
                slow_wrote.set()
                fast_done.wait(10)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
            slow_wrote.set()

    thread = threading.Thread(target=slow)
    thread.start()
    slow_wrote.wait(10)
    if store.engine.dialect.name == "postgresql":
        with store.session() as session:
            store.upsert(session, "jobs", [job("fast")])
        assert changes.read().upserted["jobs"] == {"fast"}
    fast_done.set()
    thread.join(10)
    assert not errors
    assert "slow" in changes.read().upserted["jobs"]


# -- applying changes equals rebuilding -----------------------------------------------------------


@pytest.fixture(scope="module")
def world_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = tmp_path_factory.mktemp("live-world")
    generate_world(files, seed=7, candidates=260, jobs=70, today=TODAY)
    return files


def _features_by_id(catalog: Catalog, history: Any, vectors: tuple, people: list, jobs: list):
    c = np.array([catalog.candidates.index[i] for i in people for _ in jobs], dtype=np.int64)
    j = np.array([catalog.jobs.index[i] for _ in people for i in jobs], dtype=np.int64)
    similarity = pair_similarity(vectors[1], vectors[0], c, j)
    features = build_features(catalog, history, c, j, TODAY.toordinal(), similarity, Settings())
    return features, feasible(catalog, c, j)


def test_applied_changes_give_what_a_rebuild_gives(tmp_path: Path, world_files: Path) -> None:
    settings = Settings(home=tmp_path / "home", exact_index_below=100)  # HNSW for people
    store = Store.open(settings)
    occupations = OccupationVocabulary.load()
    embedder = HashEmbedder()
    try:
        assert import_directory(store, world_files).ok
        changes = ChangeLog(store, limit=1000)
        changes.start()
        live_matcher = open_matcher(store, settings, embedder, Ranker(), occupations, on=TODAY)
        live = LiveMatcher(
            live_matcher, store, EmbeddingCache(store, embedder), occupations, settings
        )
        catalog = live_matcher.catalog
        people = catalog.candidates.records
        jobs = catalog.jobs.records
        referral = catalog.history.ids
        rng = np.random.default_rng(3)
        with store.session() as session:
            edited = [
                changed(p, skills=[*p.skills, "客户服务"], expected_salary=4100)
                for p in rng.choice(people, 5, replace=False)
            ]
            needs = changed(people[1], needs=["sign_language"])
            store.upsert(session, "candidates", [*edited, needs])
            store.upsert(
                session,
                "candidates",
                [
                    candidate("c-new-1", skills=["新技能甲", "客户服务"], region_code="430104"),
                    candidate("c-new-2", certificates=["新证书乙"], needs=["screen_reader"]),
                ],
            )
            session.execute(
                update(CandidateRow).where(CandidateRow.id == people[2].id).values(active=False)
            )
            welfare = next(j for j in jobs if not j.public_welfare)
            store.upsert(
                session,
                "jobs",
                [
                    changed(welfare, public_welfare=True, work_mode="public_welfare"),
                    changed(jobs[3], closes_at=(TODAY - dt.timedelta(days=1)).isoformat()),
                    changed(jobs[4], skills=["新技能甲"], openings=9),
                    Job.model_validate(
                        {
                            **jobs[5].to_interchange(),
                            "id": "j-new",
                            "title": "新岗位",
                            "certificates_required": ["新证书乙"],
                            "posted_at": TODAY.isoformat(),
                        }
                    ),
                ],
            )
            employer = Employer.model_validate(
                {
                    **store.to_record(
                        "employers", session.get(store_table("employers"), jobs[6].employer_id)
                    ).to_interchange(),
                    "disabled_staff": 0,
                    "disabled_staff_severe": 0,
                }
            )
            store.upsert(session, "employers", [employer])
            old = store.to_record("referrals", session.get(ReferralRow, referral[0]))
            store.upsert(
                session,
                "referrals",
                [
                    changed(old, outcome="hired", outcome_at=TODAY.isoformat()),
                    Referral(
                        id="r-new-1",
                        candidate_id="c-new-1",
                        job_id=jobs[0].id,
                        referred_at=TODAY - dt.timedelta(days=3),
                        outcome="rejected",
                        outcome_at=TODAY - dt.timedelta(days=1),
                    ),
                    Referral(
                        id="r-new-2",
                        candidate_id=people[7].id,
                        job_id=welfare.id,
                        referred_at=TODAY - dt.timedelta(days=2),
                        outcome="pending",
                    ),
                ],
            )
        applied = live.apply(changes.read(), on=TODAY)
        assert (applied.jobs, applied.candidates, applied.referrals) == (4 + 1, 9 - 1, 3) or (
            applied.candidates >= 8 and applied.referrals == 3
        )
        rebuilt = open_matcher(
            store,
            settings.model_copy(update={"home": tmp_path / "other"}),
            embedder,
            Ranker(),
            occupations,
            on=TODAY,
        )
        a, b = live_matcher, rebuilt
        assert sorted(a.catalog.candidates.ids) == sorted(b.catalog.candidates.ids)
        assert sorted(a.catalog.jobs.ids) == sorted(b.catalog.jobs.ids)
        assert sorted(a.job_index.ids) == sorted(b.job_index.ids)
        assert sorted(a.candidate_index.ids) == sorted(b.candidate_index.ids)
        assert np.allclose(
            a.candidate_index.vectors(["c-new-1", edited[0].id]),
            b.candidate_index.vectors(["c-new-1", edited[0].id]),
        )
        person_ids = sorted(b.catalog.candidates.ids)
        job_ids = sorted(b.catalog.jobs.ids)
        fa, oka = _features_by_id(
            a.catalog, a.history, (a.job_vectors, a.candidate_vectors), person_ids, job_ids
        )
        fb, okb = _features_by_id(
            b.catalog, b.history, (b.job_vectors, b.candidate_vectors), person_ids, job_ids
        )
        assert (oka == okb).all()
        for column, name in enumerate(FEATURES):
            np.testing.assert_allclose(
                fa[:, column], fb[:, column], rtol=1e-6, equal_nan=True, err_msg=name
            )
        for pid in ["c-new-1", "c-new-2", needs.id, *[p.id for p in edited]]:
            got = [(m.id, round(m.score, 5)) for m in a.jobs_for_candidate(pid, 10, on=TODAY)]
            want = [(m.id, round(m.score, 5)) for m in b.jobs_for_candidate(pid, 10, on=TODAY)]
            assert sorted(s for _, s in got) == sorted(s for _, s in want)
        for jid in ["j-new", jobs[4].id, welfare.id]:
            got = a.candidates_for_job(jid, 10, on=TODAY)
            want = b.candidates_for_job(jid, 10, on=TODAY)
            assert [round(m.score, 5) for m in got] == [round(m.score, 5) for m in want]
        assert people[2].id not in {m.id for m in a.candidates_for_job(jobs[0].id, 50, on=TODAY)}
    finally:
        store.close()


def store_table(kind: str) -> Any:
    from matching.store.database import KINDS

    return KINDS[kind][1]


def test_queries_during_updates_never_see_half_an_update(tmp_path: Path, world_files: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    store = Store.open(settings)
    occupations = OccupationVocabulary.load()
    embedder = HashEmbedder()
    try:
        assert import_directory(store, world_files).ok
        changes = ChangeLog(store, limit=1000)
        changes.start()
        matcher = open_matcher(store, settings, embedder, Ranker(), occupations, on=TODAY)
        live = LiveMatcher(matcher, store, EmbeddingCache(store, embedder), occupations, settings)
        people = list(matcher.catalog.candidates.ids)
        stop, errors = threading.Event(), []

        def query() -> None:
            n = 0
            while not stop.is_set():
                try:
                    matcher.jobs_for_candidate(people[n % len(people)], 5, on=TODAY)
                except BaseException as error:  # noqa: BLE001 - reported below
                    errors.append(error)
                    return
                n += 1

        threads = [threading.Thread(target=query) for _ in range(2)]
        for thread in threads:
            thread.start()
        for n in range(15):
            with store.session() as session:
                store.upsert(session, "candidates", [candidate(f"c-add-{n}", skills=[f"技能{n}"])])
            live.apply(changes.read(), on=TODAY)
            people.append(f"c-add-{n}")
        stop.set()
        for thread in threads:
            thread.join(10)
        assert not errors
        assert len(matcher.catalog.candidates) == 260 + 15
    finally:
        store.close()
