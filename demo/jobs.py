"""The demo world's jobs: postings from the occupation profiles, with functional demands,
accommodations, certificates (medical massage requires its qualification), public-welfare
posts, remote work and pay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from demo.draws import Draws, cumulative
from demo.employers import EmployerInfo, Geography
from demo.tables import DemoTables, Profile
from matching.domain import Employer, Job
from matching.occupations import Occupation
from matching.skills import SKILL_FORMS
from matching.vocabulary import (
    ACCOMMODATION_NAMES_ZH,
    EDUCATION_NAMES_ZH,
    LEVEL_MAX,
    Accommodation,
    Dimension,
    Education,
    EmployerType,
    WorkMode,
)

POSTING_DAYS = 560  # postings span about 18 months
_DIMENSIONS = tuple(Dimension)
_EDUCATION = tuple(Education)


def render_skill(draws: Draws, canonical: str, canonical_share: float) -> str:
    """One surface form of a skill: the canonical name with the given share, else a synonym."""
    forms = SKILL_FORMS[canonical]
    if len(forms) == 1 or draws.random() < canonical_share:
        return forms[0]
    return forms[1 + draws.below(len(forms) - 1)]


def _job_accommodations(
    draws: Draws, tables: DemoTables, kind: EmployerType, mode: WorkMode, remote: bool
) -> list[Accommodation]:
    rates = tables.accommodation_rates(kind)
    offered = [a for a in Accommodation if a in rates and draws.random() < rates[a]]
    if mode is WorkMode.SUPPORTED and Accommodation.JOB_COACH not in offered:
        offered.append(Accommodation.JOB_COACH)  # supported employment means a job coach
    if remote:
        offered.append(Accommodation.REMOTE)
    return offered


def _job_mode(draws: Draws, profile: Profile, kind: EmployerType, remote: bool) -> WorkMode:
    """The work mode follows the employer's form of employment first, then the profile."""
    if profile.family == "massage" or kind is EmployerType.MASSAGE:
        return WorkMode.MASSAGE
    if kind is EmployerType.CONCENTRATED:
        return WorkMode.CONCENTRATED
    if kind is EmployerType.AUXILIARY:
        return WorkMode.AUXILIARY
    public_employer = kind in (
        EmployerType.AGENCY,
        EmployerType.INSTITUTION,
        EmployerType.SOCIAL_ORG,
    )
    if profile.public_welfare and public_employer and (profile.pw_only or draws.random() < 0.7):
        return WorkMode.PUBLIC_WELFARE
    if remote:
        return WorkMode.HOME_BASED if draws.random() < 0.5 else WorkMode.QUOTA
    if profile.demands[_DIMENSIONS.index(Dimension.COGNITION)] <= 2 and draws.random() < 0.08:
        return WorkMode.SUPPORTED
    modes = [m for m in profile.modes if m is not WorkMode.HOME_BASED] or [WorkMode.QUOTA]
    return modes[0] if draws.random() < 0.75 else draws.pick(modes)


