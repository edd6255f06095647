"""Casework in the store: referral transitions and their review, employment status, ability
assessments, 一人一策 cases and training (issue 13).

Functions take an open session and write through :meth:`Store.upsert`, so every record is
stored exactly as an import would store it; callers commit and write the audit record.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypedDict, Unpack

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from matching.cases import CaseRefused, check_eligible
from matching.casework import (
    ActorRole,
    Assessment,
    Case,
    CaseKind,
    Course,
    EmploymentRecord,
    EmploymentStatus,
    Enrolment,
    EnrolmentState,
    ReferralEvent,
    Review,
)
from matching.domain import Candidate, Referral
from matching.employment import SEEKING, current_status, is_working_age
from matching.lifecycle import (
    EMPLOYER_OUTCOMES,
    Step,
    check_transition,
    confirmed_outcome,
)
from matching.settings import Settings
from matching.store.database import KINDS, Store
from matching.store.tables import (
    AssessmentRow,
    CandidateRow,
    CaseRow,
    CourseRow,
    EmploymentRecordRow,
    EnrolmentRow,
    JobRow,
    ReferralEventRow,
    ReferralRow,
)
from matching.vocabulary import Outcome, WorkMode


def new_id(prefix: str) -> str:
    """A fresh record id for a record made through the API (``prefix-`` and 20 hex digits)."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


class NotAnEmployerDecision(ValueError):
    """An employer tried to record an outcome that is not theirs to report."""


class ReferralChanged(RuntimeError):
    """The referral changed since it was read (another writer got in first): nothing stored."""

    def __init__(self, referral_id: str) -> None:
        super().__init__(f"referral {referral_id} changed since it was read")
        self.referral_id = referral_id


class NothingToReview(ValueError):
    """A review was asked for a referral without an employer's report awaiting one."""


#: How the records of a grouped casework kind are found and ordered: the column holding the
#: id they are grouped by, and their order within a group.
_GROUPING: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "referral_events": (ReferralEventRow.referral_id, (ReferralEventRow.at, ReferralEventRow.id)),
    "employment": (
        EmploymentRecordRow.candidate_id,
        (EmploymentRecordRow.since, EmploymentRecordRow.recorded_at),
    ),
}


def _grouped(store: Store, session: Session, kind: str, ids: Iterable[str]) -> dict[str, list[Any]]:
    """The records of a casework kind whose grouping column (:data:`_GROUPING`) is one of
    ``ids``, grouped by it, each group in order (sealed fields opened: audit the caller).
    Chunked below SQLite's limit on bound parameters."""
    key, order = _GROUPING[kind]
    wanted = sorted(set(ids))
    found: dict[str, list[Any]] = defaultdict(list)
    for start in range(0, len(wanted), 900):
        rows = session.scalars(
            select(KINDS[kind][1]).where(key.in_(wanted[start : start + 900])).order_by(*order)
        )
        for row in rows:
            found[getattr(row, key.key)].append(store.to_record(kind, row))
    return dict(found)


# -- referral lifecycle ----------------------------------------------------------------------------


def referral_events(
    store: Store, session: Session, referral_ids: Iterable[str]
) -> dict[str, list[ReferralEvent]]:
    """The transitions of each referral, oldest first (sealed reasons opened: audit the caller)."""
    return _grouped(store, session, "referral_events", referral_ids)


def record_transition(
    store: Store,
    session: Session,
    referral: Referral,
    wanted: Outcome,
    *,
    actor: str,
    role: ActorRole,
    reason: str | None = None,
    outcome_at: dt.date | None = None,
    now: dt.datetime | None = None,
    expected_hash: str | None = None,
) -> tuple[Referral, ReferralEvent]:
    """Move a referral to ``wanted`` and store the transition.

    Raises :class:`~matching.lifecycle.InvalidTransition` for a step the lifecycle does not
    have and :class:`NotAnEmployerDecision` when an employer reports anything but its own
    decision; an employer's report waits for a counselor's review. With ``expected_hash`` (the
    content hash of the version ``referral`` was read as) the step is stored only if that
    version is still the stored one, else :class:`ReferralChanged`: two concurrent steps from
    the same outcome cannot both be recorded.
    """
    if role is ActorRole.EMPLOYER and wanted not in EMPLOYER_OUTCOMES:
        allowed = ", ".join(sorted(o.value for o in EMPLOYER_OUTCOMES))
        raise NotAnEmployerDecision(
            f"an employer reports only its own decision ({allowed}), not {wanted.value}; "
            "the counselor records the rest"
        )
    check_transition(referral.outcome, wanted)
    now = now or dt.datetime.now(dt.UTC)
    changed = Referral.model_validate(
        {**referral.model_dump(), "outcome": wanted, "outcome_at": outcome_at or now.date()}
    )
    event = ReferralEvent(
        id=new_id("re"),
        referral_id=referral.id,
        at=now,
        from_outcome=referral.outcome,
        to_outcome=wanted,
        actor=actor,
        actor_role=role,
        reason=reason,
        review=Review.AWAITING if role is ActorRole.EMPLOYER else None,
    )
    if expected_hash is None:
        store.upsert(session, "referrals", [changed])
    elif store.replace(session, "referrals", changed, expected_hash=expected_hash) is None:
        raise ReferralChanged(referral.id)
    store.upsert(session, "referral_events", [event])
    return changed, event


