"""一人一策 cases (DOMAIN.md rule 8, seed 004 §5(1)): who gets one, and "不就业、不脱钩" — a
case closes on a counselor's word only once the person is employed; without employment only
with a recorded exit reason (further study, moved away, died) that a manager approves."""

from __future__ import annotations

import datetime as dt

from matching.casework import EXIT_REASONS, Case, CaseKind, CloseReason
from matching.domain import Candidate
from matching.employment import is_graduate
from matching.vocabulary import PriorityGroup


class CaseRefused(ValueError):
    """A case cannot be opened, closed or approved as asked; ``code`` names the rule."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_eligible(candidate: Candidate, kind: CaseKind) -> None:
    """A graduate's case needs a college graduate, a hard-to-employ case a person marked
    hard-to-employ (就业困难残疾人); raises :class:`CaseRefused` otherwise."""
    if kind is CaseKind.GRADUATE and not is_graduate(candidate):
        raise CaseRefused(
            "not_eligible",
            f"candidate {candidate.id} is not a college graduate (tertiary education and a "
            "graduation year are needed)",
        )
    if kind is CaseKind.HARD_TO_EMPLOY and PriorityGroup.HARD_TO_EMPLOY not in (
        candidate.priority_groups
    ):
        raise CaseRefused("not_eligible", f"candidate {candidate.id} is not marked hard_to_employ")


def close(case: Case, reason: CloseReason, *, employed: bool, by: str, on: dt.date) -> Case:
    """Close a case (reason employed, the person being employed now) or ask to (an exit
    reason: the case stays open until a manager approves)."""
    if not case.is_open:
        raise CaseRefused("case_closed", f"case {case.id} was closed on {case.closed_on}")
    if reason is CloseReason.EMPLOYED:
        if not employed:
            raise CaseRefused(
                "not_employed",
                "不就业、不脱钩: the person is not employed, so the case stays open; without "
                "employment only further_study, moved_away or died, approved by a manager, "
                "close it",
            )
        return Case.model_validate({**case.model_dump(), "close_reason": reason, "closed_on": on})
    return Case.model_validate(
        {**case.model_dump(), "close_reason": reason, "close_requested_by": by}
    )


def approve_exit(case: Case, *, manager: str, on: dt.date) -> Case:
    """A manager approves the exit reason a counselor recorded: the case closes."""
    if not case.is_open:
        raise CaseRefused("case_closed", f"case {case.id} was closed on {case.closed_on}")
    if case.close_reason not in EXIT_REASONS:
        raise CaseRefused("no_exit_requested", f"case {case.id} has no exit reason to approve")
    return Case.model_validate(
        {**case.model_dump(), "approved_by": manager, "closed_on": max(on, case.opened_on)}
    )
