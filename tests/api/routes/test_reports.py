"""The reports router over HTTP on demo data: the quarterly report in JSON, CSV and XLSX
(opened with openpyxl) with every number matching a direct count of the exported files, its
charts, and who may read it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from demo.world import generate_world
from matching.interchange import export_directory
from matching.settings import Settings
from matching.store import Store
from serving.auth import Role
from serving.runtime import Resources
from tests.api_client import Api, error_of, serve_world
from tests.unit.test_report_figures import status_record

TODAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def demo_api(
    resources: Resources,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Api]:
    """One demo world behind the API for this module's read-only tests (embedding it is the
    slow part)."""
    tmp_path = tmp_path_factory.mktemp("reports")
    settings = Settings(home=tmp_path / "home")
    files = tmp_path / "demo"
    generate_world(files, seed=5, candidates=150, jobs=45, today=TODAY)
    add_casework(files)
    first_employer = json.loads((files / "employers.jsonl").read_text().splitlines()[0])["id"]
    accounts: dict[str, dict[str, Any]] = {
        "manager": {"role": Role.MANAGER},
        "counselor": {"role": Role.COUNSELOR, "region": "4301"},
        "employer": {"role": Role.EMPLOYER, "employer": first_employer},
    }
    yield from serve_world(settings, resources, tmp_path, world=lambda _: files, accounts=accounts)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write_lines(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


def add_casework(files: Path) -> None:
    """A ledger, assessments and completed courses for the demo world, as a centre records
    them: each hire makes the person employed in the job's form from its day (what the API's
    outcome recording does); every third person assessed, every fifth trained on a course."""
    modes = {j["id"]: j["work_mode"] for j in _lines(files / "jobs.jsonl")}
    people = _lines(files / "candidates.jsonl")
    hires = [r for r in _lines(files / "referrals.jsonl") if r["outcome"] == "hired"]
    _write_lines(
        files / "employment.jsonl",
        [
            status_record(
                f"em{n}", r["candidate_id"], "employed", r["outcome_at"], modes[r["job_id"]]
            )
            for n, r in enumerate(hires)
        ],
    )
    _write_lines(
        files / "assessments.jsonl",
        [
            {
                "id": f"as{n}",
                "candidate_id": p["id"],
                "assessed_on": max(p["registered_at"], "2026-05-01" if n % 2 else "2026-08-15"),
                "assessor": "赵评估师",
                "capacities": {"cognition": 2},
            }
            for n, p in enumerate(people[::3])
        ],
    )
    _write_lines(
        files / "courses.jsonl",
        [
            {
                "id": "co1",
                "name": "网店客服",
                "skills": ["在线客服"],
                "provider": "市残联",
                "starts_on": "2026-07-01",
                "ends_on": "2026-08-31",
                "places": 100,
                "region_code": "430100",
                "form": "remote",
            }
        ],
    )
    _write_lines(
        files / "enrolments.jsonl",
        [
            {
                "id": f"en{n}",
                "course_id": "co1",
                "candidate_id": p["id"],
                "enrolled_on": max(p["registered_at"], "2026-07-01"),
                "state": "completed",
                "completed_on": max(p["registered_at"], "2026-08-31"),
            }
            for n, p in enumerate(people[::5])
        ],
    )


def _working_age(person: dict[str, Any], year: int) -> bool:
    if person.get("birth_year") is None:
        return False
    return 16 <= year - person["birth_year"] <= (54 if person.get("sex") == "F" else 59)


def _hand_count(files: Path, start: str, end: str) -> dict[str, Any]:
    """Counted straight from the exported files, with none of the report's code."""
    year = int(end[:4])
    everyone = _lines(files / "candidates.jsonl")
    people = {c["id"] for c in everyone}
    registered = [c for c in everyone if c["registered_at"] <= end]
    working = {c["id"] for c in registered if _working_age(c, year)}
    referrals = [r for r in _lines(files / "referrals.jsonl") if r["candidate_id"] in people]
    made = [r for r in referrals if start <= r["referred_at"] <= end]
    ledger: dict[str, list[dict[str, Any]]] = {}
    for record in _lines(files / "employment.jsonl"):
        ledger.setdefault(record["candidate_id"], []).append(record)

    def status_on(person: str, day: str) -> str | None:
        known = [r for r in ledger.get(person, []) if r["since"] <= day]
        latest = max(known, key=lambda r: (r["since"], r["recorded_at"], r["id"]), default=None)
        return latest["status"] if latest else None

    def day_before(day: str) -> str:
        return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()

    employed = {p for p in working if status_on(p, end) == "employed"}
    new = {
        p
        for p in working
        for r in ledger.get(p, [])
        if r["status"] == "employed"
        and start <= r["since"] <= end
        and status_on(p, day_before(r["since"])) != "employed"
    }
    tertiary = {"junior_college", "bachelor", "master", "doctorate"}
    graduates = [
        c["id"]
        for c in registered
        if c.get("graduation_year") == year
        and (c.get("education") in tertiary or "graduate" in c.get("priority_groups", []))
    ]
    graduates_employed = [
        g
        for g in graduates
        if status_on(g, f"{year}-01-01") == "employed"
        or any(
            r["status"] == "employed" and f"{year}-01-01" <= r["since"] <= end
            for r in ledger.get(g, [])
        )
    ]
    unemployed = {p for p in working if status_on(p, end) in (None, "unemployed")}
    assessed = {
        a["candidate_id"] for a in _lines(files / "assessments.jsonl") if a["assessed_on"] <= end
    }
    return {
        "registered": len(registered),
        "working_age": len(working),
        "referrals": len(made),
        "interviewed": sum(r["outcome"] in ("interviewed", "hired", "left_early") for r in made),
        "hired": sum(r["outcome"] in ("hired", "left_early") for r in made),
        "employed": len(employed),
        "new_employment": len(new),
        "graduates": len(graduates),
        "graduates_employed": len(graduates_employed),
        "registered_unemployed": len(unemployed),
        "assessed": len(unemployed & assessed),
        "trained": sum(any(t["year"] == year for t in c.get("trainings", [])) for c in registered),
        "completed_courses": len(
            {
                e["candidate_id"]
                for e in _lines(files / "enrolments.jsonl")
                if e["candidate_id"] in {c["id"] for c in registered}
                and start <= (e.get("completed_on") or "") <= end
            }
        ),
        "employers": len(_lines(files / "employers.jsonl")),
    }


