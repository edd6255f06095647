"""An in-memory, column-oriented snapshot of jobs, candidates and referral history.

Feasibility and features are computed over many (candidate, job) pairs at once, so the records
are turned once into numpy arrays and sparse matrices here. Training and serving both build
the same snapshot through this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sqlalchemy import select

from matching.compliance import as_declared, latest_declarations
from matching.domain import Candidate, Employer, Job, Referral
from matching.occupations import OccupationVocabulary
from matching.quota import MissingQuotaData, quota_gap
from matching.rules import effective_demands, person_capacities
from matching.settings import Settings
from matching.skills import canonical_skills
from matching.store.casework import unconfirmed_outcomes
from matching.store.database import Store
from matching.store.tables import CandidateRow, EmployerRow, JobRow, ReferralRow
from matching.vocabulary import (
    Accommodation,
    Dimension,
    EmployerType,
    Outcome,
    PriorityGroup,
    WorkMode,
)

DIMENSIONS = list(Dimension)
ACCOMMODATIONS = list(Accommodation)
WORK_MODES = list(WorkMode)
EMPLOYER_TYPES = list(EmployerType)
PRIORITY_GROUPS = list(PriorityGroup)
OUTCOMES = list(Outcome)
NEVER = dt.date.max.toordinal()

# An outcome recorded without a date is taken as known this many days after the referral,
# so that history features never look at outcomes that were not yet known.
OUTCOME_DELAY_DAYS = 30


def day(value: dt.date | None, default: int = NEVER) -> int:
    """A date as a day number (proleptic ordinal), comparable in numpy."""
    return value.toordinal() if value is not None else default


def bitmask(members: Iterable[object], universe: Sequence[object]) -> int:
    """A set of vocabulary members as an integer bit mask."""
    return sum(1 << universe.index(m) for m in set(members))


class Vocabulary:
    """Strings → column numbers, grown as records are added."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def columns(self, items: Iterable[str], *, grow: bool) -> list[int]:
        """Column numbers of the items; unknown items are added (grow) or dropped."""
        out = []
        for item in items:
            if item not in self.index:
                if not grow:
                    continue
                self.index[item] = len(self.index)
            out.append(self.index[item])
        return out

    def matrix(self, rows: Sequence[Iterable[str]], *, grow: bool = True) -> sp.csr_matrix:
        """A 0/1 sparse matrix with one row per item set."""
        indices, indptr = [], [0]
        for items in rows:
            indices.extend(sorted(set(self.columns(items, grow=grow))))
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float32)
        return sp.csr_matrix((data, indices, indptr), shape=(len(rows), max(1, len(self.index))))


def _resize(matrix: sp.csr_matrix, columns: int) -> sp.csr_matrix:
    matrix = matrix.copy()
    matrix.resize((matrix.shape[0], max(1, columns)))
    return matrix


def _padded(codes: list[set[str]]) -> np.ndarray:
    """Rows of codes as one array, padded with "" (vectorised matching needs a rectangle)."""
    table = np.full((len(codes), max(map(len, codes), default=0) or 1), "", dtype="U16")
    for row, distinct in enumerate(codes):
        table[row, : len(distinct)] = sorted(distinct)
    return table


def _occupation_code(text: str | None, occupations: OccupationVocabulary | None) -> str:
    if not text or occupations is None:
        return ""
    found = occupations.find(text)
    return found.code if found else ""


