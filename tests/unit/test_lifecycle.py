"""The referral lifecycle and the three-failures counting rules (matching.lifecycle), the
stored transitions and the review of employers' reports (matching.store.casework), and what
the ranker learns from (Catalog.from_store)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from matching.casework import ActorRole, Review
from matching.catalog import OUTCOMES, Catalog
from matching.domain import Referral
from matching.features import HistoryIndex
from matching.interchange import import_directory
from matching.lifecycle import (
    EMPLOYER_OUTCOMES,
    NEXT_OUTCOMES,
    InvalidTransition,
    Step,
    StreakRule,
    check_transition,
    confirmed_outcome,
    failed_market_streak,
)
from matching.settings import Settings
from matching.store import Store
from matching.store.casework import (
    NotAnEmployerDecision,
    NothingToReview,
    record_transition,
    referral_events,
    review_reports,
    unconfirmed_outcomes,
)
from matching.store.tables import ReferralRow
from matching.vocabulary import Outcome
from tests.records import candidate, catalog_of, job
from tests.world import write_world

P, I, H, R, D, N, L = (  # noqa: E741 (the outcomes by initial)
    Outcome.PENDING,
    Outcome.INTERVIEWED,
    Outcome.HIRED,
    Outcome.REJECTED,
    Outcome.DECLINED,
    Outcome.NO_SHOW,
    Outcome.LEFT_EARLY,
)


# -- the lifecycle ---------------------------------------------------------------------------------


def test_every_allowed_step_and_nothing_else() -> None:
    # The table of the README written out: 4 + 4 + 1 = 9 steps of the 7 × 7 = 49 pairs.
    allowed = {(P, I), (P, R), (P, D), (P, N), (I, H), (I, R), (I, D), (I, N), (H, L)}
    for current in Outcome:
        for wanted in Outcome:
            if (current, wanted) in allowed:
                check_transition(current, wanted)
            else:
                with pytest.raises(InvalidTransition) as refused:
                    check_transition(current, wanted)
                assert refused.value.allowed == NEXT_OUTCOMES[current]
    assert sum(len(v) for v in NEXT_OUTCOMES.values()) == 9


def test_the_sequence_measured_on_main_is_refused_at_its_first_step() -> None:
    # pending → left_early → hired → pending → no_show → hired was all accepted before.
    with pytest.raises(InvalidTransition, match="allowed next: interviewed, rejected, declined"):
        check_transition(P, L)
    with pytest.raises(InvalidTransition, match="none \\(the outcome is final\\)"):
        check_transition(N, H)


def test_employers_report_only_their_own_decision() -> None:
    assert EMPLOYER_OUTCOMES == {I, H, R}


# -- the three-failures rule -----------------------------------------------------------------------


def test_streak_counts_failures_since_the_last_job() -> None:
    # rejected (1), declined (2), interviewed (unknown yet: still 2), no_show (3) → 3.
    assert failed_market_streak([R, D, I, N]) == 3
    # ... then hired resets (0), rejected (1) → 1; left_early is a job found, too → 0.
    assert failed_market_streak([R, D, I, N, H, R]) == 1
    assert failed_market_streak([R, R, L]) == 0
    # Not counting declined (the person's own choice): rejected 1, declined skipped, no_show 2.
    strict = StreakRule(failures=frozenset({R, N}), successes=frozenset({H, L}))
    assert failed_market_streak([R, D, I, N], strict) == 2


def test_counting_rules_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBMATCH_REFERRAL_FAILURE_OUTCOMES", '["rejected", "no_show"]')
    monkeypatch.setenv("JOBMATCH_REFERRAL_SUCCESS_OUTCOMES", '["hired"]')
    rule = StreakRule.of(Settings())
    assert rule == StreakRule(frozenset({R, N}), frozenset({H}))
    # left_early no longer ends a streak: rejected 1, left_early (neither) 1, no_show 2.
    assert failed_market_streak([R, L, N], rule) == 2
    assert StreakRule.of(Settings(referral_failure_outcomes=["rejected"])).failures == {R}


def test_settings_refuse_an_outcome_counted_both_ways_or_unknown() -> None:
    with pytest.raises(ValidationError, match="both failure and success"):
        Settings(referral_failure_outcomes=["hired"])
    unknown = "referral_success_outcomes.0\n  Input should be 'pending'"
    with pytest.raises(ValidationError, match=unknown):
        Settings(referral_success_outcomes=["maybe"])


def test_the_ranker_features_count_as_the_pure_rule_does() -> None:
    # One person, five market jobs; outcomes known on days 10, 20, 30, 40, 50 (in that order).
    jobs = [job(f"j{n}") for n in range(5)]
    outcomes = [R, D, H, N, D]
    referrals = [
        Referral(
            id=f"r{n}",
            candidate_id="c",
            job_id=f"j{n}",
            referred_at=dt.date(2025, 2, 1) + dt.timedelta(days=10 * n),
            outcome=o,
            outcome_at=dt.date(2025, 2, 5) + dt.timedelta(days=10 * n),
        )
        for n, o in enumerate(outcomes)
    ]
    catalog = catalog_of(jobs, [candidate("c")], referrals)
    day = np.array([dt.date(2025, 6, 1).toordinal()])
    for rule in (StreakRule(), StreakRule(frozenset({R, N}), frozenset({H, L}))):
        history = HistoryIndex(catalog, rule)
        streak = history.person_streak.last_before(np.array([0]), day, 0.0)[0]
        # Default: R 1, D 2, H 0, N 1, D 2 → 2. Without declined: R 1, H 0, N 1 → 1.
        assert streak == failed_market_streak(outcomes, rule)
    assert failed_market_streak(outcomes) == 2
    assert failed_market_streak(outcomes, StreakRule(frozenset({R, N}), frozenset({H, L}))) == 1


def test_confirmed_outcome_leaves_out_everything_from_the_first_unconfirmed_step() -> None:
    counselor_interviewed = Step(P, I, confirmed=True)
    employer_hired = Step(I, H, confirmed=False)
    assert confirmed_outcome([counselor_interviewed, employer_hired], H) == (I, 1)
    assert confirmed_outcome([Step(P, I, False), Step(I, H, False)], H) == (P, 2)
    assert confirmed_outcome([counselor_interviewed, Step(I, H, True)], H) == (H, 0)
    # An imported referral has no steps: its outcome stands.
    assert confirmed_outcome([], R) == (R, 0)


# -- stored transitions ----------------------------------------------------------------------------


def _referral(store: Store, referral_id: str) -> Referral:
    with store.session() as session:
        record = store.to_record("referrals", session.get(ReferralRow, referral_id))
    assert isinstance(record, Referral)
    return record


def test_transitions_are_stored_and_employer_reports_wait_for_review(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    assert import_directory(store, write_world(tmp_path / "w")).ok
    at = dt.datetime(2025, 6, 3, 9, 0, tzinfo=dt.UTC)
    with store.session() as session:
        r2 = _referral(store, "r2")  # c2 → j2 (employer e2), pending
        with pytest.raises(NotAnEmployerDecision, match="not declined"):
            record_transition(store, session, r2, D, actor="e2-hr", role=ActorRole.EMPLOYER, now=at)
        r2, first = record_transition(
            store,
            session,
            r2,
            I,
            actor="王老师",
            role=ActorRole.COUNSELOR,
            reason="面试已安排",
            now=at,
        )
        r2, report = record_transition(
            store,
            session,
            r2,
            H,
            actor="e2-hr",
            role=ActorRole.EMPLOYER,
            now=at + dt.timedelta(days=2),
        )
    assert (first.review, report.review) == (None, Review.AWAITING)
    with store.session() as session:
        events = referral_events(store, session, ["r2"])["r2"]
        assert [(e.from_outcome, e.to_outcome, e.actor) for e in events] == [
            (P, I, "王老师"),
            (I, H, "e2-hr"),
        ]
        assert events[0].reason == "面试已安排"
        # The referral shows the report; learning reads interviewed, known on 3 June.
        assert _referral(store, "r2").outcome is H
        assert unconfirmed_outcomes(store, session) == {"r2": (I, dt.date(2025, 6, 3))}
    catalog = Catalog.from_store(store, settings, None)
    row = catalog.history.ids.index("r2")
    assert OUTCOMES[catalog.history.outcome[row]] is I
    assert not catalog.history.confirmed[row]
    assert catalog.history.confirmed[catalog.history.ids.index("r1")]

    with store.session() as session:
        _, reviewed = review_reports(
            store, session, _referral(store, "r2"), confirm=True, actor="王老师"
        )
        assert [e.review for e in reviewed] == [Review.CONFIRMED]
        assert unconfirmed_outcomes(store, session) == {}
        with pytest.raises(NothingToReview):
            review_reports(store, session, _referral(store, "r2"), confirm=True, actor="王老师")
    catalog = Catalog.from_store(store, settings, None)
    assert OUTCOMES[catalog.history.outcome[catalog.history.ids.index("r2")]] is H


def test_a_disputed_report_is_undone(store: Store, tmp_path: Path) -> None:
    assert import_directory(store, write_world(tmp_path / "w")).ok
    with store.session() as session:
        r2, _ = record_transition(
            store, session, _referral(store, "r2"), R, actor="e2-hr", role=ActorRole.EMPLOYER
        )
        assert r2.outcome is R
        undone, reviewed = review_reports(store, session, r2, confirm=False, actor="王老师")
    assert undone.outcome is P and undone.outcome_at is None
    assert reviewed[0].review is Review.DISPUTED and reviewed[0].reviewed_by == "王老师"
    assert _referral(store, "r2").outcome is P
    with store.session() as session:
        assert unconfirmed_outcomes(store, session) == {}


def test_transition_reasons_are_sealed_at_rest(store: Store, tmp_path: Path) -> None:
    assert import_directory(store, write_world(tmp_path / "w")).ok
    with store.session() as session:
        record_transition(
            store,
            session,
            _referral(store, "r2"),
            I,
            actor="王老师",
            role=ActorRole.COUNSELOR,
            reason="本人听力残疾，面试需文字转写",
        )
    with store.engine.connect() as connection:
        dumped = str(connection.exec_driver_sql("SELECT * FROM referral_events").all())
    assert "听力" not in dumped and "文字转写" not in dumped


def test_the_readme_table_is_the_lifecycle() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- referral-lifecycle:start -->")[1].split("<!--")[0]
    documented: dict[Outcome, tuple[Outcome, ...]] = {}
    for row in table.strip().splitlines()[2:]:
        sources, targets = (cell.strip() for cell in row.strip("|").split("|"))
        allowed = () if targets.startswith("none") else tuple(map(Outcome, targets.split(", ")))
        for source in sources.split(", "):
            documented[Outcome(source)] = allowed
    assert documented == NEXT_OUTCOMES


def test_the_training_set_knows_which_outcomes_were_confirmed() -> None:
    from matching.catalog import ReferralFacts
    from matching.ranker import Direction
    from training.config import shipped_config
    from training.dataset import build_ranking_set

    shipped = shipped_config().dataset

    day = dt.date(2025, 3, 1)
    # r0: an employer reported "hired" (label 3) after a counselor's "interviewed" (label 1):
    # the catalog carries the confirmed interviewed, marked unconfirmed. r1: a counselor's hire.
    facts = [
        ReferralFacts("r0", "c0", "j0", day, "interviewed", day, confirmed=False),
        ReferralFacts("r1", "c1", "j1", day, "hired", day),
    ]
    catalog = catalog_of(
        [job("j0"), job("j1"), job("j2")], [candidate("c0"), candidate("c1")], facts
    )  # type: ignore[arg-type]
    vectors = np.eye(3, 4, dtype=np.float32)
    ranking = build_ranking_set(
        catalog,
        HistoryIndex(catalog),
        job_vectors=vectors,
        candidate_vectors=vectors[:2],
        settings=Settings(),
        direction=Direction.JOBS_FOR_CANDIDATE,
        rows=np.arange(len(catalog.history)),
        spec=shipped.model_copy(update={"random_negatives": 1, "retrieval_negatives": 0}),
        seed=0,
    )
    referred = ranking.labels > 0
    assert sorted(
        zip(
            ranking.candidates[referred].tolist(),
            ranking.labels[referred].tolist(),
            ranking.confirmed[referred].tolist(),  # type: ignore[index]
            strict=True,
        )
    ) == [(0, 1, False), (1, 3, True)]
    assert ranking.confirmed[~referred].all()  # sampled negatives
