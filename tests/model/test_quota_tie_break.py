"""The quota-gap tie-break (README, "Quota compliance"): among equally fit jobs, those of an
employer below the quota go first; it never reorders results whose fit differs, and a
declaration, not only the employer record, gives the gap."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from matching.catalog import Catalog
from matching.domain import Candidate, Employer, Job, QuotaDeclaration
from matching.engine import Matcher
from matching.ranker import Ranker
from matching.settings import Settings
from matching.store import Store

EMPLOYERS = [
    # "a_full" meets the quota (3 of 200 = 1.5%); "b_gap" lacks 3 (0 of 200).
    Employer(
        id="a_full",
        name="甲",
        type="private",
        region_code="430104",
        staff_count=200,
        disabled_staff=3,
    ),
    Employer(
        id="b_gap",
        name="乙",
        type="private",
        region_code="430104",
        staff_count=200,
        disabled_staff=0,
    ),
]
PERSON = Candidate(id="c1", region_code="430104", skills=["客户服务"], registered_at="2025-01-01")


def job(job_id: str, employer_id: str, salary_max: float = 4000) -> Job:
    return Job(
        id=job_id,
        employer_id=employer_id,
        title="客服专员",
        skills=["客户服务"],
        region_code="430104",
        work_mode="quota",
        salary_min=3000,
        salary_max=salary_max,
        posted_at="2025-01-01",
    )


def ranked(jobs: list[Job], settings: Settings, employers: list[Employer] = EMPLOYERS) -> list[str]:
    catalog = Catalog.from_records(
        employers=employers,
        jobs=jobs,
        candidates=[PERSON],
        referrals=[],
        settings=settings,
        occupations=None,
    )
    # One vector for all: equal embedding similarity, so the baseline scores tie exactly.
    vectors = np.ones((len(jobs), 4), dtype=np.float32) / 2
    matcher = Matcher(
        catalog,
        Ranker(),
        settings,
        job_vectors=vectors,
        candidate_vectors=np.ones((1, 4), dtype=np.float32) / 2,
    )
    return [m.id for m in matcher.jobs_for_candidate("c1", 10, on=dt.date(2025, 6, 1))]


def test_equal_fit_jobs_of_an_employer_below_the_quota_go_first(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    jobs = [job("j1", "a_full"), job("j2", "b_gap")]
    assert ranked(jobs, settings) == ["j2", "j1"]
    off = settings.model_copy(update={"quota_gap_tie_break_decimals": None})
    assert ranked(jobs, off) == ["j1", "j2"]  # retrieval order, as without the tie-break


def test_the_tie_break_never_overrides_a_better_fit(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    # The person has every skill j1 asks for and one of j2's three: j1 fits better, though
    # only j2's employer is below the quota.
    better = job("j1", "a_full")
    worse = job("j2", "b_gap").model_copy(update={"skills": ["客户服务", "打字", "剪辑"]})
    assert ranked([better, worse], settings) == ["j1", "j2"]
    assert ranked([worse, better], settings) == ["j1", "j2"]


def test_the_gap_comes_from_the_latest_declaration(store: Store, settings: Settings) -> None:
    declared = [
        # b_gap declared 3 disabled staff in 2024: its gap is closed whatever its record says;
        # a_full's latest (2024) declaration has none, its 2023 one 3.
        QuotaDeclaration(employer_id="b_gap", year=2024, staff_count=200, disabled_staff=3),
        QuotaDeclaration(employer_id="a_full", year=2023, staff_count=200, disabled_staff=3),
        QuotaDeclaration(employer_id="a_full", year=2024, staff_count=200, disabled_staff=0),
    ]
    with store.session() as session:
        store.upsert(session, "employers", EMPLOYERS)
        store.upsert(session, "jobs", [job("j1", "a_full"), job("j2", "b_gap")])
        store.upsert(session, "quota_declarations", declared)
    catalog = Catalog.from_store(store, settings, None)
    gaps = dict(zip(catalog.jobs.ids, catalog.jobs.quota_gap.tolist(), strict=True))
    assert gaps == {"j1": pytest.approx(3.0), "j2": 0.0}
