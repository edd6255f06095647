"""The referral lifecycle and the counting rules of the three-failures rule (DOMAIN.md rule 6).

A referral moves pending → interviewed → hired / rejected / declined / no_show, and a hire may
end early (hired → left_early); nothing else. Before an interview the person can still decline
or not turn up and the employer can still turn them down on paper, so pending may also go
straight to rejected, declined or no_show. Every other outcome is final.

Employers report only their own decision (interviewed, hired, rejected) on referrals to their
own jobs; a counselor confirms or disputes each report. Until then the report is shown but
neither the ranker's labels nor the failure streak use it: they read the last outcome a
counselor recorded or confirmed (:func:`confirmed_outcome`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matching.settings import Settings
from matching.vocabulary import Outcome

_P, _I, _H, _R, _D, _N, _L = (
    Outcome.PENDING,
    Outcome.INTERVIEWED,
    Outcome.HIRED,
    Outcome.REJECTED,
    Outcome.DECLINED,
    Outcome.NO_SHOW,
    Outcome.LEFT_EARLY,
)

#: The outcomes a referral may move to from each outcome (an empty set: the outcome is final).
NEXT_OUTCOMES: dict[Outcome, tuple[Outcome, ...]] = {
    _P: (_I, _R, _D, _N),
    _I: (_H, _R, _D, _N),
    _H: (_L,),
    _R: (),
    _D: (),
    _N: (),
    _L: (),
}

#: What an employer may report: its own decision, never the person's.
EMPLOYER_OUTCOMES: frozenset[Outcome] = frozenset({_I, _H, _R})


class InvalidTransition(ValueError):
    """A referral cannot move from its outcome to the one asked for."""

    def __init__(self, current: Outcome, wanted: Outcome) -> None:
        self.current = current
        self.wanted = wanted
        self.allowed = NEXT_OUTCOMES[current]
        allowed = ", ".join(o.value for o in self.allowed) or "none (the outcome is final)"
        super().__init__(
            f"a referral that is {current.value} cannot become {wanted.value}; allowed next: "
            f"{allowed}"
        )


def check_transition(current: Outcome, wanted: Outcome) -> None:
    """Raise :class:`InvalidTransition` unless ``current → wanted`` is a lifecycle step."""
    if wanted not in NEXT_OUTCOMES[current]:
        raise InvalidTransition(current, wanted)


@dataclass(frozen=True, slots=True)
class StreakRule:
    """Three failed referrals in a row (连续三次推荐未就业, DOMAIN.md rule 6): which known
    outcomes count as a failed market referral and which as getting a job.

    Defaults (``JOBMATCH_REFERRAL_FAILURE_OUTCOMES`` / ``…_SUCCESS_OUTCOMES``): rejected,
    declined and no_show are failures (the referral did not lead to a job, whoever said no);
    hired and left_early are successes (a job was found, even if it did not last); pending
    and interviewed are not yet known and change nothing.
    """

    failures: frozenset[Outcome] = frozenset({_R, _D, _N})
    successes: frozenset[Outcome] = frozenset({_H, _L})

    @classmethod
    def of(cls, settings: Settings) -> StreakRule:
        return cls(
            frozenset(settings.referral_failure_outcomes),
            frozenset(settings.referral_success_outcomes),
        )


def failed_market_streak(outcomes: Iterable[Outcome], rule: StreakRule = StreakRule()) -> int:
    """Failed market referrals in a row at the end of ``outcomes`` (in the order they became
    known, public-welfare referrals left out): a success starts the count again at 0."""
    streak = 0
    for outcome in outcomes:
        if outcome in rule.successes:
            streak = 0
        elif outcome in rule.failures:
            streak += 1
    return streak


@dataclass(frozen=True, slots=True)
class Step:
    """One stored transition, as :func:`confirmed_outcome` needs it."""

    from_outcome: Outcome
    to_outcome: Outcome
    confirmed: bool  # recorded by a counselor, or an employer's report a counselor confirmed


def confirmed_outcome(steps: Sequence[Step], reported: Outcome) -> tuple[Outcome, int]:
    """The outcome learning may use and how many of the last ``steps`` it leaves out.

    ``steps`` are a referral's transitions in order, ending at ``reported``. Everything from
    the first unconfirmed step on is left out, so an employer's unconfirmed "hired" after a
    counselor's "interviewed" reads as interviewed.
    """
    for position, step in enumerate(steps):
        if not step.confirmed:
            return step.from_outcome, len(steps) - position
    return reported, 0
