"""Quota compliance over stored data: wage standards with prefecture/province fallback, yearly
declarations with fallback to the employer record, and every quota rule worked by hand (in the
comments) with the standards read from a real store (SQLite and, when reachable, PostgreSQL).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from matching.compliance import (
    FiguresSource,
    RollupBy,
    after_hiring,
    assess,
    assess_all,
    assess_employer,
    by_gap,
    disclosure,
    region_chain,
    rollup,
)
from matching.domain import Employer
from matching.interchange import export_directory, import_directory
from matching.quota import MissingQuotaData
from matching.settings import Settings
from matching.store import Store
from tests.unit.test_quota import NATIONAL

NAT = Settings(**NATIONAL)


def _employer(eid: str, kind: str = "private", region: str = "430104", **f: Any) -> dict[str, Any]:
    return {"id": eid, "name": f"单位{eid}", "type": kind, "region_code": region, **f}


EMPLOYERS = [
    # The record says 0 disabled staff; every year below is declared, except where noted.
    _employer("small30", staff_count=30, disabled_staff=0, avg_annual_wage=80000),
    _employer("small31"),
    _employer("tier50"),
    _employer("tier90"),
    _employer("capped"),
    _employer("reward"),
    _employer("library", "institution", establishment_size=80),
    _employer("school", "institution", establishment_size=80, is_school=True),
    _employer("agency", "agency", establishment_size=50),
    # No 2024 declaration: its record is used.
    _employer("record_only", staff_count=400, disabled_staff=8, disabled_staff_severe=3),
    _employer("county_rule", region="430105"),
    _employer("blank", "social_org", region="430102"),
]


def _declared(eid: str, year: int, staff: int, disabled: int, severe: int = 0, wage: float = 90000):
    return {
        "employer_id": eid,
        "year": year,
        "staff_count": staff,
        "disabled_staff": disabled,
        "disabled_staff_severe": severe,
        "avg_annual_wage": wage,
    }


DECLARATIONS = [
    _declared("small30", 2024, 30, 0, wage=80000),
    _declared("small31", 2024, 31, 0, wage=80000),
    _declared("tier50", 2024, 200, 2),
    _declared("tier90", 2024, 200, 1),
    _declared("capped", 2024, 200, 1, wage=150000),
    _declared("reward", 2024, 100, 3, severe=1),
    _declared("library", 2024, 100, 0),
    _declared("school", 2024, 100, 0),
    _declared("agency", 2024, 100, 1),
    _declared("record_only", 2023, 400, 0),  # another year: not used for 2024
    _declared("county_rule", 2024, 200, 1, wage=150000),
]

STANDARDS = [
    # Hunan: social wage 60 000 a year (cap 120 000), minimum wage 1 700 a month.
    {"region_code": "430000", "year": 2024, "avg_social_wage": 60000, "min_monthly_wage": 1700},
    # Changsha sets its own minimum wage and inherits the province's social wage.
    {"region_code": "430100", "year": 2024, "min_monthly_wage": 1900},
    # Kaifu district (430105) sets its own social wage: cap 140 000.
    {"region_code": "430105", "year": 2024, "avg_social_wage": 70000},
    {"region_code": "430000", "year": 2023, "avg_social_wage": 55000, "min_monthly_wage": 1600},
]


def _write(directory: Path, name: str, records: list[dict[str, Any]]) -> None:
    with (directory / name).open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_quota_world(directory: Path) -> Path:
    """The employers, declarations and wage standards above as interchange files."""
    directory.mkdir(parents=True, exist_ok=True)
    _write(directory, "employers.jsonl", EMPLOYERS)
    _write(directory, "quota_declarations.jsonl", DECLARATIONS)
    _write(directory, "wage_standards.jsonl", STANDARDS)
    return directory


@pytest.fixture
def quota_store(store: Store, tmp_path: Path) -> Store:
    report = import_directory(store, write_quota_world(tmp_path / "quota"))
    assert report.ok, [str(p) for f in report.files for p in f.problems]
    return store


def year_of(store: Store, eid: str, year: int = 2024, **overrides: Any):  # noqa: ANN201
    with store.session() as session:
        record = next(e for e in EMPLOYERS if e["id"] == eid)
        return assess_employer(session, Employer.model_validate(record), year, NAT, **overrides)


# --- where the figures come from ---------------------------------------------------------


def test_region_chain_goes_county_prefecture_province() -> None:
    assert region_chain("430104") == ["430104", "430100", "430000"]
    assert region_chain("430100") == ["430100", "430000"]
    assert region_chain("110000") == ["110000"]


def test_each_wage_comes_from_the_most_specific_standard(quota_store: Store) -> None:
    wages = year_of(quota_store, "tier50").wages
    assert (wages.avg_social_wage, wages.avg_social_wage_region) == (60000, "430000")
    assert (wages.min_monthly_wage, wages.min_monthly_wage_region) == (1900, "430100")
    county = year_of(quota_store, "county_rule").wages
    assert (county.avg_social_wage, county.avg_social_wage_region) == (70000, "430105")
    # 2023 has only a province standard: it applies to every county.
    assert year_of(quota_store, "record_only", 2023).wages.min_monthly_wage == 1600


def test_a_year_without_standards_gives_no_fund_rather_than_a_guess(quota_store: Store) -> None:
    found = year_of(quota_store, "record_only", 2022)
    assert found.wages.avg_social_wage is None
    assert found.status.fund_due is None and found.status.over_ratio_reward is None


def test_year_without_declaration_falls_back_to_the_employer_record(quota_store: Store) -> None:
    found = year_of(quota_store, "record_only")
    assert found.source is FiguresSource.EMPLOYER_RECORD
    # 8 + 3 severe = 11 counted; 400 x 1.5% = 6 required; 5 above: 5 x 1 900 x 6 = 57 000
    assert (found.status.counted, found.status.required) == (11, 6.0)
    assert found.status.over_ratio_reward == 57000
    declared_2023 = year_of(quota_store, "record_only", 2023)
    assert declared_2023.source is FiguresSource.DECLARATION
    assert declared_2023.status.counted == 0


def test_declaration_replaces_the_record_whole(quota_store: Store) -> None:
    # The record says 30 staff, 0 disabled; the 2024 declaration says the same: both give 0.45.
    found = year_of(quota_store, "small30")
    assert found.source is FiguresSource.DECLARATION
    assert found.employer.staff_count == 30 and found.status.required == pytest.approx(0.45)


# --- the rules, with the stored standards -------------------------------------------------


def test_rule_3_employers_with_at_most_30_staff_pay_nothing(quota_store: Store) -> None:
    small = year_of(quota_store, "small30").status
    # 30 x 1.5% = 0.45 required, 0 counted: below the ratio, but 30 <= 30 staff: exempt
    assert (small.gap, small.compliant, small.fund_due) == (pytest.approx(0.45), False, 0.0)
    # 31 staff: 0.465 x min(80 000, 120 000) x 90% (0% < 1%) = 33 480
    assert year_of(quota_store, "small31").status.fund_due == pytest.approx(33480)


def test_rule_3_relief_tier_at_or_above_one_percent_pays_half(quota_store: Store) -> None:
    status = year_of(quota_store, "tier50").status
    # 200 x 1.5% = 3 required, 2 counted (exactly 1%): gap 1 x 90 000 x 50% = 45 000
    assert (status.required, status.counted, status.ratio_achieved) == (3.0, 2, 0.01)
    assert status.fund_due == 45000


def test_rule_3_relief_tier_below_one_percent_pays_ninety_percent(quota_store: Store) -> None:
    # 1 of 200 = 0.5% < 1%: gap 2 x 90 000 x 90% = 162 000
    assert year_of(quota_store, "tier90").status.fund_due == 162000


def test_rule_3_wage_is_capped_at_twice_the_local_social_wage(quota_store: Store) -> None:
    # wage 150 000 > 2 x 60 000: gap 2 x 120 000 x 90% = 216 000
    assert year_of(quota_store, "capped").status.fund_due == 216000
    # the county's own social wage 70 000 caps at 140 000: 2 x 140 000 x 90% = 252 000
    assert year_of(quota_store, "county_rule").status.fund_due == 252000
    # a social wage given by hand overrides the stored one: cap 2 x 50 000 = 100 000
    overridden = year_of(quota_store, "capped", avg_social_wage=50000)
    assert overridden.status.fund_due == 180000
    assert overridden.wages.avg_social_wage_region == "override"


def test_rule_4_reward_uses_the_prefecture_minimum_wage(quota_store: Store) -> None:
    status = year_of(quota_store, "reward").status
    # 3 disabled, 1 of them grade 1-2: 4 counted; 100 x 1.5% = 1.5; 2.5 x 1 900 x 6 = 28 500
    assert (status.counted, status.compliant, status.fund_due) == (4, True, 0.0)
    assert status.over_ratio_reward == 28500
    assert year_of(quota_store, "reward", min_monthly_wage=2000).status.over_ratio_reward == 30000


def test_rule_5_lead_by_example_binds_institutions_but_not_schools(quota_store: Store) -> None:
    library = year_of(quota_store, "library")
    # an institution of establishment 80 >= 67, 0 of 1.5 required: bound, and no one employed
    assert library.status.lead_by_example_applies and library.status.lead_by_example_unmet
    school = year_of(quota_store, "school")
    assert school.is_school
    assert not school.status.lead_by_example_applies and not school.status.lead_by_example_unmet
    # the query's is_school overrides the record both ways
    assert not year_of(quota_store, "library", is_school=True).status.lead_by_example_applies
    assert year_of(quota_store, "school", is_school=False).status.lead_by_example_unmet


def test_rule_5_agency_below_ratio_with_one_disabled_employee_is_bound_but_met(
    quota_store: Store,
) -> None:
    status = year_of(quota_store, "agency").status
    # establishment 50 >= 50; 1 counted < 1.5 required: bound, met (one disabled person)
    assert status.lead_by_example_applies and not status.lead_by_example_unmet


def test_hiring_referred_people_closes_the_gap(quota_store: Store) -> None:
    found = year_of(quota_store, "tier90")
    hired = assess(
        after_hiring(found.employer, 2),
        2024,
        NAT,
        declaration=None,
        wages=found.wages,
    ).status
    # 202 staff x 1.5% = 3.03 required, 3 counted (1.49% >= 1%): 0.03 x 90 000 x 50% = 1 350
    assert (hired.required, hired.counted) == (pytest.approx(3.03), 3)
    assert hired.fund_due == pytest.approx(1350)
    severe = assess(
        after_hiring(found.employer, 2, 1), 2024, NAT, declaration=None, wages=found.wages
    )
    # one of them grade 1-2: 4 counted >= 3.03, compliant; reward 0.97 x 1 900 x 6 = 11 058
    assert severe.status.compliant and severe.status.over_ratio_reward == pytest.approx(11058)
    with pytest.raises(ValueError, match="hired_severe"):
        after_hiring(found.employer, 1, 2)


def test_missing_figure_is_named(quota_store: Store) -> None:
    with pytest.raises(MissingQuotaData) as error:
        year_of(quota_store, "blank")
    assert error.value.field == "disabled_staff"


# --- many employers -----------------------------------------------------------------------


def test_below_ratio_list_is_ordered_by_gap_and_keeps_unknowns_visible(quota_store: Store) -> None:
    with quota_store.session() as session:
        rows = assess_all(session, 2024, NAT)
    assert [r.employer.id for r in rows if r.quota is None] == ["blank"]
    below = [(r.employer.id, r.quota.status.gap) for r in by_gap(rows)]
    # gaps: tier90, capped, county_rule 2; library, school 1.5; tier50 1; agency 0.5;
    # small31 0.465; small30 0.45 (ties by id)
    assert [eid for eid, _ in below] == [
        "capped",
        "county_rule",
        "tier90",
        "library",
        "school",
        "tier50",
        "agency",
        "small31",
        "small30",
    ]
    with quota_store.session() as session:
        counties = assess_all(session, 2024, NAT, region_prefix="430105")
    assert [r.employer.id for r in counties] == ["county_rule"]


def test_rollup_by_type_adds_up_the_disclosure_list(quota_store: Store) -> None:
    with quota_store.session() as session:
        rows = assess_all(session, 2024, NAT)
    groups = {g.group: g for g in rollup(rows, RollupBy.TYPE)}
    institutions = groups["institution"]
    assert (institutions.employers, institutions.compliant, institutions.below_ratio) == (2, 0, 2)
    assert institutions.required == 3.0 and institutions.lead_by_example_unmet == 1
    assert groups["social_org"].unknown == 1 and groups["social_org"].assessed == 0
    (total,) = rollup(rows, None)
    listed = disclosure(rows)
    assert total.assessed == len(listed) == 11
    assert total.counted == sum(e["counted"] for e in listed)
    assert total.compliant == sum(e["compliant"] for e in listed) == 2  # reward, record_only
    # fund: 0 + 33 480 + 45 000 + 162 000 + 216 000 + 0 + 1.5 x 90 000 x 90% (library)
    # + the same (school) + 0.5 x 90 000 x 50% (agency) + 252 000 = 973 980
    assert total.fund_due == pytest.approx(973980)
    prefectures = rollup(rows, RollupBy.PREFECTURE)
    assert [g.group for g in prefectures] == ["430100"]


def test_round_trip_of_declarations_and_standards_is_byte_identical(
    quota_store: Store, tmp_path: Path, database_url: str
) -> None:
    export_directory(quota_store, tmp_path / "out1", actor="test")
    fresh = Store.open(Settings(home=tmp_path / "fresh"))
    try:
        assert import_directory(fresh, tmp_path / "out1").ok
        export_directory(fresh, tmp_path / "out2", actor="test")
    finally:
        fresh.close()
    names = sorted(p.name for p in (tmp_path / "out1").glob("*.jsonl"))
    assert "quota_declarations.jsonl" in names and "wage_standards.jsonl" in names
    assert "events.jsonl" not in names  # optional files only when they hold records
    for name in names:
        assert (tmp_path / "out1" / name).read_bytes() == (tmp_path / "out2" / name).read_bytes()
    exported = (tmp_path / "out1/employers.jsonl").read_text(encoding="utf-8")
    assert '"is_school": true' in exported


def test_bad_declarations_are_named_and_the_file_rejected(store: Store, tmp_path: Path) -> None:
    directory = tmp_path / "bad"
    directory.mkdir()
    _write(directory, "employers.jsonl", EMPLOYERS[:1])
    _write(
        directory,
        "quota_declarations.jsonl",
        [
            _declared("small30", 2024, 10, 12),
            _declared("nobody", 2024, 10, 1),
            _declared("small30", 2023, 10, 1),
            _declared("small30", 2023, 10, 1),
        ],
    )
    _write(directory, "wage_standards.jsonl", [{"region_code": "4300", "year": 2024}])
    report = import_directory(store, directory)
    by_file = {f.file: [str(p) for p in f.problems] for f in report.files}
    assert by_file["quota_declarations.jsonl"] == [
        "quota_declarations.jsonl:1: disabled_staff: cannot exceed staff_count",
        "quota_declarations.jsonl:2: employer_id: no employer with id nobody (import employers "
        "first)",
        "quota_declarations.jsonl:4: id: small30@2023 already appears on line 3",
    ]
    assert by_file["wage_standards.jsonl"] == [
        "wage_standards.jsonl:1: region_code: must be a 6-digit administrative division code"
    ]
    with store.session() as session:
        assert store.count(session, "quota_declarations") == 0