@pytest.mark.slow
def test_quarterly_report_on_demo_data_in_three_formats(demo_api: Api, tmp_path: Path) -> None:
    url = "/v1/reports/quarterly?year=2026&quarter=3"
    body = demo_api.call("GET", url, "manager").json()
    sections = {s["name"]: s for s in body["sections"]}

    def value(section: str, measure: str, group: str = "") -> float:
        return next(
            f["value"]
            for f in sections[section]["figures"]
            if f["measure"] == measure and f["group"] == group
        )

    store = Store.open(demo_api.settings)
    export_directory(store, tmp_path / "export", actor="test")
    store.close()
    hand = _hand_count(tmp_path / "export", "2026-07-01", "2026-09-30")
    # a real quarter of work, every section with something to count
    assert hand["referrals"] > 20 and hand["new_employment"] > 0 and hand["employed"] > 0
    assert hand["graduates"] > 0 and hand["assessed"] > 0 and hand["completed_courses"] > 0
    assert 0 < hand["assessed"] < hand["registered_unemployed"]
    shown = {
        "registered": value("registered", "registered"),
        "working_age": value("registered", "working_age"),
        "referrals": value("referrals", "referrals"),
        "interviewed": value("referrals", "interviewed"),
        "hired": value("referrals", "hired"),
        "employed": value("employment", "employed"),
        "new_employment": value("employment", "new_employment"),
        "graduates": value("graduates", "graduates"),
        "graduates_employed": value("graduates", "employed"),
        "registered_unemployed": value("assessments", "registered_unemployed"),
        "assessed": value("assessments", "assessed"),
        "trained": value("trainings", "trained"),
        "completed_courses": value("trainings", "completed_courses"),
        "employers": value("quota", "employers"),
    }
    assert shown == hand
    # The demo world carries wage standards: every fund below the ratio is computed.
    assert value("quota", "fund_unknown") == 0 and value("quota", "fund_due") > 0
    forms = [f for f in sections["employment"]["figures"] if f["measure"] == "employed"]
    assert sum(f["value"] for f in forms if f["group"]) == value("employment", "employed")

    as_csv = demo_api.call("GET", url + "&format=csv", "manager")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    csv_value = {(r["section"], r["measure"], r["group"]): r["value"] for r in rows if r["measure"]}
    assert float(csv_value["referrals", "referrals", ""]) == hand["referrals"]
    assert float(csv_value["employment", "new_employment", ""]) == hand["new_employment"]
    assert float(csv_value["graduates", "graduates", ""]) == hand["graduates"]
    assert float(csv_value["assessments", "assessed", ""]) == hand["assessed"]

    as_xlsx = demo_api.call("GET", url + "&format=xlsx", "manager")
    assert 'filename="report-quarterly-2026Q3.xlsx"' in as_xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(as_xlsx.content))
    assert {"全部", "employment", "referrals", "quota"} <= set(book.sheetnames)
    cells = list(book["referrals"].iter_rows(values_only=True))
    assert cells[0] == ("section", "measure", "group", "value", "label")
    xlsx_value = {row[1]: row[3] for row in cells[1:]}
    assert (xlsx_value["referrals"], xlsx_value["hired"]) == (hand["referrals"], hand["hired"])
    trainings = {row[1]: row[3] for row in list(book["trainings"].iter_rows(values_only=True))[1:]}
    assert trainings["trained"] == hand["trained"]
    assert trainings["completed_courses"] == hand["completed_courses"]
    employment = {
        (row[1], row[2]): row[3] for row in list(book["employment"].iter_rows(values_only=True))[1:]
    }
    assert employment["employed", None] == hand["employed"]


