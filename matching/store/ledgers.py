"""A person's casework ledgers (服务台账) as stored: ability assessments, employment status,
training and 一人一策 cases, each write and each read of them audited and committed here.

The rules live beside the records (:mod:`matching.casework`, :mod:`matching.cases`,
:mod:`matching.employment`); the writes themselves in :mod:`matching.store.casework`, which
stores every record exactly as an import would. This repository is what the API and the CLI
call: it adds the refusals a request can meet and the audit entry of each step.
"""

from __future__ import annotations

import datetime as dt
from typing import Unpack

from sqlalchemy import select

from matching.casework import (
    Assessment,
    Case,
    CaseAction,
    CaseKind,
    Course,
    EmploymentRecord,
    EmploymentStatus,
    Enrolment,
    EnrolmentState,
)
from matching.domain import Candidate
from matching.settings import Settings
from matching.store import casework
from matching.store.repository import AlreadyExists, Audited
from matching.store.tables import AssessmentRow, CaseActionRow, CaseRow, CourseRow, EnrolmentRow


class AlreadyEnrolled(ValueError):
    """The person holds a place on the course already (an enrolment not withdrawn)."""

    def __init__(self, enrolment_id: str) -> None:
        super().__init__(f"already enrolled ({enrolment_id})")
        self.enrolment_id = enrolment_id


