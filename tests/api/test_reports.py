"""Real-name reports: figures counted by hand on a small world (in the comments), the same
report from the store and from its export, and over HTTP on demo data in JSON, CSV and XLSX
(opened with openpyxl) with every number matching a direct count of the exported files."""

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
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from demo.world import generate_world
from matching.casework import Enrolment
from matching.domain import Candidate, Employer, Job, RecruitmentEvent, Referral
from matching.employment import StatusEntry
from matching.interchange import export_directory, import_directory
from matching.reports import (
    Assessed,
    Period,
    Report,
    ReportData,
    build_report,
    data_from_export,
    data_from_store,
)
from matching.settings import Settings
from matching.store import Store
from matching.store.tables import AuditRow
from serving.app import create_app
from serving.auth import Role, create_account
from serving.runtime import Resources
from tests.api_client import Api, error_of
from tests.world import CANDIDATES, EMPLOYERS, JOBS, write_world


def _referral(rid: str, person: str, job: str, on: str, outcome: str, at: str | None = None):
    return {
        "id": rid,
        "candidate_id": person,
        "job_id": job,
        "referred_at": on,
        "outcome": outcome,
        "outcome_at": at,
    }


def _status(eid: str, person: str, status: str, since: str, form: str | None = None):
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
            _status("em1", "c1", "employed", "2025-03-20", "public_welfare"),
            _status("em2", "c1", "employed", "2025-06-12", "home_based"),  # a change of job
            _status("em3", "c2", "unemployed", "2025-05-20"),
            _status("em4", "c2", "employed", "2025-06-15", "home_based"),
            _status("em5", "c6", "employed", "2024-11-01", "quota"),
            _status("em6", "c6", "unemployed", "2025-04-10"),
            _status("em7", "c6", "employed", "2025-07-05", "quota"),  # after the quarter
            _status("em8", "c5", "employed", "2025-05-01", "concentrated"),
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


def _report_of_home(home: Path, period: Period, prefix: str) -> Report:
    store = Store.open(Settings(home=home))
    try:
        return build_report(
            data_from_store(store, actor="test"), period, TARGETS, region_prefix=prefix
        )
    finally:
        store.close()


@pytest.mark.parametrize("prefix", ["", "43", "4301"])
def test_the_report_is_the_same_from_the_store_its_export_and_a_home_rebuilt_from_it(
    tmp_path: Path, prefix: str
) -> None:
    """Every figure is reproducible from the interchange export: the report of a home, of its
    export, and of a new home imported from that export are identical."""
    store = Store.open(Settings(home=tmp_path / "home"))
    try:
        assert import_directory(store, write_world(tmp_path / "files", hand_files())).ok
        export_directory(store, tmp_path / "export", actor="test")
    finally:
        store.close()
    rebuilt = Store.open(Settings(home=tmp_path / "rebuilt"))
    try:
        assert import_directory(rebuilt, tmp_path / "export").ok
    finally:
        rebuilt.close()
    for period in (Period.quarterly(2025, 2), Period.annual(2025)):
        from_store = _report_of_home(tmp_path / "home", period, prefix)
        from_export = build_report(
            data_from_export(tmp_path / "export"), period, TARGETS, region_prefix=prefix
        )
        assert from_store == from_export == _report_of_home(tmp_path / "rebuilt", period, prefix)
        assert from_store == build_report(hand_world(), period, TARGETS, region_prefix=prefix)
    quarter = _report_of_home(tmp_path / "home", Period.quarterly(2025, 2), prefix)
    assert quarter.section("assessments").value("assessments") == 1
    # Reading who has a disability category is audited, once per report read.
    store = Store.open(Settings(home=tmp_path / "home"))
    try:
        with store.session() as session:
            reads = session.scalars(
                select(AuditRow.actor).where(AuditRow.action == "report_data")
            ).all()
    finally:
        store.close()
    assert reads == ["test"] * 3


# -- over HTTP on demo data ----------------------------------------------------------------

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
    store = Store.open(settings)
    assert import_directory(store, files).ok
    first_employer = json.loads((files / "employers.jsonl").read_text().splitlines()[0])["id"]
    accounts: dict[str, dict[str, Any]] = {
        "manager": {"role": Role.MANAGER},
        "counselor": {"role": Role.COUNSELOR, "region": "4301"},
        "employer": {"role": Role.EMPLOYER, "employer": first_employer},
    }
    tokens = {n: create_account(store, name=n, **scope)[1] for n, scope in accounts.items()}
    store.close()
    app = create_app(settings, resources=lambda _settings, _store: resources)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, tokens, settings)


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
            _status(f"em{n}", r["candidate_id"], "employed", r["outcome_at"], modes[r["job_id"]])
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


def test_report_command_recounts_the_same_report_from_an_export(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from serving.cli import app

    runner = CliRunner()
    env = {"JOBMATCH_HOME": str(tmp_path / "home")}
    assert runner.invoke(app, ["import", str(write_world(tmp_path / "w"))], env=env).exit_code == 0
    assert runner.invoke(app, ["export", str(tmp_path / "export")], env=env).exit_code == 0
    base = ["report", "quarterly", "--year", "2025", "--quarter", "2", "--region", "4301"]
    for fmt in ("csv", "json", "xlsx"):
        from_store = runner.invoke(
            app, [*base, "--format", fmt, "--out", str(tmp_path / f"s.{fmt}")], env=env
        )
        assert from_store.exit_code == 0, from_store.output
        from_export = runner.invoke(
            app,
            [
                *base,
                "--format",
                fmt,
                "--out",
                str(tmp_path / f"e.{fmt}"),
                "--from-export",
                str(tmp_path / "export"),
            ],
            env={"JOBMATCH_HOME": str(tmp_path / "empty")},
        )
        assert from_export.exit_code == 0, from_export.output
        if fmt != "xlsx":  # a workbook stores its creation time
            assert (tmp_path / f"s.{fmt}").read_bytes() == (tmp_path / f"e.{fmt}").read_bytes()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text(encoding="utf-8-sig"))))
    referrals = next(r for r in rows if (r["section"], r["measure"]) == ("referrals", "referrals"))
    assert referrals["value"] == "1"  # r2, 1 June
    sheet = load_workbook(tmp_path / "e.xlsx").active
    assert next(sheet.iter_rows(values_only=True)) == (
        "section",
        "measure",
        "group",
        "value",
        "label",
    )
    missing = runner.invoke(app, ["report", "quarterly", "--year", "2025", "--out", "x"], env=env)
    assert missing.exit_code == 2 and "--quarter" in missing.output
