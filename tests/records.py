"""Minimal valid domain records for unit tests: one employer, and jobs and people in 岳麓区
(430104) of it, with only the fields a test sets differing."""

from __future__ import annotations

from typing import Any

from matching.catalog import Catalog
from matching.domain import Candidate, Employer, Job, Referral
from matching.settings import Settings

EMPLOYER = Employer(
    id="e", name="单位", type="private", region_code="430104", staff_count=100, disabled_staff=0
)


def job(job_id: str, **fields: Any) -> Job:
    """A quota job of employer ``e`` posted 2025-01-01; ``fields`` override."""
    base = {
        "id": job_id,
        "employer_id": EMPLOYER.id,
        "title": "岗位",
        "region_code": "430104",
        "work_mode": "quota",
        "posted_at": "2025-01-01",
    }
    return Job.model_validate(base | fields)


def candidate(candidate_id: str, **fields: Any) -> Candidate:
    """A person registered 2025-01-01; ``fields`` override."""
    base = {"id": candidate_id, "region_code": "430104", "registered_at": "2025-01-01"}
    return Candidate.model_validate(base | fields)


def catalog_of(
    jobs: list[Job],
    people: list[Candidate],
    referrals: list[Referral] | None = None,
    **options: Any,
) -> Catalog:
    """A catalog of the records (no occupation vocabulary unless ``occupations=`` is given)."""
    return Catalog.from_records(
        employers=[EMPLOYER],
        jobs=jobs,
        candidates=people,
        referrals=referrals or [],
        settings=Settings(),
        occupations=options.get("occupations"),
    )
