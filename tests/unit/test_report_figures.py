"""Real-name report figures counted by hand on a small world (in the comments): the quarter,
the region prefixes, the periods and the training target levels."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from matching.casework import Enrolment
from matching.domain import Candidate, Employer, Job, RecruitmentEvent, Referral
from matching.employment import StatusEntry
from matching.reports import (
    Assessed,
    Period,
    ReportData,
    build_report,
)
from matching.settings import Settings
from tests.world import CANDIDATES, EMPLOYERS, JOBS


def _referral(rid: str, person: str, job: str, on: str, outcome: str, at: str | None = None):
    return {
        "id": rid,
        "candidate_id": person,
        "job_id": job,
        "referred_at": on,
        "outcome": outcome,
        "outcome_at": at,
    }


def status_record(eid: str, person: str, status: str, since: str, form: str | None = None):
    return {
        "id": eid,
        "candidate_id": person,
        "status": status,
        "since": since,
        "form": form,
        "recorded_by": "王老师",
        "recorded_at": f"{since}T09:00:00Z",
    }


def hand_files() -> dict[str, list[dict[str, Any]]]:
    """tests/world.py (j1 a public-welfare post, j2 home-based), people of every kind the
    counting rules tell apart, referrals, a ledger, assessments and trainings over 2025."""
    people = [dict(c) for c in CANDIDATES]
    people[1]["trainings"] = [{"name": "网店客服", "year": 2025}]
    people += [
        {"id": "c4", "region_code": "110101", "registered_at": "2025-02-01"},
        # 57 in 2025: past a woman's working age (54), within a man's (59)
        {
            "id": "c5",
            "sex": "F",
            "birth_year": 1968,
            "disability_category": "physical",
            "region_code": "430105",
            "registered_at": "2024-03-01",
        },
        {
            "id": "c6",
            "sex": "M",
            "birth_year": 1968,
            "disability_category": "physical",
            "disability_grade": 3,
            "region_code": "430111",
            "registered_at": "2025-01-10",
            "trainings": [{"name": "电商运营", "year": 2025}],
        },
        # no disability category recorded: counted as registered, not in the training base
        {
            "id": "c7",
            "sex": "M",
            "birth_year": 2000,
            "region_code": "430104",
            "registered_at": "2025-03-01",
        },
    ]
    return {
        "employers": EMPLOYERS,
        "jobs": JOBS,
        "candidates": people,
        "referrals": [
            _referral("r1", "c1", "j1", "2025-03-10", "hired", "2025-03-20"),
            _referral("r2", "c2", "j2", "2025-06-01", "pending"),
            _referral("r3", "c3", "j2", "2025-04-02", "interviewed", "2025-04-10"),
            _referral("r4", "c3", "j1", "2025-05-05", "hired", "2025-05-20"),
            _referral("r5", "c2", "j1", "2025-04-15", "rejected", "2025-04-20"),
            _referral("r6", "c1", "j2", "2025-05-01", "left_early", "2025-06-10"),
            _referral("r7", "c4", "j2", "2025-04-03", "hired", "2025-04-08"),
        ],
        "events": [
            {
                "id": "ev1",
                "name": "助残日专场",
                "kind": "disability_day",
                "region_code": "430100",
                "starts_on": "2025-05-18",
                "ends_on": "2025-05-18",
                "job_ids": ["j1", "j2"],
                "attendee_ids": ["c2", "c3"],
            }
        ],
        "employment": [
            status_record("em1", "c1", "employed", "2025-03-20", "public_welfare"),
            status_record("em2", "c1", "employed", "2025-06-12", "home_based"),  # a change of job
            status_record("em3", "c2", "unemployed", "2025-05-20"),
            status_record("em4", "c2", "employed", "2025-06-15", "home_based"),
            status_record("em5", "c6", "employed", "2024-11-01", "quota"),
            status_record("em6", "c6", "unemployed", "2025-04-10"),
            status_record("em7", "c6", "employed", "2025-07-05", "quota"),  # after the quarter
            status_record("em8", "c5", "employed", "2025-05-01", "concentrated"),
        ],
        "assessments": [
            {
                "id": f"as{n}",
                "candidate_id": person,
                "assessed_on": day,
                "assessor": "赵评估师",
                "capacities": {"mobility": 1},
            }
            for n, (person, day) in enumerate(
                [("c6", "2025-04-20"), ("c1", "2025-02-01"), ("c7", "2025-07-01")], 1
            )
        ],
        "courses": [
            {
                "id": "co1",
                "name": "电商运营",
                "skills": ["网店运营"],
                "provider": "长沙市残联",
                "starts_on": "2025-01-06",
                "ends_on": "2025-05-10",
                "places": 20,
                "region_code": "430100",
                "form": "on_site",
            }
        ],
        "enrolments": [
            {
                "id": "en1",
                "course_id": "co1",
                "candidate_id": "c6",
                "enrolled_on": "2025-01-06",
                "state": "completed",
                "completed_on": "2025-05-10",
            },
            {
                "id": "en2",
                "course_id": "co1",
                "candidate_id": "c1",
                "enrolled_on": "2025-01-06",
                "state": "completed",
                "completed_on": "2025-02-01",
            },
            {"id": "en3", "course_id": "co1", "candidate_id": "c2", "enrolled_on": "2025-05-21"},
        ],
    }


def hand_world() -> ReportData:
    files = hand_files()
    return ReportData(
        employers=[Employer.model_validate(e) for e in files["employers"]],
        jobs=[Job.model_validate(j) for j in files["jobs"]],
        candidates=[Candidate.model_validate(p) for p in files["candidates"]],
        referrals=[Referral.model_validate(r) for r in files["referrals"]],
        events=[RecruitmentEvent.model_validate(e) for e in files["events"]],
        employment=[StatusEntry.model_validate(e) for e in files["employment"]],
        assessments=[Assessed.model_validate(a) for a in files["assessments"]],
        enrolments=[Enrolment.model_validate(e) for e in files["enrolments"]],
        disabled={p["id"] for p in files["candidates"] if p.get("disability_category")},
    )


TARGETS = Settings(annual_targets={"new_employment": 4})


def test_quarterly_figures_match_a_hand_count() -> None:
    report = build_report(hand_world(), Period.quarterly(2025, 2), TARGETS, region_prefix="43")
    assert (report.period_start, report.period_end) == (dt.date(2025, 4, 1), dt.date(2025, 6, 30))
    registered = report.section("registered")
    # c1, c2, c3, c5, c6, c7 registered by 30 June (c4 is in Beijing); only c2 (20 May) within
    # the quarter; of working age in 2025: c1 (35), c2 (24), c6 (57, a man), c7 (25); not c3
    # (no birth year) nor c5 (57, a woman)
    assert [registered.value(m) for m in ("registered", "new_registrations", "working_age")] == [
        6,
        1,
        4,
    ]
    employment = report.section("employment")
    # on 30 June: c1 employed (home-based since 12 June), c2 employed (home-based since 15 June),
    # c6 unemployed (since 10 April; em7 is July's), c7 nothing recorded: unemployed; c5's
    # record does not count (not of working age)
    assert employment.value("employed") == 2
    assert employment.value("employed", "home_based") == 2
    assert employment.value("employed", "public_welfare") == 0
    assert employment.value("status", "unemployed") == 2
    assert employment.value("status", "not_seeking") == 0
    # new within the quarter: c2 (15 June); c1's 12 June job follows another one
    assert employment.value("new_employment") == 1
    referrals = report.section("referrals")
    # made April-June by Hunan people: r2, r3, r4, r5, r6; interviewed r3, r4, r6; hired r4, r6
    assert [referrals.value(m) for m in ("referrals", "interviewed", "hired", "pending")] == [
        5,
        3,
        2,
        1,
    ]
    assert referrals.value("interview_rate") == 0.6 and referrals.value("hire_rate") == 0.4
    assert referrals.value("hire_per_interview") == pytest.approx(2 / 3, abs=1e-6)
    graduates = report.section("graduates")
    # c2, bachelor of 2025, employed on 15 June: 1 of 1 against 60%
    assert [graduates.value(m) for m in ("graduates", "employed", "employment_rate")] == [1, 1, 1]
    assert (graduates.value("target"), graduates.value("meets_target")) == (0.6, 1)
    assessments = report.section("assessments")
    # working-age unemployed on 30 June: c6 (assessed 20 April) and c7 (only on 1 July)
    assert [assessments.value(m) for m in ("registered_unemployed", "assessed", "coverage")] == [
        2,
        1,
        0.5,
    ]
    assert assessments.value("assessments") == 1  # as1; as2 is in Q1, as3 in Q3
    trainings = report.section("trainings")
    # a 2025 training on record: c2 and c6 (c1's is from 2023); course completed in Q2: c6
    assert (trainings.value("trained"), trainings.value("completed_courses")) == (2, 1)
    # the province's base: working age with a category: c1, c2, c6; trained c2, c6;
    # 1‰ of 3 is 0.003, so one person
    assert [
        trainings.value(m)
        for m in ("working_age_disabled", "trained_working_age_disabled", "required", "met")
    ] == [3, 2, 1, 1]
    assert trainings.value("target_share") == 0.001
    quota = report.section("quota")
    # e1: 120 x 1.5% = 1.8 required, 1 counted; e2: 11 counted of 6: one of two complies; no
    # wage standards, so e1's fund is unknown rather than 0
    assert [quota.value(m) for m in ("employers", "compliant", "compliance_rate")] == [2, 1, 0.5]
    assert quota.value("fund_unknown") == 1 and quota.value("gap") == pytest.approx(0.8)
    assert quota.value("compliant", "type:private") == 1
    assert quota.value("below_ratio", "region:430100") == 1
    events = report.section("events")
    # ev1 (18 May): of c2's and c3's referrals to j1/j2 from 18 May to 17 June, only r2
    assert events.value("events") == 1 and events.value("attendees", "ev1") == 2
    assert (events.value("referrals", "ev1"), events.value("hired", "ev1")) == (1, 0)
    targets = report.section("targets")
    # year to date: new employment of c1 (20 March) and c2 (15 June): 2 of 4; 181 of 365 days
    assert targets.value("achieved", "new_employment") == 2
    assert targets.value("progress", "new_employment") == 0.5
    assert targets.value("year_elapsed") == pytest.approx(181 / 365, abs=1e-6)


def test_region_prefix_period_and_training_levels() -> None:
    world = hand_world()
    beijing = build_report(world, Period.quarterly(2025, 2), TARGETS, region_prefix="11")
    assert beijing.section("registered").value("registered") == 1
    # c4 has no birth year and no ledger: not of working age, so no employment counted
    assert beijing.section("employment").value("new_employment") == 0
    assert beijing.section("quota").value("employers") == 0
    first = build_report(world, Period.quarterly(2025, 1), TARGETS, region_prefix="43")
    # c2 had not registered by 31 March: no graduate yet, and no rate rather than 0
    assert first.section("graduates").value("graduates") == 0
    assert first.section("graduates").value("employment_rate") is None
    assert first.section("employment").value("new_employment") == 1  # c1, 20 March
    assert first.section("trainings").value("completed_courses") == 1  # en2, 1 February
    year = build_report(world, Period.annual(2025), TARGETS)
    # the whole year, everyone: c1 (March), c2 (June), c6 (July, unemployed since April)
    assert year.section("employment").value("new_employment") == 3
    assert year.section("employment").value("employed", "quota") == 1
    assert year.section("targets").value("achieved", "new_employment") == 3
    # no region: no training target (it is set for a province, city or county)
    assert "trained_working_age_disabled" not in {
        f.measure for f in year.section("trainings").figures
    }
    county = build_report(world, Period.annual(2025), TARGETS, region_prefix="430111")
    # c6 alone, trained: 6.5‰ of 1 is one person, met
    trainings = county.section("trainings")
    assert [trainings.value(m) for m in ("target_share", "required", "met")] == [0.0065, 1, 1]
