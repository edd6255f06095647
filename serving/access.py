"""Object-level checks (OWASP API1): every route loads records through these, so that a
counselor only reaches their region and an employer only its own jobs.

A record that does not exist is 404; one that exists outside the caller's scope is 403.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from matching.domain import Candidate, Employer, Job, Referral
from matching.store import Store
from matching.store.tables import CandidateRow, EmployerRow, JobRow, ReferralRow
from serving.auth import Account, Role
from serving.errors import ApiError, forbidden, not_found


def check_region(user: Account, region_code: str, what: str) -> None:
    """403 unless a counselor's region prefix covers ``region_code``."""
    if user.role is Role.COUNSELOR and not user.covers_region(region_code):
        raise forbidden(f"{what} is outside your region {user.region_code}")


def candidate_row(session: Session, user: Account, candidate_id: str) -> CandidateRow:
    """A candidate a counselor may work with (employers use :func:`referred_candidate`)."""
    row = session.get(CandidateRow, candidate_id)
    if row is None:
        raise not_found("candidate", candidate_id)
    if user.role is not Role.COUNSELOR:
        raise forbidden("only counselors work with candidate records")
    check_region(user, row.region_code, f"candidate {candidate_id}")
    return row


def inactive_candidate(candidate_id: str) -> ApiError:
    """409 for matching or referring a person taken out of matching (deactivated)."""
    return ApiError(
        409,
        "candidate_inactive",
        f"求职者 {candidate_id} 已停用（已就业、迁出或退出），不再推荐岗位",
        [("candidate_id", "the person is deactivated")],
    )


def candidate_record(store: Store, row: CandidateRow) -> Candidate:
    """The full record, sensitive fields decrypted: the caller writes the audit record."""
    record = store.to_record("candidates", row)
    assert isinstance(record, Candidate)
    return record


def job_row(session: Session, user: Account, job_id: str, *, write: bool = False) -> JobRow:
    """A job the account may read (or, with ``write``, edit)."""
    row = session.get(JobRow, job_id)
    if row is None:
        raise not_found("job", job_id)
    if user.role is Role.EMPLOYER:
        if row.employer_id != user.employer_id:
            raise forbidden(f"job {job_id} belongs to another employer")
    elif user.role is Role.COUNSELOR and not write:
        check_region(user, row.region_code, f"job {job_id}")
    else:
        raise forbidden("only the employer that posted a job may change it")
    return row


def employer_row(
    session: Session, user: Account, employer_id: str, *, write: bool = False
) -> EmployerRow:
    """An employer the account may read: its own, or one in a counselor's region."""
    row = session.get(EmployerRow, employer_id)
    if row is None:
        raise not_found("employer", employer_id)
    if user.role is Role.EMPLOYER:
        if row.id != user.employer_id:
            raise forbidden(f"employer {employer_id} is another employer")
    elif user.role is Role.COUNSELOR:
        check_region(user, row.region_code, f"employer {employer_id}")
    elif not (user.role is Role.MANAGER and not write):
        raise forbidden("this account may not work with employer records")
    return row


def referral_row(session: Session, user: Account, referral_id: str) -> ReferralRow:
    """A referral of a person in a counselor's region, or to one of an employer's jobs."""
    row = session.get(ReferralRow, referral_id)
    if row is None:
        raise not_found("referral", referral_id)
    if user.role is Role.COUNSELOR:
        candidate = session.get(CandidateRow, row.candidate_id)
        assert candidate is not None
        check_region(user, candidate.region_code, f"referral {referral_id}")
    elif user.role is Role.EMPLOYER:
        job = session.get(JobRow, row.job_id)
        assert job is not None
        if job.employer_id != user.employer_id:
            raise forbidden(f"referral {referral_id} is to another employer's job")
    else:
        raise forbidden("only counselors and employers work with referrals")
    return row


def as_job(row: JobRow) -> Job:
    return Job.model_validate(row.record)


def as_employer(row: EmployerRow) -> Employer:
    return Employer.model_validate(row.record)


def as_referral(row: ReferralRow) -> Referral:
    return Referral.model_validate(row.record)