def review_reports(
    store: Store,
    session: Session,
    referral: Referral,
    *,
    confirm: bool,
    actor: str,
    now: dt.datetime | None = None,
) -> tuple[Referral, list[ReferralEvent]]:
    """A counselor confirms (or disputes) every employer's report awaiting review on a
    referral. A disputed report is undone: the referral goes back to the outcome before it.

    Raises :class:`NothingToReview` when no report awaits.
    """
    now = now or dt.datetime.now(dt.UTC)
    events = referral_events(store, session, [referral.id]).get(referral.id, [])
    awaiting = [e for e in events if e.review is Review.AWAITING]
    if not awaiting:
        raise NothingToReview(f"referral {referral.id} has no employer's report to review")
    verdict = Review.CONFIRMED if confirm else Review.DISPUTED
    reviewed = [
        ReferralEvent.model_validate(
            {**e.model_dump(), "review": verdict, "reviewed_by": actor, "reviewed_at": now}
        )
        for e in awaiting
    ]
    store.upsert(session, "referral_events", reviewed)
    changed = referral
    if not confirm:
        steps = [_step(e) for e in events if e.review is not Review.DISPUTED]
        outcome, _ = confirmed_outcome(steps, referral.outcome)
        before = [e for e in events if e.review is None or e.review is Review.CONFIRMED]
        changed = Referral.model_validate(
            {
                **referral.model_dump(),
                "outcome": outcome,
                "outcome_at": before[-1].at.date()
                if before and outcome is not Outcome.PENDING
                else None,
            }
        )
        store.upsert(session, "referrals", [changed])
    # The outcome learning reads changed either way: move updated_at so matchers rebuild.
    session.execute(update(ReferralRow).where(ReferralRow.id == referral.id).values(updated_at=now))
    return changed, reviewed


def _step(event: ReferralEvent) -> Step:
    return Step(
        event.from_outcome,
        event.to_outcome,
        confirmed=event.review in (None, Review.CONFIRMED),
    )


def unconfirmed_outcomes(
    store: Store, session: Session
) -> dict[str, tuple[Outcome, dt.date | None]]:
    """For each referral whose outcome is an employer's report still awaiting review: the
    last confirmed outcome and the day it became known (None: not known from the events)."""
    waiting = set(
        session.scalars(
            select(ReferralEventRow.referral_id).where(
                ReferralEventRow.review == Review.AWAITING.value
            )
        )
    )
    if not waiting:
        return {}
    found: dict[str, tuple[Outcome, dt.date | None]] = {}
    reported = dict(
        session.execute(
            select(ReferralRow.id, ReferralRow.outcome).where(ReferralRow.id.in_(sorted(waiting)))
        ).all()
    )
    for referral_id, events in referral_events(store, session, waiting).items():
        live = [e for e in events if e.review is not Review.DISPUTED]
        outcome, left_out = confirmed_outcome(
            [_step(e) for e in live], Outcome(reported[referral_id])
        )
        kept = live[: len(live) - left_out]
        known = kept[-1].at.date() if kept and outcome is not Outcome.PENDING else None
        found[referral_id] = (outcome, known)
    return found


# -- employment status -----------------------------------------------------------------------------


class NotWorkingAge(ValueError):
    """An employment status was recorded for someone not of working age."""


def employment_history(
    store: Store, session: Session, candidate_ids: Iterable[str]
) -> dict[str, list[EmploymentRecord]]:
    """Each person's employment records, oldest first (reasons opened: audit the caller)."""
    return _grouped(store, session, "employment", candidate_ids)


