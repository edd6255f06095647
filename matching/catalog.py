"""An in-memory, column-oriented snapshot of jobs, candidates and referral history.

Feasibility and features are computed over many (candidate, job) pairs at once, so the records
are turned once into numpy arrays and sparse matrices here. Training and serving both build
the same snapshot through this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.compliance import as_declared, latest_declarations
from matching.domain import Candidate, Employer, Job, Referral
from matching.occupations import OccupationVocabulary
from matching.quota import MissingQuotaData, quota_gap
from matching.regions import region_numbers
from matching.rules import effective_demands, person_capacities
from matching.settings import Settings
from matching.skills import canonical_skills
from matching.store.casework import unconfirmed_outcomes
from matching.store.database import Store
from matching.store.tables import CandidateRow, EmployerRow, JobRow, ReferralRow
from matching.vocabulary import (
    LEVEL_MAX,
    LEVEL_MIN,
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
#: Levels a capacity can take (LEVEL_MIN..LEVEL_MAX); a person's seven levels packed in this
#: base are their capacity profile, one of CAPACITY_PROFILES small integers.
CAPACITY_BASE = LEVEL_MAX - LEVEL_MIN + 1
CAPACITY_PROFILES = CAPACITY_BASE ** len(DIMENSIONS)
_IN_CHUNK = 500  # ids per IN (...) look-up, below SQLite's bound-parameter limit

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
    region_number: np.ndarray  # the region code as an integer (regions.in_region)
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
        if not self.index:  # a spliced table hands its map over (Catalog.with_records)
            self.index = {job_id: i for i, job_id in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def open_on(self, on: int) -> np.ndarray:
        """Indexes of the jobs taking referrals on a day."""
        return np.flatnonzero((self.posted <= on) & (self.closes >= on))

    def closed(self, ids: Iterable[str], on: dt.date) -> list[str]:
        """Those of ``ids`` (known jobs) not taking referrals on ``on``."""
        taking = set(self.open_on(on.toordinal()).tolist())
        return [i for i in ids if self.index[i] not in taking]


@dataclass
class CandidateTable:
    """Candidates as columns (no personal identifiers, no disability category)."""

    ids: list[str]
    region: np.ndarray
    region_number: np.ndarray  # the region code as an integer (regions.in_region)
    capacities: np.ndarray  # (m, 7)
    # Both are looked up in per-job tables over whole registers (features.feasible_for_everyone)
    # as pointer-sized integers: numpy converts any other index type first (3 ms per 1M).
    capacity_profile: np.ndarray  # capacity_profile(capacities)
    needs: np.ndarray  # accommodation bit mask
    work_modes: np.ndarray  # bit mask
    priority: np.ndarray  # bit mask
    declined: np.ndarray  # bool: declined personalised ranking (PIPL art. 24)
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
        if not self.index:  # a spliced table hands its map over (Catalog.with_records)
            self.index = {candidate_id: i for i, candidate_id in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def inactive(self, ids: Iterable[str]) -> list[str]:
        """Those of ``ids`` (known candidates) taken out of matching (deactivated)."""
        return [i for i in ids if not self.active[self.index[i]]]


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
    # The column numbering of skills and certificates, which an update extends in place.
    skill_vocabulary: Vocabulary
    certificate_vocabulary: Vocabulary

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
        return cls(job_table, candidate_table, history, skills, certificates)

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
            employers = stored_employers(session)
            jobs = stored_jobs(session)
            candidates, inactive = stored_candidates(session, store)
            referrals = stored_referral_facts(session, store)
        return cls.from_records(
            employers=employers,
            jobs=jobs,
            candidates=candidates,
            referrals=referrals,
            settings=settings,
            occupations=occupations,
            inactive=inactive,
        )

    def with_records(
        self,
        *,
        employers: Sequence[Employer],
        jobs: Sequence[Job],
        candidates: Sequence[Candidate],
        referrals: Sequence[ReferralFacts],
        settings: Settings,
        occupations: OccupationVocabulary | None,
        inactive: Iterable[str] = (),
        referral_positions: dict[str, int] | None = None,
    ) -> Catalog:
        """A new snapshot with these records added, or replacing the ones of the same id.

        What serving applies after a write instead of rebuilding from the whole store: the
        rows are built by the same code as :meth:`from_records` and spliced in, so existing
        rows keep their positions (new ones are appended) and the result equals a snapshot
        built from all records, up to row order. ``employers`` must hold the employers of
        ``jobs``; ``inactive`` names the given candidates taken out of matching;
        ``referral_positions`` (history id → row, kept by the caller and extended in place)
        saves a scan of the history. This snapshot is left as it was.
        """
        skills = Vocabulary()
        skills.index = dict(self.skill_vocabulary.index)
        certificates = Vocabulary()
        certificates.index = dict(self.certificate_vocabulary.index)
        employer_by_id = {e.id: e for e in employers}
        job_rows = _job_table(jobs, employer_by_id, settings, occupations, skills, certificates)
        candidate_rows = _candidate_table(
            candidates, set(inactive), occupations, skills, certificates
        )
        columns = (len(skills.index), len(certificates.index))
        job_table = _spliced(self.jobs, job_rows, columns)
        candidate_table = _spliced(self.candidates, candidate_rows, columns)
        kept = [
            r
            for r in referrals
            if r.job_id in job_table.index and r.candidate_id in candidate_table.index
        ]
        history_rows = _history(kept, job_table, candidate_table)
        if referral_positions is None:
            referral_positions = {rid: row for row, rid in enumerate(self.history.ids)}
        history = _spliced_history(self.history, history_rows, referral_positions)
        return Catalog(job_table, candidate_table, history, skills, certificates)


def _chunked_in(column: Any, ids: Sequence[str] | None) -> Iterator[Any]:
    """``None`` (everything) or ``column IN (...)`` clauses of at most _IN_CHUNK ids each."""
    if ids is None:
        yield None
        return
    ids = sorted(set(ids))
    for start in range(0, len(ids), _IN_CHUNK):
        yield column.in_(ids[start : start + _IN_CHUNK])


def _selected(session: Session, query: Any, column: Any, ids: Sequence[str] | None) -> list[Any]:
    rows: list[Any] = []
    for clause in _chunked_in(column, ids):
        rows.extend(session.execute(query if clause is None else query.where(clause)))
    return rows


def stored_employers(session: Session, ids: Sequence[str] | None = None) -> list[Employer]:
    """The stored employers (those of ``ids`` if given), in id order, with the quota figures
    of their latest declaration (the quota gap feature and tie-break)."""
    query = select(EmployerRow.record).order_by(EmployerRow.id)
    latest = latest_declarations(session, ids)
    return [
        as_declared(e, latest.get(e.id))
        for e in (
            Employer.model_validate(r) for (r,) in _selected(session, query, EmployerRow.id, ids)
        )
    ]


def stored_jobs(session: Session, ids: Sequence[str] | None = None) -> list[Job]:
    """The stored jobs (those of ``ids`` if given), in id order."""
    query = select(JobRow.record).order_by(JobRow.id)
    return [Job.model_validate(r) for (r,) in _selected(session, query, JobRow.id, ids)]


def stored_candidates(
    session: Session, store: Store, ids: Sequence[str] | None = None
) -> tuple[list[Candidate], list[str]]:
    """The stored candidates (those of ``ids`` if given) in id order, from their plain
    record and sealed matching profile (effective capacities and summary: never an
    identifier or the disability category), and the ids of those taken out of matching."""
    query = select(CandidateRow.record, CandidateRow.profile, CandidateRow.active).order_by(
        CandidateRow.id
    )
    candidates, inactive = [], []
    for record, profile, active in _selected(session, query, CandidateRow.id, ids):
        candidates.append(Candidate.model_validate(store.matching_record(record, profile)))
        if not active:
            inactive.append(record["id"])
    return candidates, inactive


def stored_referral_facts(
    session: Session, store: Store, ids: Sequence[str] | None = None
) -> list[ReferralFacts]:
    """What the history needs of the stored referrals (those of ``ids`` if given), in id
    order. The facts are columns of their own, validated when written: no need to parse
    and validate a million JSON records. An outcome an employer reported that awaits a
    counselor is not learned from (issue 9 item 6): the last confirmed one stands in."""
    query = select(
        ReferralRow.id,
        ReferralRow.candidate_id,
        ReferralRow.job_id,
        ReferralRow.referred_at,
        ReferralRow.outcome,
        ReferralRow.outcome_at,
    ).order_by(ReferralRow.id)
    referrals = [ReferralFacts(*row) for row in _selected(session, query, ReferralRow.id, ids)]
    awaiting = unconfirmed_outcomes(store, session)
    if not awaiting:
        return referrals
    return [
        r._replace(outcome=awaiting[r.id][0], outcome_at=awaiting[r.id][1], confirmed=False)
        if r.id in awaiting
        else r
        for r in referrals
    ]


def _spliced(table: Any, rows: Any, columns: tuple[int, int]) -> Any:
    """``table`` (a JobTable or CandidateTable) with ``rows`` (one of the same kind) replacing
    the rows of the same id and appended otherwise; matrices widened to ``columns``
    (skills, certificates)."""
    old = len(table)
    grown_columns = columns != (table.skills.shape[1], table.certificates.shape[1])
    if not len(rows) and not grown_columns:
        return table  # nothing of this kind changed: share it
    place = np.array([table.index.get(i, -1) for i in rows.ids], dtype=np.int64)
    fresh = np.flatnonzero(place < 0)
    place[fresh] = old + np.arange(len(fresh))
    index = table.index
    if len(fresh):
        index = dict(index)  # readers of the old table keep the old map
        index.update((rows.ids[r], int(place[r])) for r in fresh)
    values: dict[str, Any] = {"index": index}
    for item in fields(table):
        if item.name == "index":
            continue
        before, after = getattr(table, item.name), getattr(rows, item.name)
        if isinstance(before, sp.csr_matrix):
            width = columns[0] if item.name == "skills" else columns[1]
            order = np.arange(old + len(fresh))
            order[place] = old + np.arange(len(rows.ids))
            values[item.name] = _csr_rows(before, after, order, width)
        elif isinstance(before, np.ndarray):
            width = max(before.shape[1:] + after.shape[1:], default=0)
            if before.ndim == 2 and before.dtype.kind == "U" and width > before.shape[1]:
                before = _widened(before, width)  # padded codes: a longer row widens all
            if after.ndim == 2 and after.dtype.kind == "U" and width > after.shape[1]:
                after = _widened(after, width)
            grown = np.concatenate([before, np.zeros_like(after[: len(fresh)])])
            grown[place] = after
            values[item.name] = grown
        else:
            listed = list(before) + [None] * len(fresh)
            for r, position in enumerate(place.tolist()):
                listed[position] = after[r]
            values[item.name] = listed
    return type(table)(**values)


def _csr_rows(
    before: sp.csr_matrix, after: sp.csr_matrix, order: np.ndarray, width: int
) -> sp.csr_matrix:
    """Rows of ``before`` stacked on ``after``, taken in ``order``, ``width`` columns wide:
    gathered with array arithmetic (scipy's row indexing costs far more for one row)."""
    indptr = np.concatenate([before.indptr[:-1], after.indptr + before.indptr[-1]])
    indices = np.concatenate([before.indices, after.indices])
    data = np.concatenate([before.data, after.data])
    starts = indptr[order]
    lengths = indptr[order + 1] - starts
    out_indptr = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out_indptr[1:])
    gather = np.repeat(starts - out_indptr[:-1], lengths) + np.arange(out_indptr[-1])
    return sp.csr_matrix(
        (data[gather], indices[gather], out_indptr), shape=(len(order), max(1, width))
    )


