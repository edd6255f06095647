"""Quota compliance over HTTP: an employer-year's standing from stored declarations and
standards, overrides, hiring, declarations and standards recorded and audited, lists ordered
by gap, roll-ups and the disclosure list in JSON, CSV and XLSX (opened with openpyxl)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from matching.settings import Settings
from serving.auth import Role
from serving.runtime import Resources
from tests.api_client import Api, error_of, serve_world
from tests.conftest import BACKENDS, read_only, serve_shared_world
from tests.unit.test_compliance import NATIONAL, write_quota_world

pytestmark = pytest.mark.slow

ACCOUNTS = {
    "counselor": {"role": Role.COUNSELOR, "region": "4301"},
    "counselor_kaifu": {"role": Role.COUNSELOR, "region": "430105"},
    "employer": {"role": Role.EMPLOYER, "employer": "tier90"},
    "manager": {"role": Role.MANAGER},
    "admin": {"role": Role.ADMIN},
}


@pytest.fixture
def api(settings: Settings, resources: Resources, tmp_path: Path) -> Iterator[Api]:
    """The app over the quota world under the national quota policy, fresh for each test."""
    policy = settings.model_copy(update=NATIONAL)
    yield from serve_world(policy, resources, tmp_path, world=write_quota_world, accounts=ACCOUNTS)


@pytest.fixture(scope="module", params=BACKENDS)
def _module_quota_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, resources: Resources
) -> Iterator[Api]:
    yield from serve_shared_world(
        request.param,
        tmp_path_factory,
        resources,
        policy=NATIONAL,
        world=write_quota_world,
        accounts=ACCOUNTS,
    )


@pytest.fixture
def read_api(_module_quota_world: Api) -> Iterator[Api]:
    """The quota world shared by this module's tests that only read it."""
    yield from read_only(_module_quota_world)


def test_quota_answers_every_field_from_stored_data(read_api: Api) -> None:
    body = read_api.call("GET", "/v1/employers/tier90/quota?year=2024", "employer").json()
    assert body["figures_from"] == "declaration" and body["staff_count"] == 200
    assert (body["avg_social_wage"], body["avg_social_wage_region"]) == (60000, "430000")
    assert (body["min_monthly_wage"], body["min_monthly_wage_region"]) == (1900, "430100")
    # 200 x 1.5% = 3, 1 counted (0.5% < 1%): 2 x 90 000 x 90% = 162 000
    expected = {
        "required": 3.0,
        "counted": 1,
        "gap": 2.0,
        "ratio_achieved": 0.005,
        "compliant": False,
        "fund_due": 162000,
        "over_ratio_reward": 0,
        "lead_by_example_applies": False,
        "lead_by_example_unmet": False,
        "hire": None,
    }
    assert {k: body[k] for k in expected} == expected
    hired = read_api.call("GET", "/v1/employers/tier90/quota?year=2024&hire=2", "employer").json()
    # 202 staff, 3 disabled: 0.03 x 90 000 x 50% = 1 350; saves 160 650 a year
    assert hired["hire"]["fund_due"] == pytest.approx(1350)
    assert hired["hire"]["fund_saved"] == pytest.approx(160650)
    assert hired["hire"]["compliant"] is False and hired["fund_due"] == 162000
    overridden = read_api.call(
        "GET", "/v1/employers/tier90/quota?year=2024&local_avg_social_wage=40000", "manager"
    ).json()
    # capped at 2 x 40 000 = 80 000: 2 x 80 000 x 90% = 144 000
    assert overridden["fund_due"] == 144000
    assert overridden["avg_social_wage_region"] == "override"
    bad = read_api.call("GET", "/v1/employers/tier90/quota?hire=1&hire_severe=2", "manager")
    assert bad.status_code == 422 and error_of(bad)["fields"][0]["field"] == "hire_severe"


def test_school_flag_and_unknown_figures(read_api: Api) -> None:
    school = read_api.call("GET", "/v1/employers/school/quota?year=2024", "counselor").json()
    assert school["is_school"] is True and school["lead_by_example_applies"] is False
    as_not_school = read_api.call(
        "GET", "/v1/employers/school/quota?year=2024&is_school=false", "counselor"
    ).json()
    assert as_not_school["lead_by_example_unmet"] is True
    missing = read_api.call("GET", "/v1/employers/blank/quota?year=2024", "counselor")
    assert missing.status_code == 409
    assert error_of(missing)["fields"][0]["field"] == "disabled_staff"
    assert "2024" in error_of(missing)["message"]
    no_standards = read_api.call("GET", "/v1/employers/record_only/quota?year=2022", "counselor")
    assert no_standards.json()["figures_from"] == "employer_record"
    assert no_standards.json()["fund_due"] is None