class EmploymentDetails(TypedDict, total=False):
    """What a status record may name besides the status: the form of employment and the
    employer (employed), the job and referral it came from, the reason (not seeking)."""

    form: WorkMode | None
    employer_id: str | None
    job_id: str | None
    referral_id: str | None
    reason: str | None


def record_employment(
    store: Store,
    session: Session,
    candidate: Candidate,
    status: EmploymentStatus,
    *,
    since: dt.date,
    recorded_by: str,
    settings: Settings,
    now: dt.datetime | None = None,
    **details: Unpack[EmploymentDetails],
) -> EmploymentRecord:
    """Record a person's status from ``since`` on, and take them out of matching (a job, or
    not seeking) or back in (unemployed, in training) if it is now their current status.

    Raises :class:`NotWorkingAge` for someone outside the working ages of the settings, and
    pydantic's ``ValidationError`` for an inconsistent record (e.g. employed without a form).
    """
    if not is_working_age(candidate.sex, candidate.birth_year, since.year, settings):
        raise NotWorkingAge(
            f"candidate {candidate.id} is not of working age in {since.year} "
            f"({settings.working_age_min}-{settings.working_age_max_male} men, "
            f"{settings.working_age_min}-{settings.working_age_max_female} women; "
            "a birth year is needed)"
        )
    now = now or dt.datetime.now(dt.UTC)
    record = EmploymentRecord(
        id=new_id("em"),
        candidate_id=candidate.id,
        status=status,
        since=since,
        **details,
        recorded_by=recorded_by,
        recorded_at=now,
    )
    store.upsert(session, "employment", [record])
    history = employment_history(store, session, [candidate.id]).get(candidate.id, [])
    current = current_status(history)
    if current is not None and current.id == record.id:
        # updated_at moves too, so that every worker's matcher notices the change.
        session.execute(
            update(CandidateRow)
            .where(CandidateRow.id == candidate.id)
            .values(active=status in SEEKING, updated_at=now)
        )
    return record


def follow_outcome(
    store: Store,
    session: Session,
    referral: Referral,
    *,
    recorded_by: str,
    settings: Settings,
) -> EmploymentRecord | None:
    """What a confirmed outcome changes in the person's employment status: a hire makes them
    employed by the job's employer in the job's form of employment (ending active search); a
    hire that ended early makes them unemployed again (search reopened). People outside the
    working ages get no ledger record, but a hire still ends their search."""
    if referral.outcome not in (Outcome.HIRED, Outcome.LEFT_EARLY):
        return None
    candidate = store.to_record("candidates", session.get(CandidateRow, referral.candidate_id))
    assert isinstance(candidate, Candidate)
    since = referral.outcome_at or dt.date.today()
    hired = referral.outcome is Outcome.HIRED
    status, details = EmploymentStatus.UNEMPLOYED, EmploymentDetails()
    if hired:
        job = session.get(JobRow, referral.job_id)
        assert job is not None
        status = EmploymentStatus.EMPLOYED
        details = EmploymentDetails(
            form=WorkMode(job.work_mode),
            employer_id=job.employer_id,
            job_id=job.id,
            referral_id=referral.id,
        )
    try:
        return record_employment(
            store,
            session,
            candidate,
            status,
            since=since,
            recorded_by=recorded_by,
            settings=settings,
            **details,
        )
    except NotWorkingAge:
        session.execute(
            update(CandidateRow)
            .where(CandidateRow.id == candidate.id)
            .values(active=not hired, updated_at=dt.datetime.now(dt.UTC))
        )
        return None


def records_where(
    store: Store, session: Session, kind: str, *where: Any, order_by: Any = None
) -> list[Any]:
    """The records of a casework kind whose rows satisfy ``where`` (sealed fields opened:
    audit the caller), in ``order_by`` order (default: id)."""
    table = KINDS[kind][1]
    query = select(table).where(*where).order_by(order_by if order_by is not None else table.id)
    return [store.to_record(kind, row) for row in session.scalars(query)]


# -- ability assessments ---------------------------------------------------------------------------


