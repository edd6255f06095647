"""Employment status in the real-name ledger (DOMAIN.md rule 10) and the graduation-year
employment rate of 一人一策 graduates (DOMAIN.md rule 8).

Pure functions over records; the store keeps the history (``matching.store.casework``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

from matching.casework import EmploymentRecord, EmploymentStatus
from matching.domain import Candidate
from matching.settings import Settings
from matching.vocabulary import TERTIARY, PriorityGroup, Sex, WorkMode

#: Statuses in which a person is looking for work and so takes part in matching.
SEEKING = frozenset({EmploymentStatus.UNEMPLOYED, EmploymentStatus.IN_TRAINING})


def age_in(birth_year: int, year: int) -> int:
    """Age reached during ``year`` (only the birth year is recorded)."""
    return year - birth_year


def is_working_age(sex: Sex | None, birth_year: int | None, year: int, settings: Settings) -> bool:
    """Working age (劳动年龄, DOMAIN.md "Job seekers"): whether a person is of working age in
    ``year``: from ``working_age_min`` to
    ``working_age_max_male`` (men) or ``…_female`` (women), inclusive.

    An unknown birth year is not working age (it cannot be shown); an unknown sex takes the
    men's (wider) range, so nobody is left out of the ledger for a missing field.
    """
    if birth_year is None:
        return False
    upper = settings.working_age_max_female if sex is Sex.FEMALE else settings.working_age_max_male
    return settings.working_age_min <= age_in(birth_year, year) <= upper


class StatusEntry(BaseModel):
    """What counting reads of an :class:`~matching.casework.EmploymentRecord`: its status,
    form and dates, never the sealed reason (reports and statistics count with these)."""

    id: str
    candidate_id: str
    status: EmploymentStatus
    since: dt.date
    form: WorkMode | None = None
    recorded_at: dt.datetime


#: A ledger record, whole or as counted.
Status = TypeVar("Status", EmploymentRecord, StatusEntry)


def of_working_age(people: Iterable[Candidate], year: int, settings: Settings) -> list[str]:
    """The ids of the people of working age in ``year`` (:func:`is_working_age`), in order."""
    return [c.id for c in people if is_working_age(c.sex, c.birth_year, year, settings)]


def current_status(history: Iterable[Status]) -> Status | None:
    """The status in force: the record with the latest ``since`` (ties: recorded last)."""
    return max(history, key=lambda r: (r.since, r.recorded_at, r.id), default=None)


def status_on(history: Iterable[Status], day: dt.date) -> Status | None:
    """The status in force on ``day`` (None: nothing recorded by then)."""
    return current_status(r for r in history if r.since <= day)


def status_counts(
    people: Iterable[str], histories: Mapping[str, Sequence[Status]], day: dt.date
) -> dict[EmploymentStatus, int]:
    """People by the status in force on ``day``; nothing recorded counts as unemployed (a
    person registers with the service centre as a job seeker)."""
    counts = dict.fromkeys(EmploymentStatus, 0)
    for person in people:
        found = status_on(histories.get(person, ()), day)
        counts[found.status if found else EmploymentStatus.UNEMPLOYED] += 1
    return counts


def employed_by_form(
    people: Iterable[str], histories: Mapping[str, Sequence[Status]], day: dt.date
) -> Counter[WorkMode]:
    """The people employed on ``day``, by the form of employment of the status in force."""
    forms: Counter[WorkMode] = Counter()
    for person in people:
        found = status_on(histories.get(person, ()), day)
        if found is not None and found.status is EmploymentStatus.EMPLOYED:
            assert found.form is not None  # an employed record always has its form
            forms[found.form] += 1
    return forms


def newly_employed(history: Sequence[Status], start: dt.date, end: dt.date) -> bool:
    """New employment (新增就业) from ``start`` to ``end``: a status ``employed`` beginning
    within those days when the person was not employed the day before (a change of job is not
    new employment)."""
    for record in history:
        if record.status is not EmploymentStatus.EMPLOYED or not start <= record.since <= end:
            continue
        before = status_on(history, record.since - dt.timedelta(days=1))
        if before is None or before.status is not EmploymentStatus.EMPLOYED:
            return True
    return False


def is_graduate(candidate: Candidate) -> bool:
    """A college graduate (高校毕业生): tertiary education and a graduation year, or marked
    as one of the graduates' priority group."""
    tertiary = candidate.education in TERTIARY and candidate.graduation_year is not None
    return tertiary or (
        PriorityGroup.GRADUATE in candidate.priority_groups
        and candidate.graduation_year is not None
    )


@dataclass(frozen=True, slots=True)
class GraduateRate:
    """The graduation-year employment rate of one year's graduates in one region."""

    region_prefix: str
    year: int
    graduates: int
    employed: int
    target: float

    @property
    def rate(self) -> float | None:
        return self.employed / self.graduates if self.graduates else None

    @property
    def meets_target(self) -> bool | None:
        rate = self.rate
        return None if rate is None else rate >= self.target


def graduation_year_rate(
    people: Sequence[tuple[Candidate, Sequence[Status]]],
    *,
    region_prefix: str,
    year: int,
    target: float,
) -> GraduateRate:
    """Graduate employment target (毕业生就业率, DOMAIN.md rule 8): of the graduates of
    ``year`` whose region starts with ``region_prefix``, how many were
    employed at some time within their graduation year (a status ``employed`` in force on some
    day of that year), against ``target`` (seed 003: 60%)."""
    graduates = employed = 0
    year_end = dt.date(year, 12, 31)
    for candidate, history in people:
        if candidate.graduation_year != year or not is_graduate(candidate):
            continue
        if not candidate.region_code.startswith(region_prefix):
            continue
        graduates += 1
        # Employed within the year: a job that started during it, or one already held on 1 Jan.
        in_year = [r for r in history if r.since <= year_end]
        started = any(
            r.status is EmploymentStatus.EMPLOYED and r.since.year == year for r in in_year
        )
        on_first = status_on(in_year, dt.date(year, 1, 1))
        if started or (on_first is not None and on_first.status is EmploymentStatus.EMPLOYED):
            employed += 1
    return GraduateRate(region_prefix, year, graduates, employed, target)


def is_registered_unemployed(current: EmploymentRecord | StatusEntry | None) -> bool:
    """Registered as unemployed (登记失业): the current status says so, or nothing is recorded
    yet (a person registers with the service centre as a job seeker)."""
    return current is None or current.status is EmploymentStatus.UNEMPLOYED


def coverage(registered_unemployed: Iterable[str], assessed: Iterable[str]) -> float | None:
    """Share of the registered unemployed with an assessment (None when there are none)."""
    people = set(registered_unemployed)
    return len(people & set(assessed)) / len(people) if people else None