@pytest.mark.slow
def test_charts_and_access(demo_api: Api) -> None:
    query = "?year=2026&quarter=3"
    svg = demo_api.call("GET", f"/v1/reports/quarterly/charts/employment.svg{query}", "manager")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert ET.fromstring(svg.content).tag.endswith("svg")
    again = demo_api.call("GET", f"/v1/reports/quarterly/charts/employment.svg{query}", "manager")
    assert again.content == svg.content  # reproducible
    png = demo_api.call(
        "GET", f"/v1/reports/quarterly/charts/quota.png{query}&region=4301", "counselor"
    )
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    for section in ("graduates", "assessments", "trainings"):
        annual = demo_api.call(
            "GET", f"/v1/reports/annual/charts/{section}.png?year=2026", "manager"
        )
        assert annual.status_code == 200 and annual.content.startswith(b"\x89PNG")
    missing = demo_api.call("GET", f"/v1/reports/quarterly/charts/nothing.svg{query}", "manager")
    assert missing.status_code == 404 and "employment" in error_of(missing)["message"]
    assert (
        demo_api.call(
            "GET", f"/v1/reports/quarterly/charts/employment.gif{query}", "manager"
        ).status_code
        == 404
    )
    outside = demo_api.call("GET", f"/v1/reports/quarterly{query}&region=11", "counselor")
    assert outside.status_code == 403
    assert demo_api.call("GET", f"/v1/reports/quarterly{query}", "employer").status_code == 403
    bad = demo_api.call("GET", "/v1/reports/quarterly?year=2026&quarter=5", "manager")
    assert bad.status_code == 422 and error_of(bad)["fields"][0]["field"] == "quarter"
