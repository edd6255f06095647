"""Employment status rules (matching.employment) and their storage: working ages from the
settings, the status in force, and the graduation-year employment rate against 60%."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from matching.casework import EmploymentRecord, EmploymentStatus
from matching.domain import Candidate
from matching.employment import (
    current_status,
    graduation_year_rate,
    is_graduate,
    is_working_age,
    status_on,
)
from matching.interchange import import_directory
from matching.settings import Settings
from matching.store import Store
from matching.store.casework import NotWorkingAge, employment_history, record_employment
from matching.store.tables import CandidateRow
from matching.vocabulary import Sex, WorkMode
from tests.records import candidate
from tests.world import write_world

AT = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def status(
    person: str, kind: EmploymentStatus, since: str, n: int = 0, **extra: object
) -> EmploymentRecord:
    if kind is EmploymentStatus.EMPLOYED:
        extra.setdefault("form", WorkMode.QUOTA)
    if kind is EmploymentStatus.NOT_SEEKING:
        extra.setdefault("reason", "照顾家人")
    return EmploymentRecord.model_validate(
        {
            "id": f"{person}-{since}-{n}",
            "candidate_id": person,
            "status": kind,
            "since": since,
            "recorded_by": "王老师",
            "recorded_at": AT + dt.timedelta(minutes=n),
            **extra,
        }
    )


def test_working_ages_come_from_the_settings() -> None:
    settings = Settings()  # 16-59 men, 16-54 women
    # Born 1966: 59 in 2025 (a man still of working age), 60 in 2026.
    assert is_working_age(Sex.MALE, 1966, 2025, settings)
    assert not is_working_age(Sex.MALE, 1966, 2026, settings)
    # Born 1970: 55 in 2025, past the women's 54, within the men's 59.
    assert not is_working_age(Sex.FEMALE, 1970, 2025, settings)
    assert is_working_age(None, 1970, 2025, settings)  # unknown sex: the wider range
    # Born 2009: 16 in 2025 (the minimum), 15 in 2024.
    assert is_working_age(Sex.FEMALE, 2009, 2025, settings)
    assert not is_working_age(Sex.FEMALE, 2009, 2024, settings)
    assert not is_working_age(Sex.MALE, None, 2025, settings)
    raised = Settings(working_age_max_female=59)
    assert is_working_age(Sex.FEMALE, 1970, 2025, raised)


def test_the_latest_status_is_in_force() -> None:
    history = [
        status("c", EmploymentStatus.UNEMPLOYED, "2025-01-10"),
        status("c", EmploymentStatus.EMPLOYED, "2025-03-01"),
        status("c", EmploymentStatus.UNEMPLOYED, "2025-06-01", 1),
        status("c", EmploymentStatus.IN_TRAINING, "2025-06-01", 2),  # same day, recorded later
    ]
    assert current_status(history).status is EmploymentStatus.IN_TRAINING  # type: ignore[union-attr]
    assert status_on(history, dt.date(2025, 4, 1)).status is EmploymentStatus.EMPLOYED  # type: ignore[union-attr]
    assert status_on(history, dt.date(2025, 1, 9)) is None
    assert current_status([]) is None


def test_records_need_what_their_status_means() -> None:
    with pytest.raises(ValidationError, match="needs its form"):
        status("c", EmploymentStatus.EMPLOYED, "2025-01-01", form=None)
    with pytest.raises(ValidationError, match="needs a reason"):
        status("c", EmploymentStatus.NOT_SEEKING, "2025-01-01", reason=None)
    with pytest.raises(ValidationError, match="only employment has a form"):
        status("c", EmploymentStatus.UNEMPLOYED, "2025-01-01", form=WorkMode.QUOTA)


def _graduate(person: str, year: int, region: str = "430104", **extra: object) -> Candidate:
    return candidate(
        person, education="bachelor", graduation_year=year, region_code=region, **extra
    )


def test_graduation_year_employment_rate_against_60_percent() -> None:
    people = [
        # Employed in July 2024: counts.
        (_graduate("a", 2024), [status("a", EmploymentStatus.EMPLOYED, "2024-07-01")]),
        # Employed only in 2025: not within the graduation year.
        (_graduate("b", 2024), [status("b", EmploymentStatus.EMPLOYED, "2025-02-01")]),
        # Already employed on 1 January 2024 (a job held while studying): counts.
        (_graduate("c", 2024), [status("c", EmploymentStatus.EMPLOYED, "2023-09-01")]),
        # Employed in March, lost the job in May: was employed within the year, counts.
        (
            _graduate("d", 2024),
            [
                status("d", EmploymentStatus.EMPLOYED, "2024-03-01"),
                status("d", EmploymentStatus.UNEMPLOYED, "2024-05-01"),
            ],
        ),
        # Nothing recorded: not employed.
        (_graduate("e", 2024), []),
        # Another year, another prefecture, not tertiary: all left out.
        (_graduate("f", 2023), [status("f", EmploymentStatus.EMPLOYED, "2023-07-01")]),
        (_graduate("g", 2024, "430211"), [status("g", EmploymentStatus.EMPLOYED, "2024-07-01")]),
        (
            candidate("h", education="senior_high", graduation_year=2024),
            [status("h", EmploymentStatus.EMPLOYED, "2024-07-01")],
        ),
    ]
    rate = graduation_year_rate(people, region_prefix="4301", year=2024, target=0.6)
    # Graduates a-e: 5; employed in 2024: a, c, d = 3; 3 / 5 = 0.6, which meets 60%.
    assert (rate.graduates, rate.employed) == (5, 3)
    assert rate.rate == pytest.approx(0.6) and rate.meets_target
    # Without d: 2 of 4 = 0.5 < 0.6.
    fewer = graduation_year_rate(
        [p for p in people if p[0].id != "d"], region_prefix="4301", year=2024, target=0.6
    )
    assert fewer.rate == pytest.approx(0.5) and not fewer.meets_target
    empty = graduation_year_rate([], region_prefix="43", year=2024, target=0.6)
    assert empty.rate is None and empty.meets_target is None
    # Marked as a graduate without tertiary education still counts, with a graduation year.
    assert is_graduate(candidate("x", priority_groups=["graduate"], graduation_year=2024))


def test_a_status_is_stored_and_moves_the_person_in_or_out_of_matching(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    assert import_directory(store, write_world(tmp_path / "w")).ok
    with store.session() as session:
        c1 = store.to_record("candidates", session.get(CandidateRow, "c1"))
        assert isinstance(c1, Candidate)
        record_employment(
            store,
            session,
            c1,
            EmploymentStatus.EMPLOYED,
            since=dt.date(2025, 3, 20),
            recorded_by="王老师",
            settings=settings,
            form=WorkMode.QUOTA,
            employer_id="e1",
        )
        assert session.get(CandidateRow, "c1").active is False  # type: ignore[union-attr]
        # An older record does not change the current status nor the search.
        record_employment(
            store,
            session,
            c1,
            EmploymentStatus.UNEMPLOYED,
            since=dt.date(2025, 1, 1),
            recorded_by="王老师",
            settings=settings,
        )
        assert session.get(CandidateRow, "c1").active is False  # type: ignore[union-attr]
        record_employment(
            store,
            session,
            c1,
            EmploymentStatus.NOT_SEEKING,
            since=dt.date(2025, 9, 1),
            recorded_by="王老师",
            settings=settings,
            reason="本人精神状况不稳定，暂不求职",
        )
        record_employment(
            store,
            session,
            c1,
            EmploymentStatus.UNEMPLOYED,
            since=dt.date(2025, 10, 1),
            recorded_by="王老师",
            settings=settings,
        )
        assert session.get(CandidateRow, "c1").active is True  # type: ignore[union-attr]
        history = employment_history(store, session, ["c1"])["c1"]
        assert [r.status.value for r in history] == [
            "unemployed",
            "employed",
            "not_seeking",
            "unemployed",
        ]
        assert history[2].reason == "本人精神状况不稳定，暂不求职"
        c3 = store.to_record("candidates", session.get(CandidateRow, "c3"))
        assert isinstance(c3, Candidate)
        with pytest.raises(NotWorkingAge, match="birth year is needed"):
            record_employment(
                store,
                session,
                c3,
                EmploymentStatus.UNEMPLOYED,
                since=dt.date(2025, 1, 1),
                recorded_by="王老师",
                settings=settings,
            )
    with store.engine.connect() as connection:
        dumped = str(connection.exec_driver_sql("SELECT * FROM employment_records").all())
    assert "精神" not in dumped