@dataclass
class JobTable:
    """Open and closed jobs as columns."""

    ids: list[str]
    region: np.ndarray
    employer_type: np.ndarray
    quota_gap: np.ndarray
    work_mode: np.ndarray
    remote_ok: np.ndarray
    salary_min: np.ndarray
    salary_max: np.ndarray
    education_min: np.ndarray
    effective: np.ndarray  # effective demands after accommodations, (n, 7)
    demands: np.ndarray  # stated demands, (n, 7)
    offered: np.ndarray  # accommodation bit mask
    public_welfare: np.ndarray
    posted: np.ndarray
    closes: np.ndarray
    openings: np.ndarray
    occupation: np.ndarray  # 2022 code or ""
    skills: sp.csr_matrix
    certificates: sp.csr_matrix
    skill_names: list[frozenset[str]]
    records: list[Job]
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {job_id: i for i, job_id in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def open_on(self, on: int) -> np.ndarray:
        """Indexes of the jobs taking referrals on a day."""
        return np.flatnonzero((self.posted <= on) & (self.closes >= on))


@dataclass
class CandidateTable:
    """Candidates as columns (no personal identifiers, no disability category)."""

    ids: list[str]
    region: np.ndarray
    capacities: np.ndarray  # (m, 7)
    needs: np.ndarray  # accommodation bit mask
    work_modes: np.ndarray  # bit mask
    priority: np.ndarray  # bit mask
    education: np.ndarray
    expected_salary: np.ndarray
    registered: np.ndarray
    active: np.ndarray
    targets: np.ndarray  # (m, k) distinct target occupation codes, "" padded
    skills: sp.csr_matrix
    certificates: sp.csr_matrix
    skill_names: list[frozenset[str]]
    records: list[Candidate]
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {candidate_id: i for i, candidate_id in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)


class ReferralFacts(NamedTuple):
    """What the history needs of a referral (the columns the store keeps beside the record)."""

    id: str
    candidate_id: str
    job_id: str
    referred_at: dt.date
    outcome: str
    outcome_at: dt.date | None
    # False while an employer's report on the referral awaits a counselor: ``outcome`` is then
    # the last confirmed one (matching.lifecycle.confirmed_outcome).
    confirmed: bool = True


@dataclass
class History:
    """Recorded referrals as columns, for history features computed as of a date."""

    ids: list[str]
    candidate: np.ndarray
    job: np.ndarray
    referred: np.ndarray
    known: np.ndarray  # the day the outcome became known
    outcome: np.ndarray  # index into OUTCOMES
    # Whether the outcome is confirmed by a counselor (False: an employer's report awaits one,
    # and ``outcome`` is the last confirmed outcome, not the report).
    confirmed: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Catalog:
    """Everything matching needs about the world, as arrays."""

    jobs: JobTable
    candidates: CandidateTable
    history: History

    @classmethod
    def from_records(
        cls,
        *,
        employers: Sequence[Employer],
        jobs: Sequence[Job],
        candidates: Sequence[Candidate],
        referrals: Sequence[Referral] | Sequence[ReferralFacts],
        settings: Settings,
        occupations: OccupationVocabulary | None,
        inactive: Iterable[str] = (),
    ) -> Catalog:
        """Build the snapshot from domain records (referrals may come as their facts)."""
        skills, certificates = Vocabulary(), Vocabulary()
        employer_by_id = {e.id: e for e in employers}
        job_table = _job_table(jobs, employer_by_id, settings, occupations, skills, certificates)
        candidate_table = _candidate_table(
            candidates, set(inactive), occupations, skills, certificates
        )
        # Both sides must share one column space for overlaps.
        for table in (job_table, candidate_table):
            table.skills = _resize(table.skills, len(skills.index))
            table.certificates = _resize(table.certificates, len(certificates.index))
        history = _history(referrals, job_table, candidate_table)
        return cls(job_table, candidate_table, history)

    @classmethod
    def from_store(
        cls, store: Store, settings: Settings, occupations: OccupationVocabulary | None
    ) -> Catalog:
        """Build the snapshot from the store without decrypting any identifier.

        Candidates are read from their non-sensitive record and their sealed matching profile
        (effective capacities and summary, opened in bulk), so the disability category is
        never needed.
        """
        with store.session() as session:
            # Quota figures (the quota gap feature and tie-break): the latest declaration's.
            latest = latest_declarations(session)
            employers = [
                as_declared(e, latest.get(e.id))
                for e in map(
                    Employer.model_validate,
                    session.scalars(select(EmployerRow.record).order_by(EmployerRow.id)),
                )
            ]
            jobs = [
                Job.model_validate(r)
                for r in session.scalars(select(JobRow.record).order_by(JobRow.id))
            ]
            candidates, inactive = [], []
            rows = session.execute(
                select(CandidateRow.record, CandidateRow.profile, CandidateRow.active).order_by(
                    CandidateRow.id
                )
            )
            for record, profile, active in rows:
                candidates.append(Candidate.model_validate(store.matching_record(record, profile)))
                if not active:
                    inactive.append(record["id"])
            # The facts the history needs are columns of their own, validated when written:
            # no need to parse and validate a million JSON records.
            referrals = [
                ReferralFacts(*row)
                for row in session.execute(
                    select(
                        ReferralRow.id,
                        ReferralRow.candidate_id,
                        ReferralRow.job_id,
                        ReferralRow.referred_at,
                        ReferralRow.outcome,
                        ReferralRow.outcome_at,
                    ).order_by(ReferralRow.id)
                )
            ]
            # Employers' reports awaiting a counselor are not learned from (issue 9 item 6).
            awaiting = unconfirmed_outcomes(store, session)
            if awaiting:
                referrals = [
                    r._replace(
                        outcome=awaiting[r.id][0], outcome_at=awaiting[r.id][1], confirmed=False
                    )
                    if r.id in awaiting
                    else r
                    for r in referrals
                ]
        return cls.from_records(
            employers=employers,
            jobs=jobs,
            candidates=candidates,
            referrals=referrals,
            settings=settings,
            occupations=occupations,
            inactive=inactive,
        )


def _job_table(
    jobs: Sequence[Job],
    employers: dict[str, Employer],
    settings: Settings,
    occupations: OccupationVocabulary | None,
    skills: Vocabulary,
    certificates: Vocabulary,
) -> JobTable:
    gaps, types = [], []
    gap_of: dict[str, float] = {}
    for job in jobs:
        employer = employers.get(job.employer_id)
        if employer is not None and employer.id not in gap_of:
            try:
                gap_of[employer.id] = quota_gap(employer, settings)
            except MissingQuotaData:
                gap_of[employer.id] = np.nan
        gaps.append(gap_of.get(job.employer_id, np.nan))
        types.append(EMPLOYER_TYPES.index(employer.type) if employer else -1)
    skill_names = [canonical_skills(j.skills) for j in jobs]
    return JobTable(
        ids=[j.id for j in jobs],
        region=np.array([j.region_code for j in jobs], dtype="U6"),
        employer_type=np.array(types, dtype=np.int8),
        quota_gap=np.array(gaps, dtype=np.float32),
        work_mode=np.array([WORK_MODES.index(j.work_mode) for j in jobs], dtype=np.int8),
        remote_ok=np.array([j.remote_ok for j in jobs], dtype=bool),
        salary_min=np.array(
            [np.nan if j.salary_min is None else j.salary_min for j in jobs], dtype=np.float32
        ),
        salary_max=np.array(
            [np.nan if j.salary_max is None else j.salary_max for j in jobs], dtype=np.float32
        ),
        education_min=np.array(
            [np.nan if j.education_min is None else j.education_min.level for j in jobs],
            dtype=np.float32,
        ),
        effective=np.array(
            [
                [levels[d] for d in DIMENSIONS]
                for levels in (effective_demands(j.demands, j.accommodations) for j in jobs)
            ],
            dtype=np.int8,
        ).reshape(-1, 7),
        demands=np.array(
            [[j.demands.get(d, 0) for d in DIMENSIONS] for j in jobs], dtype=np.int8
        ).reshape(-1, 7),
        offered=np.array([bitmask(j.accommodations, ACCOMMODATIONS) for j in jobs], dtype=np.int32),
        public_welfare=np.array([j.public_welfare for j in jobs], dtype=bool),
        posted=np.array([day(j.posted_at) for j in jobs], dtype=np.int64),
        closes=np.array([day(j.closes_at) for j in jobs], dtype=np.int64),
        openings=np.array([j.openings for j in jobs], dtype=np.float32),
        occupation=np.array(
            [_occupation_code(j.occupation, occupations) for j in jobs], dtype="U16"
        ),
        skills=skills.matrix(skill_names),
        certificates=certificates.matrix([j.certificates_required for j in jobs]),
        skill_names=skill_names,
        records=list(jobs),
    )


def _candidate_table(
    candidates: Sequence[Candidate],
    inactive: set[str],
    occupations: OccupationVocabulary | None,
    skills: Vocabulary,
    certificates: Vocabulary,
) -> CandidateTable:
    skill_names = [canonical_skills(c.skills) for c in candidates]
    capacities = [
        person_capacities(c.disability_category, c.disability_grade, c.capacities)
        for c in candidates
    ]
    return CandidateTable(
        ids=[c.id for c in candidates],
        region=np.array([c.region_code for c in candidates], dtype="U6"),
        capacities=np.array(
            [[caps[d] for d in DIMENSIONS] for caps in capacities], dtype=np.int8
        ).reshape(-1, 7),
        needs=np.array([bitmask(c.needs, ACCOMMODATIONS) for c in candidates], dtype=np.int32),
        work_modes=np.array(
            [bitmask(c.work_modes, WORK_MODES) for c in candidates], dtype=np.int32
        ),
        priority=np.array(
            [bitmask(c.priority_groups, PRIORITY_GROUPS) for c in candidates], dtype=np.int32
        ),
        education=np.array(
            [np.nan if c.education is None else c.education.level for c in candidates],
            dtype=np.float32,
        ),
        expected_salary=np.array(
            [np.nan if c.expected_salary is None else c.expected_salary for c in candidates],
            dtype=np.float32,
        ),
        registered=np.array([day(c.registered_at) for c in candidates], dtype=np.int64),
        active=np.array([c.id not in inactive for c in candidates], dtype=bool),
        targets=_padded(
            [
                {code for t in c.target_occupations if (code := _occupation_code(t, occupations))}
                for c in candidates
            ]
        ),
        skills=skills.matrix(skill_names),
        certificates=certificates.matrix([c.certificates for c in candidates]),
        skill_names=skill_names,
        records=list(candidates),
    )


def _history(
    referrals: Sequence[Referral] | Sequence[ReferralFacts],
    jobs: JobTable,
    candidates: CandidateTable,
) -> History:
    kept = [r for r in referrals if r.job_id in jobs.index and r.candidate_id in candidates.index]
    referred = np.array([day(r.referred_at) for r in kept], dtype=np.int64)
    known = np.array(
        [
            day(r.outcome_at) if r.outcome_at else day(r.referred_at) + OUTCOME_DELAY_DAYS
            for r in kept
        ],
        dtype=np.int64,
    )
    return History(
        ids=[r.id for r in kept],
        candidate=np.array([candidates.index[r.candidate_id] for r in kept], dtype=np.int64),
        job=np.array([jobs.index[r.job_id] for r in kept], dtype=np.int64),
        referred=referred,
        known=known,
        outcome=np.array([OUTCOMES.index(r.outcome) for r in kept], dtype=np.int8),
        confirmed=np.array([getattr(r, "confirmed", True) for r in kept], dtype=bool),
    )
