"""A realistic synthetic world in the interchange format (``jobmatch demo-data``).

:func:`generate_world` writes ``employers.jsonl``, ``jobs.jsonl``, ``candidates.jsonl`` and
``referrals.jsonl`` (and illustrative ``wage_standards.jsonl``) for a few real prefectures of
the seed documents (长沙, 怀化 with 新晃, 贵阳, 黔东南, 湖州, 江门), using their county codes
from :class:`matching.regions.RegionHierarchy` and occupations of the 2022 classification
from :class:`matching.occupations.OccupationVocabulary`. Every record is built as its
pydantic domain model, so every line is valid; the same seed (and ``today``) gives
byte-identical files.

The parts: static tables in ``demo/data/`` (:mod:`demo.tables`), employers
(:mod:`demo.employers`), jobs (:mod:`demo.jobs`), people (:mod:`demo.people`), the hidden
utility (:mod:`demo.utility`) and the referral history it decides (:mod:`demo.referrals`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from demo.draws import Draws
from demo.employers import EmployerInfo, Geography, make_employers
from demo.jobs import make_jobs
from demo.people import make_candidates
from demo.referrals import make_referrals
from demo.tables import DemoTables, Profile
from matching.domain import Candidate, Employer, Job, Record, Referral, WageStandard
from matching.occupations import Occupation, OccupationVocabulary
from matching.regions import RegionHierarchy
from matching.settings import Settings
from matching.vocabulary import Outcome


@dataclass(frozen=True, slots=True)
class WorldSummary:
    """What :func:`generate_world` wrote."""

    directory: Path
    employers: int
    jobs: int
    candidates: int
    referrals: int
    outcomes: dict[str, int]  # referral outcome → count

    def __str__(self) -> str:
        return (
            f"{self.employers} employers, {self.jobs} jobs, {self.candidates} candidates, "
            f"{self.referrals} referrals ({self.outcomes.get('hired', 0)} hired)"
        )


@dataclass(frozen=True)
class Population:
    """The employers, jobs and people of a world, with the random stream that drew them
    (what follows, referrals or an evaluation world's questions, draws on from it)."""

    rng: np.random.Generator
    draws: Draws
    employers: list[Employer]
    employer_info: EmployerInfo
    jobs: list[Job]
    people: list[Candidate]
    employability: np.ndarray  # per person
    attractiveness: np.ndarray  # per job


def draw_population(
    seed: int,
    candidates: int,
    jobs: int,
    employers: int,
    today: dt.date,
    settings: Settings,
    tables: DemoTables,
) -> Population:
    """Employers, then jobs, then people, drawn in that order from ``seed``: the one start
    of :func:`generate_world` and :func:`demo.worlds.generate_evaluation_world`."""
    rng = np.random.default_rng(seed)
    draws = Draws(rng)
    geography = Geography.build(RegionHierarchy.load(), tables.prefectures)
    occupations = profile_occupations(OccupationVocabulary.load(), tables.profiles)
    employer_list, info = make_employers(rng, draws, tables, geography, employers)
    job_list, attractiveness = make_jobs(
        rng, draws, tables, geography, occupations, employer_list, info, jobs, today
    )
    people, employability = make_candidates(
        rng, draws, tables, settings, geography, occupations, info, candidates, today
    )
    return Population(
        rng, draws, employer_list, info, job_list, people, employability, attractiveness
    )


def generate_world(
    out_dir: Path,
    *,
    seed: int,
    candidates: int,
    jobs: int,
    employers: int | None = None,
    referrals: int | None = None,
    today: dt.date | None = None,
    settings: Settings | None = None,
    tables: DemoTables | None = None,
) -> WorldSummary:
    """Write a synthetic world (the four interchange files) into ``out_dir`` and summarise it.

    ``employers`` defaults to a third of ``jobs`` (at least 9, one of each type);
    ``referrals`` to 2.5 × ``candidates`` (fewer are written only when too few jobs are open
    to the people, e.g. a world with very few jobs). ``today`` (default: the real date, which it
    may not exceed, because records may not lie in the future) anchors every date, so a fixed
    ``seed`` and ``today`` give byte-identical files. ``settings`` (default: read from the
    environment) give the working ages; ``tables`` (default: the package's data files) the
    static tables.
    """
    if candidates < 0 or jobs < 0 or (employers is not None and employers < 0):
        raise ValueError("人数、岗位数和单位数不能为负")
    today = today or dt.date.today()
    if today > dt.date.today():
        raise ValueError(f"today（{today}）晚于今天：记录不能在未来")
    n_employers = employers if employers is not None else max(9, round(jobs / 3))
    if jobs and not n_employers:
        raise ValueError("有岗位就至少要有一个用人单位")
    n_referrals = referrals if referrals is not None else round(2.5 * candidates)
    settings = settings or Settings()
    tables = tables or DemoTables.load()
    world = draw_population(seed, candidates, jobs, n_employers, today, settings, tables)
    employer_list, job_list, people = world.employers, world.jobs, world.people
    referral_list = make_referrals(
        world.rng,
        world.draws,
        settings,
        people,
        job_list,
        world.employability,
        world.attractiveness,
        n_referrals,
        today,
    )

    write_interchange(out_dir, employer_list, job_list, people, referral_list)
    # Drawn from no random numbers: the four files above stay what they were for each seed.
    _write_jsonl(out_dir / "wage_standards.jsonl", _wage_standards(tables, today))
    outcomes = {o.value: 0 for o in Outcome}
    for referral in referral_list:
        outcomes[referral.outcome.value] += 1
    return WorldSummary(
        out_dir, len(employer_list), len(job_list), len(people), len(referral_list), outcomes
    )


def _wage_standards(tables: DemoTables, today: dt.date) -> list[WageStandard]:
    """wage_standards.jsonl of the demo world: the last three years and this one, a social
    wage per province (it applies to every county) and a minimum wage per prefecture."""
    wages = tables.wages
    standards = []
    for year in range(today.year - 3, today.year + 1):
        growth = 1.05 ** (year - 2023)
        for province, wage in sorted(wages.social_2023.items()):
            standards.append(
                WageStandard(
                    region_code=f"{province}0000",
                    year=year,
                    avg_social_wage=float(round(wage * growth, -2)),
                )
            )
        for place in sorted(tables.prefectures, key=lambda p: p.code):
            standards.append(
                WageStandard(
                    region_code=place.code,
                    year=year,
                    min_monthly_wage=float(
                        round(wages.min_monthly_at_pay_level_1 * place.pay_level * growth, -1)
                    ),
                )
            )
    return sorted(standards, key=lambda s: s.id)


def profile_occupations(
    vocabulary: OccupationVocabulary, profiles: Sequence[Profile]
) -> dict[str, Occupation]:
    """The 2022 occupation of every profile, by code."""
    found = {p.code: vocabulary.get(p.code) for p in profiles}
    missing = sorted(code for code, occupation in found.items() if occupation is None)
    if missing:
        raise LookupError(f"职业 {missing} 不在 2022 年版职业分类中")
    return {code: occupation for code, occupation in found.items() if occupation is not None}


def write_interchange(
    out_dir: Path,
    employers: Sequence[Employer],
    jobs: Sequence[Job],
    candidates: Sequence[Candidate],
    referrals: Sequence[Referral],
) -> None:
    """The four interchange files of a world in ``out_dir`` (created if need be)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, records in (
        ("employers", employers),
        ("jobs", jobs),
        ("candidates", candidates),
        ("referrals", referrals),
    ):
        _write_jsonl(out_dir / f"{name}.jsonl", records)


def _write_jsonl(path: Path, records: Iterable[Record]) -> None:
    """One interchange record a line, UTF-8, ``\\n`` line ends."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record.to_interchange(), ensure_ascii=False))
            handle.write("\n")