def record_assessment(
    store: Store, session: Session, candidate: Candidate, assessment: Assessment
) -> bool:
    """Store an assessment; if it is the person's latest (by day, then id) its capacities
    become the person's (each dimension it assessed; the others keep their defaults).
    Returns whether the person's capacities changed."""
    store.upsert(session, "assessments", [assessment])
    latest = records_where(
        store,
        session,
        "assessments",
        AssessmentRow.candidate_id == candidate.id,
        order_by=AssessmentRow.assessed_on,
    )
    newest = max(latest, key=lambda a: (a.assessed_on, a.id))
    if newest.id != assessment.id or candidate.capacities == assessment.capacities:
        return False
    updated = Candidate.model_validate(
        {**candidate.model_dump(), "capacities": assessment.capacities}
    )
    store.upsert(session, "candidates", [updated])
    return True


# -- training --------------------------------------------------------------------------------------


class CourseFull(ValueError):
    """Every place on a course is taken."""


def places_left(session: Session, course_ids: Iterable[str]) -> dict[str, int]:
    """Places not taken (by an enrolment not withdrawn) on each course."""
    ids = sorted(set(course_ids))
    taken = dict(
        session.execute(
            select(EnrolmentRow.course_id, func.count())
            .where(
                EnrolmentRow.course_id.in_(ids),
                EnrolmentRow.state != EnrolmentState.WITHDRAWN.value,
            )
            .group_by(EnrolmentRow.course_id)
        ).all()
    )
    places: dict[str, dict[str, Any]] = dict(
        session.execute(select(CourseRow.id, CourseRow.record).where(CourseRow.id.in_(ids))).all()
    )
    return {i: places[i]["places"] - taken.get(i, 0) for i in ids if i in places}


def enrol(
    store: Store, session: Session, course: Course, candidate_id: str, *, on: dt.date
) -> Enrolment:
    """A place on a course for a person (raises :class:`CourseFull`)."""
    if places_left(session, [course.id]).get(course.id, 0) <= 0:
        raise CourseFull(f"every one of the {course.places} places on {course.name} is taken")
    enrolment = Enrolment(
        id=new_id("en"), course_id=course.id, candidate_id=candidate_id, enrolled_on=on
    )
    store.upsert(session, "enrolments", [enrolment])
    return enrolment


def complete(
    store: Store,
    session: Session,
    enrolment: Enrolment,
    course: Course,
    candidate: Candidate,
    *,
    on: dt.date,
) -> tuple[Enrolment, Candidate]:
    """Record a completion: the course's skills and the training (name, year) join the
    person's profile, so matching sees them."""
    done = Enrolment.model_validate(
        {**enrolment.model_dump(), "state": EnrolmentState.COMPLETED, "completed_on": on}
    )
    training = {"name": course.name, "year": on.year}
    trainings = [t.model_dump() for t in candidate.trainings]
    updated = Candidate.model_validate(
        {
            **candidate.model_dump(),
            "skills": [*candidate.skills, *course.skills],
            "trainings": trainings + ([training] if training not in trainings else []),
        }
    )
    store.upsert(session, "enrolments", [done])
    store.upsert(session, "candidates", [updated])
    return done, updated


# -- 一人一策 cases --------------------------------------------------------------------------------


def open_missing_cases(
    store: Store,
    session: Session,
    kind: CaseKind,
    *,
    counselor: str,
    region_prefix: str = "",
    graduation_year: int | None = None,
    on: dt.date | None = None,
) -> list[Case]:
    """One person, one plan (一人一策, DOMAIN.md rule 8): open a case for every eligible person
    (seed 004 §5(1): every disabled graduate, every
    hard-to-employ person) in the region who has no open case of that kind yet, all with the
    named counselor; ``graduation_year`` limits graduates to one year. Returns the new cases."""
    on = on or dt.date.today()
    people = [
        Candidate.model_validate(record)
        for record in session.scalars(
            select(CandidateRow.record)
            .where(CandidateRow.region_code.startswith(region_prefix))
            .order_by(CandidateRow.id)
        )
    ]
    covered = set(
        session.scalars(
            select(CaseRow.candidate_id).where(
                CaseRow.kind == kind.value, CaseRow.closed_on.is_(None)
            )
        )
    )
    opened = []
    for person in people:
        if person.id in covered:
            continue
        if graduation_year is not None and person.graduation_year != graduation_year:
            continue
        try:
            check_eligible(person, kind)
        except CaseRefused:
            continue
        opened.append(
            Case(
                id=new_id("case"),
                candidate_id=person.id,
                kind=kind,
                counselor=counselor,
                opened_on=max(on, person.registered_at),
            )
        )
    store.upsert(session, "cases", opened)
    return opened
