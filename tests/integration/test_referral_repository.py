"""The referrals repository (matching/store/referrals.py): a referral made, replayed and
refused while one is pending; steps stored by compare-and-set and audited; reviews and
consent; the audited reads. On a real store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import datetime as dt

import pytest

from matching.casework import ActorRole
from matching.settings import Settings
from matching.store import Store
from matching.store.candidates import Candidates
from matching.store.employers import Employers
from matching.store.jobs import Jobs
from matching.store.referrals import (
    IdempotencyKeyReused,
    IdempotentRequest,
    ReferralPending,
    Referrals,
)
from matching.store.repository import StaleVersion, etag
from matching.store.tables import ReferralRow
from matching.vocabulary import Outcome
from serving.auth import Role, create_account_in
from tests.records import EMPLOYER, candidate, job
from tests.store_session import committed_actions, request_session

TODAY = dt.date(2025, 6, 1)


@pytest.fixture
def world(store: Store) -> IdempotentRequest:
    """An employer with jobs j1 (one opening) and j2, people c1 and c2, and a counselor's
    account; returns that counselor's first request."""
    with request_session(store) as session:
        Employers(store, session, actor="setup").register(EMPLOYER)
        jobs = Jobs(store, session, actor="setup")
        jobs.post(job("j1"))
        jobs.post(job("j2"))
        people = Candidates(store, session, actor="setup")
        people.register(candidate("c1", birth_year=1990, sex="F"))
        people.register(candidate("c2", region_code="430202"))
        account = create_account_in(
            session, name="王老师", role=Role.COUNSELOR, region="43", employer=None
        )
        session.commit()
    return IdempotentRequest(account_id=account.id, key="key-00001", request_hash="h1")


def _refer(referrals: Referrals, request: IdempotentRequest, job_id: str = "j1") -> str:
    made = referrals.refer(
        request,
        candidate_id="c1",
        job_id=job_id,
        model="baseline",
        rank=1,
        reasons=["技能匹配"],
        override_reason=None,
        purpose="就业推荐",
        today=TODAY,
    )
    return made.referral.id


def test_a_referral_is_made_once_per_key_and_once_while_pending(
    store: Store, world: IdempotentRequest
) -> None:
    with request_session(store) as session:
        referrals = Referrals(store, session, actor="account:1:王老师")
        first = _refer(referrals, world)
        again = referrals.replay(world)
        assert again is not None and again.replayed and again.referral.id == first
        assert again.version == session.get(ReferralRow, first).content_hash
        with pytest.raises(IdempotencyKeyReused):
            referrals.replay(IdempotentRequest(world.account_id, world.key, "other body"))
        other_key = IdempotentRequest(world.account_id, "key-00002", "h2")
        with pytest.raises(ReferralPending, match=first):
            _refer(referrals, other_key)
        assert _refer(referrals, other_key, "j2") != first
    refers = [a for a in committed_actions(store) if a[0] == "refer"]
    assert refers[0] == ("refer", f"referrals:{first} candidates:c1 jobs:j1", "就业推荐")
    assert len(refers) == 2


def test_a_step_is_stored_by_compare_and_set_and_audited(
    store: Store, world: IdempotentRequest, settings: Settings
) -> None:
    with request_session(store) as session:
        referrals = Referrals(store, session, actor="account:1:王老师")
        referral_id = _refer(referrals, world)

        def load() -> ReferralRow:
            row = session.get(ReferralRow, referral_id, populate_existing=True)
            assert row is not None
            return row

        read = etag(load().content_hash)
        step = {"by": "王老师", "reason": None, "outcome_at": None, "settings": settings}
        before, after, version = referrals.transition(
            load, Outcome.INTERVIEWED, role=ActorRole.COUNSELOR, if_match=read, **step
        )
        assert (before.outcome, after.outcome) == (Outcome.PENDING, Outcome.INTERVIEWED)
        assert version == load().content_hash
        with pytest.raises(StaleVersion, match=referral_id):
            referrals.transition(
                load, Outcome.HIRED, role=ActorRole.COUNSELOR, if_match=read, **step
            )
        # The outcome it already has: nothing stored, nothing audited.
        same = referrals.transition(
            load, Outcome.INTERVIEWED, role=ActorRole.COUNSELOR, if_match=None, **step
        )
        assert same[2] == version
        referrals.transition(load, Outcome.HIRED, role=ActorRole.COUNSELOR, if_match=None, **step)
    steps = [a for a in committed_actions(store) if a[0] == "referral_outcome"]
    assert [s[2] for s in steps] == ["pending -> interviewed", "interviewed -> hired"]
    with request_session(store) as session:
        # A counselor's hire is followed into the person's employment status.
        assert Candidates(store, session, actor="t").get("c1").active is False