class CaseExists(ValueError):
    """The person already has an open case of the kind."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"the person already has open case {case_id}")
        self.case_id = case_id


def _person(candidate_id: str) -> str:
    return f"candidates:{candidate_id}"


def _case(case: Case) -> str:
    return f"cases:{case.id} {_person(case.candidate_id)}"


class Ledgers(Audited):
    """The casework records of one store, for one actor."""

    # -- ability assessments (职业能力评估) -------------------------------------------------

    def assess(self, candidate: Candidate, assessment: Assessment) -> bool:
        """Store an assessment (see :func:`~matching.store.casework.record_assessment`);
        returns whether the person's capacities changed."""
        changed = casework.record_assessment(self.store, self.session, candidate, assessment)
        self.recorded("assessment", f"{_person(candidate.id)} assessments:{assessment.id}")
        return changed

    def assessments_of(self, candidate_id: str) -> list[Assessment]:
        """A person's assessments, oldest first (the last one sets the capacities); audited."""
        found: list[Assessment] = casework.records_where(
            self.store,
            self.session,
            "assessments",
            AssessmentRow.candidate_id == candidate_id,
            order_by=AssessmentRow.assessed_on,
        )
        self.recorded("read_assessments", _person(candidate_id), f"{len(found)} assessments")
        return sorted(found, key=lambda a: (a.assessed_on, a.id))

    # -- employment status (real-name ledger) -------------------------------------------

    def employment_of(self, candidate_id: str) -> list[EmploymentRecord]:
        """A person's employment records, oldest first; audited."""
        history = self.history(candidate_id)
        self.recorded("read_employment", _person(candidate_id))
        return history

    def history(self, candidate_id: str) -> list[EmploymentRecord]:
        """A person's employment records, oldest first, unaudited: for a view whose own read
        is audited (a case)."""
        return casework.employment_history(self.store, self.session, [candidate_id]).get(
            candidate_id, []
        )

    def record_status(
        self,
        candidate: Candidate,
        status: EmploymentStatus,
        *,
        since: dt.date,
        by: str,
        settings: Settings,
        **details: Unpack[casework.EmploymentDetails],
    ) -> EmploymentRecord:
        """Record a person's status from ``since`` on, by the person named ``by`` (see
        :func:`~matching.store.casework.record_employment` for what is refused)."""
        record = casework.record_employment(
            self.store,
            self.session,
            candidate,
            status,
            since=since,
            recorded_by=by,
            settings=settings,
            **details,
        )
        self.recorded("employment_status", _person(candidate.id), status.value)
        return record

    # -- training ------------------------------------------------------------------------

    def add_course(self, course: Course) -> Course:
        """Add a course to the catalogue (:class:`AlreadyExists` if its id is taken)."""
        if self.session.get(CourseRow, course.id) is not None:
            raise AlreadyExists("course", course.id)
        self.store.upsert(self.session, "courses", [course])
        self.recorded("create", f"courses:{course.id}")
        return course

    def enrol(self, course: Course, candidate_id: str, *, on: dt.date) -> Enrolment:
        """A place on a course for a person: :class:`AlreadyEnrolled` if they hold one,
        :class:`~matching.store.casework.CourseFull` if none is left."""
        already = self.session.scalar(
            select(EnrolmentRow.id).where(
                EnrolmentRow.course_id == course.id,
                EnrolmentRow.candidate_id == candidate_id,
                EnrolmentRow.state != EnrolmentState.WITHDRAWN.value,
            )
        )
        if already is not None:
            raise AlreadyEnrolled(already)
        enrolment = casework.enrol(self.store, self.session, course, candidate_id, on=on)
        self.recorded("enrol", f"{_person(candidate_id)} courses:{course.id}")
        return enrolment

    def complete(
        self, enrolment: Enrolment, course: Course, candidate: Candidate, *, on: dt.date
    ) -> Enrolment:
        """Record a completion: the course's skills and the training join the profile."""
        done, _ = casework.complete(self.store, self.session, enrolment, course, candidate, on=on)
        self.recorded("training_completed", f"{_person(candidate.id)} enrolments:{enrolment.id}")
        return done

    # -- 一人一策 cases -------------------------------------------------------------------

    def open_case(self, case: Case) -> Case:
        """Open a case (the caller checked eligibility): :class:`CaseExists` if the person
        has an open one of the kind."""
        existing = self.session.scalar(
            select(CaseRow.id)
            .where(
                CaseRow.candidate_id == case.candidate_id,
                CaseRow.kind == case.kind.value,
                CaseRow.closed_on.is_(None),
            )
            .order_by(CaseRow.id)
            .limit(1)
        )
        if existing is not None:
            raise CaseExists(existing)
        self.store.upsert(self.session, "cases", [case])
        self.recorded("open_case", _case(case), case.kind.value)
        return case

    def open_missing_cases(
        self,
        kind: CaseKind,
        *,
        counselor: str,
        region_prefix: str = "",
        graduation_year: int | None = None,
    ) -> list[Case]:
        """A case for every eligible person of a region without an open one (see
        :func:`~matching.store.casework.open_missing_cases`), audited as one step."""
        opened = casework.open_missing_cases(
            self.store,
            self.session,
            kind,
            counselor=counselor,
            region_prefix=region_prefix,
            graduation_year=graduation_year,
        )
        self.recorded(
            "open_case", f"{len(opened)} cases in {region_prefix or 'all regions'}", kind.value
        )
        return opened

    def actions_of(self, case: Case) -> list[CaseAction]:
        """The service actions of a case, by day (notes opened: for a view audited as a whole)."""
        found: list[CaseAction] = casework.records_where(
            self.store,
            self.session,
            "case_actions",
            CaseActionRow.case_id == case.id,
            order_by=CaseActionRow.on,
        )
        return found

    def add_action(self, case: Case, action: CaseAction) -> CaseAction:
        """Record a service given in the case."""
        self.store.upsert(self.session, "case_actions", [action])
        self.recorded("case_action", _case(case), action.kind.value)
        return action

    def change_case(self, before: Case, after: Case, *, action: str, purpose: str) -> Case:
        """Store a case closed, an exit asked for or approved (:mod:`matching.cases` decided
        it), audited as ``action``."""
        self.store.upsert(self.session, "cases", [after])
        self.recorded(action, _case(before), purpose)
        return after

    def case_read(self, case: Case, action: str = "read_case") -> None:
        """Audit a read of a case (or of a view drawn from it, such as its plan)."""
        self.recorded(action, _case(case))