def _widened(codes: np.ndarray, width: int) -> np.ndarray:
    out = np.full((len(codes), width), "", dtype=codes.dtype)
    out[:, : codes.shape[1]] = codes
    return out


def _spliced_history(history: History, rows: History, positions: dict[str, int]) -> History:
    """``history`` with ``rows`` replacing the referrals of the same id, appended otherwise
    (``positions`` is extended in place with the appended ones)."""
    if not len(rows):
        return history
    old = len(history)
    place = np.array([positions.get(i, -1) for i in rows.ids], dtype=np.int64)
    fresh = np.flatnonzero(place < 0)
    place[fresh] = old + np.arange(len(fresh))
    values: dict[str, Any] = {}
    for item in fields(history):
        before, after = getattr(history, item.name), getattr(rows, item.name)
        if isinstance(before, np.ndarray):
            grown = np.concatenate([before, np.zeros_like(after[: len(fresh)])])
            grown[place] = after
            values[item.name] = grown
        else:
            listed = list(before) + [None] * len(fresh)
            for r, position in enumerate(place.tolist()):
                listed[position] = after[r]
            values[item.name] = listed
    positions.update((rows.ids[r], int(place[r])) for r in fresh)
    return History(**values)


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
    region = np.array([j.region_code for j in jobs], dtype="U6")
    return JobTable(
        ids=[j.id for j in jobs],
        region=region,
        region_number=region_numbers(region),
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


def _capacity_weights() -> np.ndarray:
    return CAPACITY_BASE ** np.arange(len(DIMENSIONS), dtype=np.int32)


def capacity_profile(capacities: np.ndarray) -> np.ndarray:
    """Each row of ``(..., len(DIMENSIONS))`` capacity levels packed into one integer (base
    :data:`CAPACITY_BASE`, the first dimension lowest): what a job's verdict on capacities
    depends on, so that one job's verdict over a whole register is a look-up in a table of
    :data:`CAPACITY_PROFILES` entries (:func:`capacity_levels` of every profile)."""
    return ((capacities.astype(np.int32) - LEVEL_MIN) @ _capacity_weights()).astype(np.intp)


def capacity_levels(profiles: np.ndarray) -> np.ndarray:
    """The capacity levels (``(n, len(DIMENSIONS))`` int8) of packed profiles: the inverse of
    :func:`capacity_profile`."""
    digits = (profiles.astype(np.int32)[:, None] // _capacity_weights()) % CAPACITY_BASE
    return (digits + LEVEL_MIN).astype(np.int8)


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
    levels = np.array(
        [[caps[d] for d in DIMENSIONS] for caps in capacities], dtype=np.int8
    ).reshape(-1, len(DIMENSIONS))
    region = np.array([c.region_code for c in candidates], dtype="U6")
    return CandidateTable(
        ids=[c.id for c in candidates],
        region=region,
        region_number=region_numbers(region),
        capacities=levels,
        capacity_profile=capacity_profile(levels),
        needs=np.array([bitmask(c.needs, ACCOMMODATIONS) for c in candidates], dtype=np.intp),
        work_modes=np.array(
            [bitmask(c.work_modes, WORK_MODES) for c in candidates], dtype=np.int32
        ),
        priority=np.array(
            [bitmask(c.priority_groups, PRIORITY_GROUPS) for c in candidates], dtype=np.int32
        ),
        declined=np.array([bool(c.non_personalised) for c in candidates], dtype=bool),
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
        outcome=np.array([OUTCOMES.index(Outcome(r.outcome)) for r in kept], dtype=np.int8),
        confirmed=np.array([getattr(r, "confirmed", True) for r in kept], dtype=bool),
    )