def test_an_employer_report_is_reviewed_and_a_dispute_undoes_it(
    store: Store, world: IdempotentRequest, settings: Settings
) -> None:
    with request_session(store) as session:
        referrals = Referrals(store, session, actor="account:1:王老师")
        referral_id = _refer(referrals, world)

        def load() -> ReferralRow:
            row = session.get(ReferralRow, referral_id, populate_existing=True)
            assert row is not None
            return row

        referrals.transition(
            load,
            Outcome.INTERVIEWED,
            role=ActorRole.EMPLOYER,
            by="单位人事",
            reason=None,
            outcome_at=None,
            if_match=None,
            settings=settings,
        )
        assert referrals.listings([load()])[0].awaiting_review
        with pytest.raises(StaleVersion):
            referrals.review(
                load(), confirm=False, by="王老师", if_match='"old"', settings=settings
            )
        fresh = referrals.review(
            load(), confirm=False, by="王老师", if_match=None, settings=settings
        )
        assert fresh.outcome == Outcome.PENDING.value
        listing = referrals.listings([fresh])[0]
        assert (listing.counselor, listing.awaiting_review) == ("王老师", False)
    assert (
        "referral_review",
        f"referrals:{referral_id}",
        "disputed 1 reports",
    ) in committed_actions(store)


def test_an_identity_is_opened_for_the_employer_only_once_the_person_accepted(
    store: Store, world: IdempotentRequest
) -> None:
    with request_session(store) as session:
        referrals = Referrals(store, session, actor="account:2:单位")
        referral_id = _refer(referrals, world)
        seen = referrals.referred_to_job("j1")
        assert [(r.referral.id, r.accepted) for r in seen] == [(referral_id, False)]
        assert not any(a[0] == "read_identity" for a in committed_actions(store))
        row = referrals.get(referral_id)
        context = referrals.context(referral_id)
        assert row is not None and context is not None
        referrals.accept(row, context)
        referrals.accept(row, context)  # accepting again changes nothing
        (seen_now,) = referrals.referred_to_job("j1")
        assert seen_now.accepted
        assert referrals.referred_to_job("j1", region_prefix="11") == []
    actions = [a[0] for a in committed_actions(store)]
    assert actions.count("referral_accepted") == 1
    assert actions.count("read_identity") == 1


def test_reads_of_a_persons_referrals_and_of_lists_are_audited(
    store: Store, world: IdempotentRequest
) -> None:
    with request_session(store) as session:
        referrals = Referrals(store, session, actor="account:1:王老师")
        referral_id = _refer(referrals, world)
        assert [r.id for r in referrals.of_candidate("c1")] == [referral_id]
        assert [r.id for r in referrals.search(region_prefix="43", limit=5)] == [referral_id]
        assert referrals.search(region_prefix="43", counselor="别人", limit=5) == []
        assert referrals.search(region_prefix="43", awaiting_review=True, limit=5) == []
        row = referrals.get(referral_id)
        assert row is not None and referrals.events_read(row) == []
    actions = [a[:2] for a in committed_actions(store)]
    assert ("read_referrals", "candidates:c1") in actions
    assert actions.count(("list_referrals", "referrals")) == 3
    assert ("read_referral_events", f"referrals:{referral_id} candidates:c1") in actions


def test_the_demo_accounts_scope_is_the_busiest_prefecture_and_its_busiest_employer(
    store: Store, world: IdempotentRequest
) -> None:
    with request_session(store) as session:
        assert Candidates(store, session, actor="t").busiest_region(4) == "4301"  # a tie
        Candidates(store, session, actor="t").register(candidate("c3", region_code="430203"))
        assert Candidates(store, session, actor="t").busiest_region(4) == "4302"
        assert Jobs(store, session, actor="t").busiest_employer("4301") == EMPLOYER.id
        assert Jobs(store, session, actor="t").busiest_employer("11") is None