def test_declarations_are_recorded_by_counselors_and_admins_and_audited(api: Api) -> None:
    figures = {"staff_count": 200, "disabled_staff": 3, "avg_annual_wage": 90000, "reason": "年审"}
    url = "/v1/employers/tier90/declarations/2025"
    assert api.call("PUT", url, "employer", json=figures).status_code == 403
    assert api.call("PUT", url, "counselor_kaifu", json=figures).status_code == 403
    assert api.call("PUT", url, "manager", json=figures).status_code == 403
    assert api.call("PUT", url, "counselor", json=figures).status_code == 200
    assert api.call("PUT", url, "admin", json={**figures, "disabled_staff": 4}).status_code == 200
    listed = api.call("GET", "/v1/employers/tier90/declarations", "employer").json()
    assert [(d["year"], d["disabled_staff"]) for d in listed] == [(2024, 1), (2025, 4)]
    wrong = api.call("PUT", url, "counselor", json={"staff_count": 2, "disabled_staff": 3})
    assert wrong.status_code == 422
    assert error_of(wrong)["fields"][0] == {
        "field": "disabled_staff",
        "reason": "cannot exceed staff_count",
    }
    audit = api.call("GET", "/v1/audit?subject=quota_declarations:tier90@2025", "admin").json()
    assert [(a["action"], a["purpose"]) for a in audit] == [
        ("update_declaration", "年审"),
        ("create_declaration", "年审"),
    ]


def test_wage_standards_are_admins_to_record(api: Api) -> None:
    url = "/v1/wage-standards/430100/2024"
    figures = {"avg_social_wage": 50000, "min_monthly_wage": 1950, "reason": "长人社发〔2024〕"}
    assert api.call("PUT", url, "counselor", json=figures).status_code == 403
    assert api.call("PUT", url, "admin", json=figures).status_code == 200
    body = api.call("GET", "/v1/employers/tier90/quota?year=2024", "manager").json()
    # the prefecture now states both: cap 100 000 -> 2 x 90 000 x 90% still 162 000
    assert body["avg_social_wage_region"] == "430100" and body["min_monthly_wage"] == 1950
    standards = api.call("GET", "/v1/wage-standards?year=2024&region=43", "counselor").json()
    assert [s["region_code"] for s in standards] == ["430000", "430100", "430105"]
    bad = api.call("PUT", "/v1/wage-standards/990000/2024", "admin", json=figures)
    assert bad.status_code == 422 and error_of(bad)["fields"][0]["field"] == "region_code"


def test_employer_list_below_ratio_is_ordered_by_gap_and_scoped(read_api: Api) -> None:
    listed = read_api.call(
        "GET", "/v1/employers?year=2024&below_ratio=true&type=private", "counselor"
    ).json()
    assert [e["employer_id"] for e in listed["items"]] == [
        "capped",
        "county_rule",
        "tier90",
        "tier50",
        "small31",
        "small30",
    ]
    assert listed["total"] == 6 and listed["items"][0]["gap"] == 2.0
    kaifu = read_api.call("GET", "/v1/employers?year=2024", "counselor_kaifu").json()
    assert kaifu["region_prefix"] == "430105"
    assert [e["employer_id"] for e in kaifu["items"]] == ["county_rule"]
    assert read_api.call("GET", "/v1/employers?region=43", "counselor_kaifu").status_code == 403
    assert read_api.call("GET", "/v1/employers", "employer").status_code == 403
    every = read_api.call("GET", "/v1/employers?year=2024&limit=100", "manager").json()
    blank = next(e for e in every["items"] if e["employer_id"] == "blank")
    assert blank["missing"] == "disabled_staff" and blank["compliant"] is None


def test_rollup_and_disclosure_in_three_formats(read_api: Api) -> None:
    rollup = read_api.call("GET", "/v1/quota/rollup?year=2024&by=type", "manager").json()
    groups = {g["group"]: g for g in rollup["groups"]}
    assert groups["institution"]["below_ratio"] == 2 and groups["social_org"]["unknown"] == 1
    assert rollup["total"]["assessed"] == 11 and rollup["total"]["fund_due"] == 973980
    by_county = read_api.call("GET", "/v1/quota/rollup?year=2024&by=county", "manager").json()
    assert [g["group"] for g in by_county["groups"]] == ["430102", "430104", "430105"]

    listed = read_api.call("GET", "/v1/quota/disclosure?year=2024", "counselor").json()["entries"]
    assert len(listed) == 11 and listed[0] == {
        "employer_id": "agency",
        "name": "单位agency",
        "type": "agency",
        "region_code": "430104",
        "required": 1.5,
        "counted": 1,
        "compliant": False,
    }
    as_csv = read_api.call("GET", "/v1/quota/disclosure?year=2024&format=csv", "counselor")
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [r["employer_id"] for r in rows] == [e["employer_id"] for e in listed]
    assert rows[0]["compliant"] == "否" and rows[0]["required"] == "1.5"
    as_xlsx = read_api.call("GET", "/v1/quota/disclosure?year=2024&format=xlsx", "counselor")
    assert "quota-disclosure-2024-4301.xlsx" in as_xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0] == (
        "employer_id",
        "name",
        "type",
        "region_code",
        "required",
        "counted",
        "compliant",
    )
    assert [c[0] for c in cells[1:]] == [e["employer_id"] for e in listed]
    assert sum(c[5] for c in cells[1:]) == rollup["total"]["counted"]
