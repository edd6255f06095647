"""The casework ledgers repository (matching/store/ledgers.py) and the audited put of the
repository base: each step refused where the domain refuses it, audited and committed by the
repository. On a real store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import datetime as dt

import pytest

from matching.casework import Case, CaseKind, Course
from matching.domain import WageStandard
from matching.store import Store
from matching.store.candidates import Candidates
from matching.store.casework import CourseFull
from matching.store.ledgers import AlreadyEnrolled, CaseExists, Ledgers
from matching.store.repository import AlreadyExists, Audited
from tests.records import candidate
from tests.store_session import committed_actions, request_session

TODAY = dt.date(2025, 6, 1)
COURSE = Course(
    id="k1",
    name="电商客服",
    skills=["客服"],
    provider="培训中心",
    starts_on=TODAY,
    ends_on=TODAY + dt.timedelta(days=30),
    places=1,
    region_code="430104",
    form="remote",
)


@pytest.fixture
def people(store: Store) -> None:
    with request_session(store) as session:
        registry = Candidates(store, session, actor="setup")
        registry.register(candidate("c1"))
        registry.register(candidate("c2"))


def test_a_course_place_is_taken_once_and_the_last_one_only_once(
    store: Store, people: None
) -> None:
    with request_session(store) as session:
        ledgers = Ledgers(store, session, actor="u:counselor")
        ledgers.add_course(COURSE)
        with pytest.raises(AlreadyExists, match="course k1"):
            ledgers.add_course(COURSE)
        enrolment = ledgers.enrol(COURSE, "c1", on=TODAY)
        with pytest.raises(AlreadyEnrolled, match=enrolment.id):
            ledgers.enrol(COURSE, "c1", on=TODAY)
        with pytest.raises(CourseFull):
            ledgers.enrol(COURSE, "c2", on=TODAY)
    assert [a[:2] for a in committed_actions(store)][-2:] == [
        ("create", "courses:k1"),
        ("enrol", "candidates:c1 courses:k1"),
    ]


def test_a_second_open_case_of_a_kind_is_refused(store: Store, people: None) -> None:
    case = Case(
        id="case-1", candidate_id="c1", kind=CaseKind.GRADUATE, counselor="王老师", opened_on=TODAY
    )
    with request_session(store) as session:
        ledgers = Ledgers(store, session, actor="u:counselor")
        ledgers.open_case(case)
        with pytest.raises(CaseExists, match="case-1"):
            ledgers.open_case(case.model_copy(update={"id": "case-2"}))
        ledgers.case_read(case, "read_plan")
    assert committed_actions(store)[-2:] == [
        ("open_case", "cases:case-1 candidates:c1", "graduate"),
        ("read_plan", "cases:case-1 candidates:c1", None),
    ]


def test_a_put_is_audited_as_a_creation_then_as_an_update(store: Store) -> None:
    standard = WageStandard(
        region_code="430104", year=2024, avg_social_wage=90000, min_monthly_wage=1900
    )
    with request_session(store) as session:
        audited = Audited(store, session, actor="u:admin")
        replaced = audited.put("wage_standards", standard, action="wage_standard", purpose="公布")
        assert replaced is False
        changed = standard.model_copy(update={"min_monthly_wage": 2000})
        assert audited.put("wage_standards", changed, action="wage_standard", purpose=None)
    assert [a[0] for a in committed_actions(store)] == [
        "create_wage_standard",
        "update_wage_standard",
    ]
