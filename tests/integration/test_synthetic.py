"""The synthetic world generator: valid, deterministic, realistic, informative outcomes."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from demo.tables import DemoTables
from demo.utility import PairArrays, feasible, systematic_utility
from demo.world import WorldSummary, generate_world
from matching.domain import Candidate, Employer, Job, Record, Referral
from matching.occupations import OccupationVocabulary
from matching.regions import RegionHierarchy
from matching.rules import job_feasibility, person_capacities
from matching.settings import Settings
from matching.skills import SKILL_FORMS, canonical_skill
from matching.vocabulary import EmployerType, Outcome, PriorityGroup, WorkMode

TODAY = dt.date(2025, 6, 30)
TABLES = DemoTables.load()
MODELS: dict[str, type[Record]] = {
    "employers": Employer,
    "jobs": Job,
    "candidates": Candidate,
    "referrals": Referral,
}
FAILED = {Outcome.REJECTED, Outcome.DECLINED, Outcome.NO_SHOW, Outcome.LEFT_EARLY}


def _load(directory: Path) -> dict[str, list]:
    return {
        kind: [
            model.model_validate(json.loads(line))
            for line in (directory / f"{kind}.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        for kind, model in MODELS.items()
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, WorldSummary]:
    directory = tmp_path_factory.mktemp("small")
    return directory, generate_world(directory, seed=11, candidates=300, jobs=80, today=TODAY)


@pytest.fixture(scope="module")
def world(small: tuple[Path, WorldSummary]) -> dict[str, list]:
    return _load(small[0])


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> list[Candidate]:
    """A larger set of people (no referrals, to stay fast) for distribution checks."""
    directory = tmp_path_factory.mktemp("population")
    generate_world(directory, seed=5, candidates=5000, jobs=100, referrals=0, today=TODAY)
    return _load(directory)["candidates"]


def test_same_seed_gives_byte_identical_files(small, tmp_path):
    directory, _ = small
    generate_world(tmp_path / "again", seed=11, candidates=300, jobs=80, today=TODAY)
    generate_world(tmp_path / "other", seed=12, candidates=300, jobs=80, today=TODAY)
    for kind in MODELS:
        original = (directory / f"{kind}.jsonl").read_bytes()
        assert (tmp_path / "again" / f"{kind}.jsonl").read_bytes() == original
        assert (tmp_path / "other" / f"{kind}.jsonl").read_bytes() != original


def test_every_line_is_a_valid_canonical_record(small):
    directory, summary = small
    for kind, model in MODELS.items():
        lines = (directory / f"{kind}.jsonl").read_text(encoding="utf-8").splitlines()
        records = [model.model_validate(json.loads(line)) for line in lines]
        assert len({r.id for r in records}) == len(records)
        for line, record in zip(lines, records, strict=True):
            assert json.dumps(record.to_interchange(), ensure_ascii=False) == line
        assert len(records) == getattr(summary, kind)
    # 2.5 × candidates by default; a few fewer when, as here, jobs are scarce.
    assert 0.9 * 750 <= summary.referrals <= 750
    assert sum(summary.outcomes.values()) == summary.referrals


def test_rejects_a_future_today(tmp_path):
    with pytest.raises(ValueError, match="未来"):
        generate_world(
            tmp_path, seed=1, candidates=1, jobs=1, today=dt.date.today() + dt.timedelta(days=1)
        )


def test_category_shares_follow_the_national_survey(population):
    counts = Counter(c.disability_category for c in population)
    n = len(population)
    unassessed = TABLES.people.shares.unassessed
    for category, share in TABLES.people.category_shares.items():
        assert abs(counts[category] / n - share * (1 - unassessed)) < 0.015, category
    assert 0.01 < counts[None] / n < 0.05
    grades = Counter(c.disability_grade for c in population)
    assert grades[3] + grades[4] > 1.5 * (grades[1] + grades[2])


def test_people_look_like_job_seekers(population):
    n = len(population)
    graduates = [c for c in population if PriorityGroup.GRADUATE in c.priority_groups]
    assert 0.05 < len(graduates) / n < 0.11
    assert all(g.school and g.graduation_year >= TODAY.year - 1 for g in graduates)
    assert 0.4 < sum(bool(c.capacities) for c in population) / n < 0.6
    assert 0.05 < sum(PriorityGroup.HARD_TO_EMPLOY in c.priority_groups for c in population) / n
    for person in population:
        age = TODAY.year - person.birth_year
        assert 16 <= age <= (60 if person.sex == "M" else 55)
        if person.cert_number:
            assert person.cert_number[:18] == person.id_number
    counties = {r.code for r in RegionHierarchy.load().counties()}
    assert {c.id_number[:6] for c in population} <= counties
    assert {c.region_code for c in population} <= counties


def test_ages_registrations_and_trainings_follow_the_working_ages_of_the_settings(tmp_path):
    settings = Settings(working_age_min=20, working_age_max_male=40, working_age_max_female=35)
    generate_world(
        tmp_path, seed=3, candidates=600, jobs=20, referrals=0, today=TODAY, settings=settings
    )
    people = _load(tmp_path)["candidates"]
    for person in people:
        age = TODAY.year - person.birth_year
        assert 20 <= age <= (40 if person.sex == "M" else 35)
        assert person.registered_at.year >= person.birth_year + 20
        assert all(t.year >= person.birth_year + 20 for t in person.trainings)
    assert max(TODAY.year - p.birth_year for p in people if p.sex == "M") > 30


def test_needs_follow_capacities(population):
    blind = [
        c
        for c in population
        if person_capacities(c.disability_category, c.disability_grade, c.capacities)["vision"] == 0
    ]
    readers = sum("screen_reader" in c.needs or "braille" in c.needs for c in blind)
    assert 0.5 < readers / len(blind) < 1.0  # often, not always


def test_skill_synonyms_are_consistent_and_used(world):
    assert all(canonical_skill(canonical) == canonical for canonical in SKILL_FORMS)
    assert canonical_skill("Excel") == canonical_skill("ＥＸＣＥＬ ") == canonical_skill("电子表格")
    assert canonical_skill("按摩") == "推拿"
    surface = {s for c in world["candidates"] for s in c.skills}
    surface |= {s for j in world["jobs"] for s in j.skills}
    assert any(s != canonical_skill(s) for s in surface)  # synonyms do appear


def test_employers_and_jobs_are_consistent(world):
    employers = {e.id: e for e in world["employers"]}
    assert {e.type for e in employers.values()} == set(EmployerType)
    for job in world["jobs"]:
        employer = employers[job.employer_id]
        assert (job.work_mode is WorkMode.PUBLIC_WELFARE) == job.public_welfare
        assert not job.remote_ok or "remote" in job.accommodations
        if job.salary_min is not None:
            assert 1800 <= job.salary_min <= job.salary_max <= 15000
        if employer.type is EmployerType.MASSAGE:
            assert job.work_mode is WorkMode.MASSAGE
        if employer.type is EmployerType.CONCENTRATED:
            assert job.work_mode is WorkMode.CONCENTRATED
        if job.occupation == "盲人医疗按摩人员":
            assert TABLES.certificates.medical_massage in job.certificates_required
    for employer in employers.values():
        assert employer.disabled_staff_severe <= employer.disabled_staff <= employer.staff_count


def test_occupations_come_from_the_2022_classification(world):
    vocabulary = OccupationVocabulary.load()
    assert all(vocabulary.find(job.occupation) for job in world["jobs"])
    targets = [t for c in world["candidates"] for t in c.target_occupations]
    assert targets and all(vocabulary.find(t) for t in targets)


def test_referrals_reference_records_and_have_consistent_dates(world):
    people = {c.id: c for c in world["candidates"]}
    jobs = {j.id: j for j in world["jobs"]}
    for referral in world["referrals"]:
        person, job = people[referral.candidate_id], jobs[referral.job_id]
        assert referral.referred_at > person.registered_at
        assert job.is_open(referral.referred_at)
        assert referral.referred_at <= TODAY
        if referral.outcome is Outcome.PENDING:
            assert referral.outcome_at is None
            assert (TODAY - referral.referred_at).days < 31
        else:
            assert referral.referred_at <= referral.outcome_at <= TODAY


def test_most_referrals_are_feasible_and_the_fast_check_agrees(world):
    people = world["candidates"]
    jobs = world["jobs"]
    index = {c.id: k for k, c in enumerate(people)}
    job_index = {j.id: k for k, j in enumerate(jobs)}
    tables = PairArrays.from_records(people, jobs, Settings())
    rng = np.random.default_rng(0)
    pairs = [(index[r.candidate_id], job_index[r.job_id]) for r in world["referrals"]]
    pairs += list(
        zip(
            rng.integers(len(people), size=500).tolist(),
            rng.integers(len(jobs), size=500).tolist(),
            strict=True,
        )
    )
    fast = feasible(tables, np.array([p for p, _ in pairs]), np.array([j for _, j in pairs]))
    exact = []
    for p, j in pairs:
        exact.append(job_feasibility(people[p], jobs[j]).feasible)
    assert fast.tolist() == exact
    referred = exact[: len(world["referrals"])]
    assert sum(referred) / len(referred) > 0.9


def test_hidden_utility_drives_outcomes(world):
    people, jobs = world["candidates"], world["jobs"]
    index = {c.id: k for k, c in enumerate(people)}
    job_index = {j.id: k for k, j in enumerate(jobs)}
    referrals = world["referrals"]
    utility = systematic_utility(
        PairArrays.from_records(people, jobs, Settings()),
        np.array([index[r.candidate_id] for r in referrals]),
        np.array([job_index[r.job_id] for r in referrals]),
    )
    outcome = np.array([r.outcome.value for r in referrals])
    hired, rejected = utility[outcome == "hired"], utility[outcome == "rejected"]
    assert len(hired) > 30 and len(rejected) > 30
    assert hired.mean() > rejected.mean() + 0.2
    assert 0.08 < len(hired) / len(referrals) < 0.25


def test_some_people_fail_three_market_referrals_in_a_row(world):
    public_welfare = {j.id for j in world["jobs"] if j.public_welfare}
    history = defaultdict(list)
    for referral in world["referrals"]:  # files are in date order
        if referral.job_id not in public_welfare and referral.outcome is not Outcome.PENDING:
            history[referral.candidate_id].append(referral.outcome in FAILED)
    streaks = 0
    for failed in history.values():
        run = best = 0
        for f in failed:
            run = run + 1 if f else 0
            best = max(best, run)
        streaks += best >= 3
    assert streaks >= 5
