"""The interchange records: each kind of invalid record gets its own clear (field, reason)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from matching.domain import Candidate, Employer, Job, Record, Referral, describe_errors
from matching.identity import id_check_character

TODAY = dt.date.today()
TOMORROW = (TODAY + dt.timedelta(days=1)).isoformat()


def valid_id(first17: str) -> str:
    return first17 + id_check_character(first17)


# Changsha Furong 430102, born 1995-06-15, sequence 002 (even: a woman).
ID_NUMBER = valid_id("43010219950615002")
WRONG_CHECK = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
OTHER_ID = valid_id("43010219950615004")
CERT = ID_NUMBER + "12"  # visual (1), grade 2

# Field order of INTERCHANGE.md, copied from the contract text.
EMPLOYER_FIELDS = [
    "id", "name", "type", "region_code", "staff_count", "establishment_size", "disabled_staff",
    "disabled_staff_severe", "avg_annual_wage",
]  # fmt: skip
JOB_FIELDS = [
    "id", "employer_id", "title", "description", "occupation", "skills",
    "certificates_required", "education_min", "region_code", "work_mode", "remote_ok",
    "salary_min", "salary_max", "openings", "demands", "accommodations", "public_welfare",
    "posted_at", "closes_at",
]  # fmt: skip
CANDIDATE_FIELDS = [
    "id", "name", "id_number", "cert_number", "sex", "birth_year", "disability_category",
    "disability_grade", "education", "graduation_year", "school", "region_code", "household",
    "skills", "certificates", "trainings", "work_modes", "expected_salary", "needs",
    "capacities", "priority_groups", "summary", "registered_at",
]  # fmt: skip
REFERRAL_FIELDS = ["id", "candidate_id", "job_id", "referred_at", "outcome", "outcome_at"]
REQUIRED = {
    Employer: {"id", "name", "type", "region_code"},
    Job: {"id", "employer_id", "title", "region_code", "work_mode", "posted_at"},
    Candidate: {"id", "region_code", "registered_at"},
    Referral: {"id", "candidate_id", "job_id", "referred_at", "outcome"},
}

EMPLOYER: dict[str, Any] = {
    "id": "e1",
    "name": "长沙市某局",
    "type": "agency",
    "region_code": "430102",
    "staff_count": 200,
    "establishment_size": 80,
    "disabled_staff": 3,
    "disabled_staff_severe": 1,
    "avg_annual_wage": 96000.0,
}
JOB: dict[str, Any] = {
    "id": "j1",
    "employer_id": "e1",
    "title": "电商客服",
    "description": "在家接待网店顾客咨询",
    "occupation": "客户服务管理员",
    "skills": ["打字", "普通话"],
    "certificates_required": ["职业技能等级证书"],
    "education_min": "junior_high",
    "region_code": "430102",
    "work_mode": "home_based",
    "remote_ok": True,
    "salary_min": 2500.0,
    "salary_max": 4000.0,
    "openings": 3,
    "demands": {"vision": 2, "hearing": 1},
    "accommodations": ["screen_reader", "remote"],
    "public_welfare": False,
    "posted_at": "2024-05-01",
    "closes_at": "2024-06-30",
}
CANDIDATE: dict[str, Any] = {
    "id": "c1",
    "name": "李梅",
    "id_number": ID_NUMBER,
    "cert_number": CERT,
    "sex": "F",
    "birth_year": 1995,
    "disability_category": "visual",
    "disability_grade": 2,
    "education": "junior_college",
    "graduation_year": 2016,
    "school": "长沙特殊教育职业学院",
    "region_code": "430102",
    "household": "rural",
    "skills": ["盲文", "推拿"],
    "certificates": ["盲人医疗按摩人员资格证"],
    "trainings": [{"name": "电商客服", "year": 2023}],
    "work_modes": ["massage", "home_based"],
    "expected_salary": 3000.0,
    "needs": ["screen_reader"],
    "capacities": {"vision": 0, "mobility": 3},
    "priority_groups": ["graduate", "rural"],
    "summary": "读屏软件熟练",
    "registered_at": "2024-03-01",
}
REFERRAL: dict[str, Any] = {
    "id": "r1",
    "candidate_id": "c1",
    "job_id": "j1",
    "referred_at": "2024-05-10",
    "outcome": "hired",
    "outcome_at": "2024-05-20",
}
BASES: dict[type[Record], dict[str, Any]] = {
    Employer: EMPLOYER,
    Job: JOB,
    Candidate: CANDIDATE,
    Referral: REFERRAL,
}
DROP = object()  # a change that removes the field


def problems(model: type[BaseModel], base: dict[str, Any], **changes: Any) -> list[tuple[str, str]]:
    record = {**base, **changes}
    record = {key: value for key, value in record.items() if value is not DROP}
    try:
        model.model_validate(record)
    except ValidationError as error:
        return describe_errors(error)
    return []


def test_the_base_records_are_valid() -> None:
    for model, base in BASES.items():
        assert problems(model, base) == [], model.__name__


# Each case: the record kind, the change, and the one (field, reason) it must produce.
INVALID = [
    # --- identity numbers and certificates ---
    (Candidate, {"id_number": WRONG_CHECK}, "id_number", "check character is"),
    (Candidate, {"id_number": ID_NUMBER[:17]}, "id_number", "must be 18 characters, got 17"),
    (
        Candidate,
        {"id_number": "430102199502300021"},
        "id_number",
        "birth date 19950230 is not a real date",
    ),
    (
        Candidate,
        {"disability_category": "hearing"},
        "cert_number",
        "category digit 1 (visual) disagrees with disability_category hearing",
    ),
    (
        Candidate,
        {"disability_grade": 3},
        "cert_number",
        "grade digit 2 disagrees with disability_grade 3",
    ),
    (
        Candidate,
        {"cert_number": OTHER_ID + "12"},
        "cert_number",
        "does not start with the person's ID number",
    ),
    (Candidate, {"cert_number": ID_NUMBER + "82"}, "cert_number", "category digit 8 is not 1-7"),
    (Candidate, {"cert_number": ID_NUMBER + "15"}, "cert_number", "grade digit 5 is not 1-4"),
    (Candidate, {"cert_number": ID_NUMBER}, "cert_number", "must be 20 characters"),
    (
        Candidate,
        {"cert_number": WRONG_CHECK + "12", "id_number": None},
        "cert_number",
        "its first 18 characters are not a valid ID number: check character is",
    ),
    (
        Candidate,
        {"disability_category": None, "disability_grade": None},
        "disability_category",
        "missing, but the certificate says visual",
    ),
    (
        Candidate,
        {"cert_number": None, "disability_category": None},
        "disability_grade",
        "a grade needs a disability_category",
    ),
    (
        Candidate,
        {"birth_year": 1996},
        "birth_year",
        "1996 disagrees with the ID number (born 1995)",
    ),
    (Candidate, {"sex": "M"}, "sex", "M disagrees with the ID number"),
    # --- region codes, on every record that has one ---
    *(
        (model, {"region_code": code}, "region_code", reason)
        for model in (Employer, Job, Candidate)
        for code, reason in [
            ("4301", "must be a 6-digit administrative division code"),
            ("43010a", "must be a 6-digit administrative division code"),
            ("990102", "99 is not a province code"),
        ]
    ),
    # --- money, counts and dates ---
    (Job, {"salary_min": 5000, "salary_max": 3000}, "salary_min", "5000 is above salary_max"),
    (Job, {"salary_min": -1}, "salary_min", "-1 must be at least 0"),
    (Job, {"openings": 0}, "openings", "0 must be at least 1"),
    (Job, {"posted_at": TOMORROW, "closes_at": None}, "posted_at", f"{TOMORROW} is in the future"),
    (Job, {"closes_at": "2024-04-30"}, "closes_at", "is before posted_at"),
    (Job, {"posted_at": "2024/05/01"}, "posted_at", "must be a date like 2024-05-01"),
    (Candidate, {"registered_at": TOMORROW}, "registered_at", f"{TOMORROW} is in the future"),
    (Candidate, {"graduation_year": 2001}, "graduation_year", "is less than 10 years after"),
    (
        Candidate,
        {"trainings": [{"name": "电商客服", "year": TODAY.year + 1}]},
        "trainings.0.year",
        f"{TODAY.year + 1} is in the future",
    ),
    (Candidate, {"expected_salary": "面议"}, "expected_salary", "must be a number"),
    (Referral, {"referred_at": TOMORROW, "outcome_at": None}, "referred_at", "is in the future"),
    (Referral, {"outcome_at": TOMORROW}, "outcome_at", f"{TOMORROW} is in the future"),
    (Referral, {"outcome_at": "2024-05-09"}, "outcome_at", "is before referred_at"),
    (
        Employer,
        {"disabled_staff_severe": 4},
        "disabled_staff_severe",
        "cannot exceed disabled_staff",
    ),
    (Employer, {"disabled_staff": 201}, "disabled_staff", "cannot exceed staff_count"),
    (Employer, {"staff_count": -1}, "staff_count", "-1 must be at least 0"),
    (Employer, {"staff_count": 2.5}, "staff_count", "must be a whole number"),
    (Employer, {"avg_annual_wage": "high"}, "avg_annual_wage", "must be a number"),
    # --- vocabularies ---
    (Employer, {"type": "bank"}, "type", "'bank' is not one of 'agency'"),
    (Job, {"work_mode": "remote"}, "work_mode", "'remote' is not one of 'quota'"),
    (Job, {"education_min": "phd"}, "education_min", "'phd' is not one of 'none'"),
    (Job, {"accommodations": ["ramp"]}, "accommodations.0", "'ramp' is not one of"),
    (Job, {"demands": {"strength": 2}}, "demands.strength", "'strength' is not one of 'vision'"),
    (Candidate, {"sex": "X"}, "sex", "'X' is not one of 'M' or 'F'"),
    (Candidate, {"disability_category": "deaf"}, "disability_category", "'deaf' is not one of"),
    (Candidate, {"household": "town"}, "household", "'town' is not one of 'urban' or 'rural'"),
    (Candidate, {"education": "phd"}, "education", "'phd' is not one of"),
    (Candidate, {"work_modes": ["online"]}, "work_modes.0", "'online' is not one of"),
    (Candidate, {"needs": ["ramp"]}, "needs.0", "'ramp' is not one of 'wheelchair_access'"),
    (Candidate, {"priority_groups": ["veteran"]}, "priority_groups.0", "'veteran' is not one of"),
    (Candidate, {"capacities": {"strength": 1}}, "capacities.strength", "'strength' is not one"),
    (Referral, {"outcome": "won"}, "outcome", "'won' is not one of 'pending'"),
    # --- levels out of 0..3 ---
    (Candidate, {"capacities": {"vision": 4}}, "capacities.vision", "4 must be at most 3"),
    (Candidate, {"capacities": {"vision": -1}}, "capacities.vision", "-1 must be at least 0"),
    (Job, {"demands": {"hearing": 7}}, "demands.hearing", "7 must be at most 3"),
    (Candidate, {"disability_grade": 5, "cert_number": None}, "disability_grade", "at most 4"),
    # --- required and empty fields ---
    *(
        (model, {field: DROP}, field, "is required")
        for model, fields in REQUIRED.items()
        for field in sorted(fields)
    ),  # fmt: skip
    (Employer, {"name": ""}, "name", "must not be empty"),
    (Job, {"title": ""}, "title", "must not be empty"),
    (Candidate, {"phone": "call me"}, "phone", "'call me' has the wrong format"),
]


@pytest.mark.parametrize(
    ("model", "changes", "field", "reason"),
    INVALID,
    ids=[f"{m.__name__}-{f}-{i}" for i, (m, _, f, _) in enumerate(INVALID)],
)
def test_each_invalid_record_gives_its_own_clear_reason(
    model: type[Record], changes: dict[str, Any], field: str, reason: str
) -> None:
    found = problems(model, BASES[model], **changes)
    assert len(found) == 1, found
    assert found[0][0] == field
    assert reason in found[0][1], found


def test_several_problems_are_all_reported() -> None:
    found = problems(
        Candidate, CANDIDATE, region_code="990102", registered_at=TOMORROW, sex="X", needs=["ramp"]
    )
    assert {field for field, _ in found} == {"region_code", "registered_at", "sex", "needs.0"}


def test_a_year_of_today_and_a_date_of_today_are_not_in_the_future() -> None:
    assert problems(Candidate, CANDIDATE, registered_at=TODAY.isoformat()) == []
    assert problems(Referral, REFERRAL, outcome_at=TODAY.isoformat()) == []


def test_identifiers_are_normalised() -> None:
    # the same person, typed with a lowercase x and stray spaces
    specimen = "11010519491231002x"
    candidate = Candidate.model_validate(
        {
            **CANDIDATE,
            "id_number": f" {specimen} ",
            "cert_number": specimen + "12",
            "birth_year": 1949,
            "graduation_year": 1972,
        }
    )
    assert candidate.id_number == "11010519491231002X"
    assert candidate.cert_number == "11010519491231002X12"


def test_a_certificate_without_a_grade_takes_nothing_for_granted() -> None:
    # the certificate's grade is not copied into a null disability_grade: nothing is guessed
    candidate = Candidate.model_validate({**CANDIDATE, "disability_grade": None})
    assert candidate.disability_grade is None


def test_assignment_is_validated_too() -> None:
    job = Job.model_validate(JOB)
    with pytest.raises(ValidationError) as caught:
        job.salary_min = 9000
    assert describe_errors(caught.value) == [("salary_min", "9000 is above salary_max")]


# --- unknown fields, nulls, export ------------------------------------------------------


@pytest.mark.parametrize("model", list(BASES))
def test_unknown_fields_are_ignored(model: type[Record]) -> None:
    record = model.model_validate({**BASES[model], "备注": "x", "colour": "red", "id_hash": 1})
    assert set(record.to_interchange()) == set(BASES[model])
    assert record == model.model_validate(BASES[model])


@pytest.mark.parametrize("model", list(BASES))
def test_every_optional_field_accepts_null(model: type[Record]) -> None:
    base = BASES[model]
    record = {key: (value if key in REQUIRED[model] else None) for key, value in base.items()}
    assert problems(model, record) == []
    assert set(model.model_validate(record).to_interchange()) <= REQUIRED[model] | {
        "remote_ok",  # a null boolean is false, and false is kept: it is not empty
        "public_welfare",
        "openings",  # null openings is the default 1
    }


def test_nulls_take_the_documented_defaults() -> None:
    nulls = {"remote_ok": None, "public_welfare": None, "openings": None, "demands": None}
    job = Job.model_validate({**JOB, **nulls, "skills": None, "accommodations": None})
    assert (job.remote_ok, job.public_welfare, job.openings, job.demands) == (False, False, 1, {})
    assert job.skills == [] and job.accommodations == []


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Employer, EMPLOYER_FIELDS),
        (Job, JOB_FIELDS),
        (Candidate, CANDIDATE_FIELDS),
        (Referral, REFERRAL_FIELDS),
    ],
)
def test_to_interchange_keeps_contract_order_and_round_trips(
    model: type[Record], fields: list[str]
) -> None:
    base = BASES[model]
    # the base record fills every contract field; feed it in reverse order
    assert set(base) == set(fields)
    record = model.model_validate(dict(reversed(list(base.items()))))
    line = record.to_interchange()
    assert list(line) == fields
    assert model.model_validate(line) == record
    assert model.model_validate(line).to_interchange() == line


def test_to_interchange_drops_nulls_and_empties_but_keeps_false_and_zero() -> None:
    job = Job.model_validate(
        {
            **JOB,
            "description": None,
            "skills": [],
            "certificates_required": ["  ", ""],  # blanks only: empty after trimming
            "demands": {},
            "accommodations": None,
            "remote_ok": False,
            "salary_min": 0,
        }
    )
    line = job.to_interchange()
    for dropped in ("description", "skills", "certificates_required", "demands", "accommodations"):
        assert dropped not in line
    assert line["remote_ok"] is False
    assert line["salary_min"] == 0
    employer = Employer.model_validate(
        {**EMPLOYER, "disabled_staff": 0, "disabled_staff_severe": 0}
    )
    assert employer.to_interchange()["disabled_staff"] == 0


def test_lists_are_trimmed_and_deduplicated_in_order() -> None:
    candidate = Candidate.model_validate(
        {**CANDIDATE, "skills": [" 推拿 ", "盲文", "推拿"], "needs": ["braille", "braille"]}
    )
    assert candidate.skills == ["推拿", "盲文"]
    assert [n.value for n in candidate.needs] == ["braille"]


# --- defects found while writing these tests (they fail until domain.py is fixed) --------


def test_blank_text_reads_as_empty() -> None:
    # BUG: a whitespace-only id/name/title is stripped to "" and then described with pydantic's
    # own words ("value should have at least 1 item after validation, not 0"), because
    # describe_errors only says "must not be empty" when the *raw* input is empty.
    for model, field in [(Employer, "name"), (Job, "title"), (Referral, "id")]:
        assert problems(model, BASES[model], **{field: "   "}) == [(field, "must not be empty")]


def test_region_code_digits_must_be_ascii() -> None:
    # BUG: _region_code uses str.isdigit(), which accepts full-width digits typed by a Chinese
    # input method; "43０１０２" is accepted and stored, and then matches no region.
    found = problems(Employer, EMPLOYER, region_code="43０１０２")
    assert found == [("region_code", "must be a 6-digit administrative division code")]


def test_booleans_are_not_levels_or_counts() -> None:
    # BUG: pydantic's lax mode turns JSON true into 1, so {"vision": true} becomes a demand of 1
    # and "staff_count": true a staff of one, silently. A spreadsheet export with TRUE/FALSE in
    # a number column should be reported, not read as 1/0 (StrictInt on Level and Count).
    assert problems(Job, JOB, demands={"vision": True}) != []
    assert problems(Employer, EMPLOYER, staff_count=True) != []
