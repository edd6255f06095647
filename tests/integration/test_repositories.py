"""The typed repositories of matching/store: each write audited and committed by the
repository itself, compare-and-set on the content hash, and job lists counted after the
open-only filter. On a real store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from matching.domain import Job
from matching.store import Store
from matching.store.candidates import Candidates
from matching.store.employers import Employers
from matching.store.jobs import Jobs
from matching.store.repository import AlreadyExists, ConcurrentChange, StaleVersion
from matching.store.tables import CandidateRow, JobRow
from tests.records import EMPLOYER, candidate, job
from tests.store_session import committed_audit, request_session
from tests.world import id_number

TODAY = dt.date(2025, 6, 1)


def _with_employer(store: Store) -> None:
    with request_session(store) as session:
        Employers(store, session, actor="u:counselor").register(EMPLOYER)


def test_a_write_is_audited_and_committed_by_the_repository(store: Store) -> None:
    _with_employer(store)
    with request_session(store) as session:
        Jobs(store, session, actor="u:employer").post(job("j1"))
    assert committed_audit(store) == [
        ("u:counselor", "create_employer", "employers:e", None),
        ("u:employer", "post_job", "jobs:j1", None),
    ]
    with request_session(store) as session:
        assert session.get(JobRow, "j1") is not None


def test_a_taken_id_is_refused_and_nothing_is_written(store: Store) -> None:
    _with_employer(store)
    with (
        request_session(store) as session,
        pytest.raises(AlreadyExists, match="employer e already"),
    ):
        Employers(store, session, actor="u:other").register(EMPLOYER)
    assert [entry[1] for entry in committed_audit(store)] == ["create_employer"]


def test_listing_open_jobs_counts_the_limit_after_the_filter(store: Store) -> None:
    _with_employer(store)
    closed = [job(f"a{n}", closes_at="2025-02-01") for n in range(3)]
    with request_session(store) as session:
        jobs = Jobs(store, session, actor="u:employer")
        for record in [*closed, job("b1"), job("b2"), job("b3")]:
            jobs.post(record)
        # The three closed jobs sort first: a limit applied before the filter found none.
        found = jobs.search(employer_id="e", open_on=TODAY, limit=2)
        assert [j.id for j in found] == ["b1", "b2"]
        assert len(jobs.search(employer_id="e", limit=4)) == 4
        assert [j.id for j in jobs.search(region_prefix="4301", open_on=TODAY, limit=9)] == [
            "b1",
            "b2",
            "b3",
        ]
        assert jobs.search(region_prefix="11", limit=9) == []


def _rename(title: str) -> Callable[[JobRow], Job]:
    def change(row: JobRow) -> Job:
        return Job.model_validate(row.record).model_copy(update={"title": title})

    return change


def test_a_change_with_a_stale_version_is_refused(store: Store) -> None:
    _with_employer(store)
    with request_session(store) as session:
        jobs = Jobs(store, session, actor="u:employer")
        jobs.post(job("j1"))
        load = lambda: session.get(JobRow, "j1")  # noqa: E731
        old = load().content_hash
        _, changed, version = jobs.patch(
            load, _rename("新岗位"), if_match=f'"{old}"', changed=lambda: ["title"]
        )
        assert changed.title == "新岗位" and version != old
        with pytest.raises(StaleVersion, match="jobs:j1"):
            jobs.patch(load, _rename("再改"), if_match=f'"{old}"', changed=lambda: ["title"])
    assert committed_audit(store)[-1] == ("u:employer", "update_job", "jobs:j1", "title")
    with request_session(store) as session:
        assert session.get(JobRow, "j1").record["title"] == "新岗位"


def test_a_change_is_reapplied_to_a_newer_version_then_given_up(store: Store) -> None:
    _with_employer(store)
    with request_session(store) as session:
        Jobs(store, session, actor="u:employer").post(job("j1", openings=1))
    writes = []

    def meanwhile(title: str) -> None:
        # Another writer commits between this change's read and its write.
        with request_session(store) as other:
            Jobs(store, other, actor="u:other").patch(
                lambda: other.get(JobRow, "j1"), _rename(title), if_match=None, changed=list
            )

    with request_session(store) as session:
        jobs = Jobs(store, session, actor="u:employer")

        def load() -> JobRow:
            row = session.get(JobRow, "j1", populate_existing=True)
            if len(writes) < 1:
                writes.append(1)
                meanwhile("他人改过")
            return row

        def more_openings(row: JobRow) -> Job:
            return Job.model_validate(row.record).model_copy(update={"openings": 5})

        _, stored, _ = jobs.patch(load, more_openings, if_match=None, changed=lambda: ["openings"])
        # Both writers' fields survive: ours was applied to their version.
        assert (stored.title, stored.openings) == ("他人改过", 5)

        def always_overtaken() -> JobRow:
            row = session.get(JobRow, "j1", populate_existing=True)
            meanwhile(f"他人 {len(writes)}")
            writes.append(1)
            return row

        with pytest.raises(ConcurrentChange, match="jobs:j1"):
            jobs.patch(always_overtaken, more_openings, if_match=None, changed=list)


def test_closing_a_job_posted_today_closes_it_on_its_posting_day(store: Store) -> None:
    _with_employer(store)
    with request_session(store) as session:
        jobs = Jobs(store, session, actor="u:employer")
        jobs.post(job("j1", posted_at=TODAY.isoformat()))
        jobs.post(job("j2"))
        load = lambda job_id: lambda: session.get(JobRow, job_id)  # noqa: E731
        assert jobs.close(load("j1"), if_match=None, today=TODAY)[1].closes_at == TODAY
        yesterday = TODAY - dt.timedelta(days=1)
        assert jobs.close(load("j2"), if_match=None, today=TODAY)[1].closes_at == yesterday
    assert committed_audit(store)[-1] == (
        "u:employer",
        "close_job",
        "jobs:j2",
        "closes_at 2025-05-31",
    )


def test_candidate_reads_and_searches_are_audited_without_the_identifiers(
    store: Store,
) -> None:
    person = candidate("c1", name="张三", id_number=id_number(), phone="13800138000")
    with request_session(store) as session:
        people = Candidates(store, session, actor="u:counselor")
        people.register(person)
        row = session.get(CandidateRow, "c1")
        assert people.read(row, purpose="回访 张三 13800138000").phone == "13800138000"
        assert [r.id for r in people.search(region_prefix="4301", name="张三", limit=5)] == ["c1"]
        assert people.search(region_prefix="4301", name="李四", limit=5) == []
        assert people.search(region_prefix="4301", limit=5)[0].id == "c1"
        people.deactivate(row)
    entries = committed_audit(store)
    assert [e[1] for e in entries] == [
        "create",
        "read_sensitive",
        "read_sensitive",
        "search",
        "search",
        "deactivate",
    ]
    read = entries[2][3] or ""
    assert "回访" in read and "张三" not in read and "13800138000" not in read
    assert entries[3][2:] == ("candidates:c1", "by name; 1 found")
    assert entries[4][2:] == ("candidates", "by name; 0 found")
    with request_session(store) as session:
        assert session.get(CandidateRow, "c1").active is False
