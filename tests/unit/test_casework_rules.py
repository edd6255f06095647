"""The pure casework rules: 一人一策 eligibility and "不就业、不脱钩" (matching.cases), skill
gaps, course suggestions, training demand and the 1‰ / 2‰ / 6.5‰ targets (matching.courses),
assessment coverage (matching.employment); and assessments and completions in the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from matching.cases import CaseRefused, approve_exit, check_eligible, close
from matching.casework import Assessment, Case, CaseKind, CloseReason, Course
from matching.courses import (
    SkillGap,
    TrainingProgress,
    age_band,
    demand_by,
    skill_gaps,
    suggest_courses,
    training_target_share,
)
from matching.domain import Candidate
from matching.employment import coverage
from matching.interchange import import_directory
from matching.settings import Settings
from matching.store import Store
from matching.store.casework import (
    CourseFull,
    complete,
    enrol,
    record_assessment,
)
from matching.store.tables import CandidateRow
from matching.vocabulary import Dimension
from tests.records import candidate
from tests.world import write_world

DAY = dt.date(2025, 6, 1)


def case(**fields: object) -> Case:
    base = {
        "id": "k1",
        "candidate_id": "c2",
        "kind": "graduate",
        "counselor": "王老师",
        "opened_on": "2025-05-01",
    }
    return Case.model_validate(base | fields)


# -- 一人一策 cases --------------------------------------------------------------------------------


def test_who_gets_a_case() -> None:
    check_eligible(candidate("g", education="bachelor", graduation_year=2025), CaseKind.GRADUATE)
    with pytest.raises(CaseRefused, match="not a college graduate"):
        check_eligible(candidate("s", education="senior_high"), CaseKind.GRADUATE)
    check_eligible(candidate("h", priority_groups=["hard_to_employ"]), CaseKind.HARD_TO_EMPLOY)
    with pytest.raises(CaseRefused, match="not marked hard_to_employ"):
        check_eligible(candidate("n"), CaseKind.HARD_TO_EMPLOY)


def test_no_job_no_let_go() -> None:
    with pytest.raises(CaseRefused, match="不就业、不脱钩") as refused:
        close(case(), CloseReason.EMPLOYED, employed=False, by="王老师", on=DAY)
    assert refused.value.code == "not_employed"
    closed = close(case(), CloseReason.EMPLOYED, employed=True, by="王老师", on=DAY)
    assert (closed.closed_on, closed.close_reason, closed.is_open) == (DAY, "employed", False)
    with pytest.raises(CaseRefused, match="was closed"):
        close(closed, CloseReason.MOVED_AWAY, employed=False, by="王老师", on=DAY)


@pytest.mark.parametrize("reason", ["further_study", "moved_away", "died"])
def test_an_exit_without_a_job_needs_a_manager(reason: str) -> None:
    asked = close(case(), CloseReason(reason), employed=False, by="王老师", on=DAY)
    # Recorded, but still open until a manager approves.
    assert asked.is_open and asked.close_reason == reason and asked.close_requested_by == "王老师"
    approved = approve_exit(asked, manager="李科长", on=DAY)
    assert (approved.closed_on, approved.approved_by) == (DAY, "李科长")
    with pytest.raises(CaseRefused, match="no exit reason"):
        approve_exit(case(), manager="李科长", on=DAY)
    with pytest.raises(ValueError, match="needs a manager"):
        case(close_reason=reason, closed_on="2025-06-01")


# -- skill gaps and courses ------------------------------------------------------------------------


def test_skill_gaps_count_the_jobs_asking_in_canonical_form() -> None:
    # The person has 客服 (= 客户服务). Jobs, best first:
    #   A: 客户服务, 打字, 电子表格     → lacks 文字录入 (打字), 电子表格
    #   B: Excel, 电子表格, 在线客服   → lacks 电子表格 (once: Excel is the same skill), 在线客服
    #   C: 文字录入                    → lacks 文字录入
    # 文字录入: A, C = 2; 电子表格: A, B = 2; 在线客服: B = 1. Ties in first-named order:
    # 打字 (A's first gap) before 电子表格.
    gaps = skill_gaps(
        ["客服"],
        [["客户服务", "打字", "电子表格"], ["Excel", "电子表格", "在线客服"], ["文字录入"]],
    )
    assert gaps == [SkillGap("打字", 2), SkillGap("电子表格", 2), SkillGap("在线客服", 1)]
    assert skill_gaps(["Excel"], [["电子表格"]]) == []


def course(course_id: str, skills: list[str], **fields: object) -> Course:
    base = {
        "id": course_id,
        "name": f"课程{course_id}",
        "skills": skills,
        "provider": "长沙市残联",
        "starts_on": "2025-07-01",
        "ends_on": "2025-08-31",
        "places": 20,
        "region_code": "430104",
        "form": "on_site",
    }
    return Course.model_validate(base | fields)


def test_courses_are_suggested_for_the_gaps_they_teach() -> None:
    gaps = [SkillGap("打字", 2), SkillGap("电子表格", 2), SkillGap("在线客服", 1)]
    courses = [
        course("typing", ["文字录入"]),  # 2 jobs' worth
        course("office", ["Excel", "打字"]),  # 电子表格 2 + 文字录入 2 = 4
        course("cs", ["在线客服"], form="remote", region_code="440106"),  # 1, remote: anywhere
        course("far", ["电子表格"], region_code="440106"),  # on site in Guangzhou: not offered
        course("ended", ["电子表格"], ends_on="2025-05-31", starts_on="2025-05-01"),
        course("full", ["电子表格", "文字录入"]),  # no place left
        course("other", ["推拿"]),  # teaches no gap
    ]
    found = suggest_courses(gaps, courses, region_code="430103", on=DAY, places_left={"full": 0})
    # 430103 and 430104 are both in 长沙 (4301).
    assert [(s.course.id, s.teaches, s.score) for s in found] == [
        ("office", ["电子表格", "打字"], 4),
        ("typing", ["打字"], 2),
        ("cs", ["在线客服"], 1),
    ]
    assert len(suggest_courses(gaps, courses, region_code="430103", on=DAY, k=1)) == 1


def test_training_targets_by_area_level() -> None:
    settings = Settings()
    assert training_target_share("43", settings) == 0.001  # province 1‰
    assert training_target_share("4301", settings) == 0.002  # city 2‰
    assert training_target_share("430104", settings) == 0.0065  # county 6.5‰
    with pytest.raises(ValueError, match="province"):
        training_target_share("430", settings)
    # A county with 1,000 working-age disabled people: 6.5‰ of 1,000 = 6.5 → 7 people.
    assert TrainingProgress("430104", 2025, 1000, 6, 0.0065).required == 7
    assert not TrainingProgress("430104", 2025, 1000, 6, 0.0065).met
    assert TrainingProgress("430104", 2025, 1000, 7, 0.0065).met
    # A city with 2,000: 2‰ = exactly 4 (not rounded up to 5).
    assert TrainingProgress("4301", 2025, 2000, 4, 0.002).required == 4
    # A county with 2 people: 0.013 → 1 person; with none, nothing is required.
    assert TrainingProgress("430104", 2025, 2, 0, 0.0065).required == 1
    assert TrainingProgress("430104", 2025, 0, 0, 0.0065).required == 0
    assert TrainingProgress("430104", 2025, 0, 0, 0.0065).share is None


def test_training_demand_by_category_grade_sex_age_and_education() -> None:
    assert [age_band(a) for a in (16, 24, 25, 44, 59, 60, 15, None)] == [
        "16-24",
        "16-24",
        "25-34",
        "35-44",
        "55-59",
        "other",
        "other",
        "unknown",
    ]
    demand = demand_by(
        [
            {
                "category": "visual",
                "grade": "2",
                "sex": "M",
                "age_band": "25-34",
                "education": "bachelor",
            },
            {"category": "visual", "grade": "1", "sex": "F", "age_band": "25-34"},
            {
                "category": "hearing",
                "grade": "2",
                "sex": "F",
                "age_band": "16-24",
                "education": "bachelor",
            },
        ]
    )
    assert demand == {
        "category": {"hearing": 1, "visual": 2},
        "grade": {"1": 1, "2": 2},
        "sex": {"F": 2, "M": 1},
        "age_band": {"16-24": 1, "25-34": 2},
        "education": {"bachelor": 2, "unknown": 1},
    }


def test_assessment_coverage() -> None:
    # 4 registered unemployed, 3 assessed people of whom 2 among them: 2 / 4 = 0.5.
    assert coverage(["a", "b", "c", "d"], ["a", "b", "z"]) == 0.5
    assert coverage([], ["a"]) is None


# -- in the store ----------------------------------------------------------------------------------


def _person(store: Store, candidate_id: str) -> Candidate:
    with store.session() as session:
        record = store.to_record("candidates", session.get(CandidateRow, candidate_id))
    assert isinstance(record, Candidate)
    return record


def assessment(assessment_id: str, on: str, capacities: dict[str, int]) -> Assessment:
    return Assessment.model_validate(
        {
            "id": assessment_id,
            "candidate_id": "c1",
            "assessed_on": on,
            "assessor": "赵评估师",
            "capacities": capacities,
            "recommendations": "视力一级，建议读屏软件培训",
        }
    )


def test_the_latest_assessment_sets_the_capacities(store: Store, tmp_path: Path) -> None:
    assert import_directory(store, write_world(tmp_path / "w")).ok
    # c1: visual grade 2 → default vision 0, every other dimension 3.
    with store.session() as session:
        assert record_assessment(
            store, session, _person(store, "c1"), assessment("a2", "2025-05-01", {"vision": 1})
        )
    with store.session() as session:
        row = session.get(CandidateRow, "c1")
        assert row is not None
        effective = store.matching_profile(row.profile)["effective"]
        assert effective["vision"] == 1 and effective["hearing"] == 3
        # An older assessment is history: it changes nothing.
        assert not record_assessment(
            store, session, _person(store, "c1"), assessment("a1", "2024-05-01", {"vision": 0})
        )
    assert _person(store, "c1").capacities == {Dimension.VISION: 1}
    with store.engine.connect() as connection:
        dumped = str(connection.exec_driver_sql("SELECT * FROM assessments").all())
    assert "视力" not in dumped and '"vision"' not in dumped


def test_a_completion_adds_the_skills_and_the_training(store: Store, tmp_path: Path) -> None:
    assert import_directory(store, write_world(tmp_path / "w")).ok
    office = course("office", ["Excel", "打字"], places=1)
    with store.session() as session:
        store.upsert(session, "courses", [office])
        place = enrol(store, session, office, "c2", on=DAY)
        with pytest.raises(CourseFull, match="1 places"):
            enrol(store, session, office, "c1", on=DAY)
        done, person = complete(store, session, place, office, _person(store, "c2"), on=DAY)
    assert done.state == "completed" and done.completed_on == DAY
    assert person.skills == ["客户服务", "Excel", "打字"]
    assert [(t.name, t.year) for t in person.trainings] == [("课程office", 2025)]
    assert _person(store, "c2").skills == ["客户服务", "Excel", "打字"]