def make_jobs(
    rng: np.random.Generator,
    draws: Draws,
    tables: DemoTables,
    geography: Geography,
    occupations: dict[str, Occupation],
    employers: Sequence[Employer],
    info: EmployerInfo,
    count: int,
    today: dt.date,
) -> tuple[list[Job], np.ndarray]:
    """``count`` jobs ``J000001``…, listed employer by employer (every employer posts at
    least once while jobs last); and each job's attractiveness (hidden utility)."""
    if not count:
        return [], np.zeros(0)
    # Every employer posts at least once (while jobs last); larger ones post more.
    weight = np.sqrt(info.staff + 4.0)
    owners = np.concatenate(
        [
            rng.permutation(len(employers))[:count],
            rng.choice(
                len(employers), size=max(0, count - len(employers)), p=weight / weight.sum()
            ),
        ]
    )
    owners.sort()  # jobs listed employer by employer
    by_type = {
        kind: (
            [p for p in tables.profiles if kind in p.employers],
            cumulative(p.weight for p in tables.profiles if kind in p.employers),
        )
        for kind in EmployerType
    }
    counties_of = geography.counties_of()
    shift_weights = cumulative((0.15, 0.77, 0.08))
    opening_weights = cumulative((0.6, 0.18, 0.1, 0.08, 0.04))
    today_ord = today.toordinal()
    attractiveness = info.attractiveness[owners] + rng.normal(0.0, 0.25, size=count)
    records: list[Job] = []
    for n, owner in enumerate(owners.tolist()):
        employer, kind = employers[owner], info.type[owner]
        choices, weights = by_type[kind]
        profile = choices[draws.weighted(weights)]
        occupation = occupations[profile.code]
        county_index = int(info.county[owner])
        prefecture = int(geography.prefecture[county_index])
        if draws.random() < 0.1:  # a branch elsewhere in the prefecture
            county_index = draws.pick(counties_of[prefecture])
        remote = (
            kind not in (EmployerType.MASSAGE, EmployerType.AUXILIARY, EmployerType.CONCENTRATED)
            and draws.random() < profile.remote
        )
        mode = _job_mode(draws, profile, kind, remote)
        public_welfare = mode is WorkMode.PUBLIC_WELFARE
        demands = {
            d: min(LEVEL_MAX, max(0, level + draws.weighted(shift_weights) - 1))
            for d, level in zip(_DIMENSIONS, profile.demands, strict=True)
        }
        skills = list(
            dict.fromkeys(
                [render_skill(draws, s, 0.55) for s in profile.core if draws.random() < 0.85]
                + [render_skill(draws, s, 0.55) for s in profile.extra if draws.random() < 0.25]
            )
        ) or [render_skill(draws, profile.core[0], 0.55)]
        required = [c.name for c in profile.certificates if draws.random() < c.required]
        education = profile.education
        if education is not None and draws.random() < 0.2 and education.level > 0:
            education = _EDUCATION[education.level - 1]
        if draws.random() < 0.15:
            education = None
        salary_min = salary_max = None
        if draws.random() > 0.05:
            low, high = profile.salary
            level = geography.prefectures[prefecture].pay_level
            salary_min = max(1800.0, round(draws.uniform(low, (low + high) / 2) * level, -2))
            salary_max = min(
                15000.0, max(salary_min, round(salary_min * draws.uniform(1.2, 1.8), -2))
            )
        openings = (1, 2, 3, 5, 10)[draws.weighted(opening_weights)]
        if kind in (EmployerType.CONCENTRATED, EmployerType.AUXILIARY):
            openings += draws.below(5)
        posted = today_ord - draws.below(POSTING_DAYS)
        closes = posted + draws.between(30, 366) if draws.random() < 0.4 else None
        title = f"公益性岗位（{profile.title}）" if public_welfare else profile.title
        accommodations = _job_accommodations(draws, tables, kind, mode, remote)
        records.append(
            Job(
                id=f"J{n + 1:06d}",
                employer_id=employer.id,
                title=title,
                description=_job_description(
                    employer.name,
                    title,
                    occupation,
                    skills,
                    education,
                    openings,
                    (salary_min, salary_max),
                    accommodations,
                    public_welfare,
                ),
                occupation=occupation.name,
                skills=skills,
                certificates_required=required,
                education_min=education,
                region_code=geography.counties[county_index].code,
                work_mode=mode,
                remote_ok=remote,
                salary_min=salary_min,
                salary_max=salary_max,
                openings=openings,
                demands=demands,
                accommodations=accommodations,
                public_welfare=public_welfare,
                posted_at=dt.date.fromordinal(posted),
                closes_at=None if closes is None else dt.date.fromordinal(closes),
            )
        )
    return records, attractiveness


def _job_description(
    employer: str,
    title: str,
    occupation: Occupation,
    skills: Sequence[str],
    education: Education | None,
    openings: int,
    salary: tuple[float | None, float | None],
    accommodations: Sequence[Accommodation],
    public_welfare: bool,
) -> str:
    parts = [f"{employer}招聘{title}{openings}名。"]
    if occupation.definition:
        parts.append(f"岗位属于“{occupation.name}”：{occupation.definition}")
    parts.append(f"要求：{'、'.join(skills)}")
    parts.append(f"，{EDUCATION_NAMES_ZH[education]}及以上学历。" if education else "，学历不限。")
    if salary[0] is not None and salary[1] is not None:
        parts.append(f"月薪{salary[0]:.0f}–{salary[1]:.0f}元。")
    if accommodations:
        parts.append(f"可提供：{'、'.join(ACCOMMODATION_NAMES_ZH[a] for a in accommodations)}。")
    if public_welfare:
        parts.append("本岗位为公益性岗位，优先安置经市场连续三次推荐未就业的残疾人。")
    return "".join(parts)
